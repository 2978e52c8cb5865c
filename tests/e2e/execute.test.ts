// execute (docs/contract.md §3, §4 and the differences in §12): user code in its own
// globals, top-level await, stdout/stderr rules, and every way user code can
// fail ending as an Err with the sandbox still usable.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Host, freshSession, world } from "./host.ts";

let host: Host;
before(async () => { host = await Host.start(); });
after(async () => { await host.close(); });

async function ok(code: string, session?: string): Promise<string> {
  const r = await host.execute(code, session);
  assert.equal(r.error, null, `expected Ok for ${JSON.stringify(code)}`);
  return r.value!;
}

async function err(code: string, session?: string): Promise<string> {
  const r = await host.execute(code, session);
  assert.equal(r.ok, false, `expected Err for ${JSON.stringify(code)}, got ${JSON.stringify(r.value)}`);
  return r.error!;
}

test("user code runs as __main__ with no runtime names in its globals", async () => {
  assert.equal(await ok("print(__name__)"), "__main__");
  const names = JSON.parse(await ok("import json\nprint(json.dumps(sorted(globals())))"));
  assert.deepEqual(names.filter((n: string) => n.startsWith("_eryx") || n === "_sys" || n === "_json"), []);
  assert.ok(names.includes("invoke") && names.includes("list_callbacks"));
});

test("str hashes and set order are the same in every fresh instance (PYTHONHASHSEED=0 unless the host sets it)", async () => {
  const code = "import os, sys\nprint(sys.flags.hash_randomization, os.environ.get('PYTHONHASHSEED'), hash('eryx'), hash(b'eryx'), list({'a', 'b', 'c', 'd', 'e', 'f'}))";
  const first = await ok(code); // one-shot executes: each on a fresh instance
  assert.match(first, /^0 0 -?\d+ -?\d+ \[/);
  assert.equal(await ok(code), first);
});

test("stdout: only trailing newlines are trimmed; stderr is dropped on success", async () => {
  assert.equal(await ok("print('a\\n\\n')"), "a");
  assert.equal(await ok("print('  spaced  ')"), "  spaced  ");
  assert.equal(await ok("print('x\\r')"), "x\r");
  assert.equal(await ok("import sys\nprint('out')\nprint('err', file=sys.stderr)"), "out");
  assert.equal(await ok("pass"), "");
});

test("an error returns stderr text followed by the traceback; stdout is dropped", async () => {
  const e = await err("import sys\nprint('visible?')\nprint('warned', file=sys.stderr)\nraise ValueError('bad value')");
  assert.ok(e.startsWith("warned\nTraceback (most recent call last):\n"), e);
  assert.match(e, /File "<user>", line 4, in <module>/);
  assert.match(e, /ValueError: bad value\n$/);
  assert.doesNotMatch(e, /visible\?/);
  assert.doesNotMatch(e, /_eryx/); // no runtime frames
});

test("code is passed as a str: quotes, backslashes, ''' and trailing quotes run as written", async () => {
  assert.equal(await ok('print("a\\\\b")'), "a\\b");
  assert.equal(await ok("s = '''x'''\nprint(s)"), "x");
  assert.equal(await ok('x = "q"'), "");
  assert.equal(await ok('print("""tri""" + "ple")\ny = ""'), "triple");
  assert.equal(await ok("print('unicode: \u00e9\u4e2d\ud83d\ude00')"), "unicode: \u00e9\u4e2d\ud83d\ude00");
});

test("a NUL byte in code is refused with the exact message", async () => {
  // The eryx 0.5 crate refuses such code itself (validate_user_code), before the guest sees it.
  const expected = world === "eryx-0.5" ? "execution failed: code contains NUL bytes, which cannot be executed" : "Invalid code string: contains null bytes";
  assert.equal(await err("print(1)\0"), expected);
});

test("top-level await, async for and async with", async () => {
  assert.equal(await ok("import asyncio\nawait asyncio.sleep(0)\nprint('after')"), "after");
  const code = [
    "class Ticker:",
    "    def __init__(self): self.n = 0",
    "    def __aiter__(self): return self",
    "    async def __anext__(self):",
    "        self.n += 1",
    "        if self.n > 3: raise StopAsyncIteration",
    "        return self.n",
    "class Ctx:",
    "    async def __aenter__(self): print('enter'); return self",
    "    async def __aexit__(self, *a): print('exit')",
    "async with Ctx():",
    "    async for i in Ticker():",
    "        print(i)",
  ].join("\n");
  assert.equal(await ok(code), "enter\n1\n2\n3\nexit");
});

test("an error after a suspension still carries the real traceback", async () => {
  const e = await err("r = await echo(message='x')\nprint('before')\nraise KeyError('late')");
  assert.match(e, /Traceback \(most recent call last\):/);
  assert.match(e, /File "<user>", line 3, in <module>/);
  assert.match(e, /KeyError: 'late'/);
});

test("stdout printed before and after a suspension is all returned", async () => {
  assert.equal(await ok("print('one')\nawait echo(message='x')\nprint('two')"), "one\ntwo");
});

test("SystemExit, KeyboardInterrupt, RecursionError and MemoryError end as Err and the session survives", async () => {
  const s = freshSession();
  await ok("alive = 'yes'", s);
  assert.equal(await err("import sys\nsys.exit(3)", s), "SystemExit: 3");
  assert.equal(await err("raise SystemExit('bye')", s), "SystemExit: bye");
  assert.match(await err("raise KeyboardInterrupt", s), /KeyboardInterrupt/);
  assert.match(await err("def f(n):\n    return f(n + 1)\nf(0)", s), /RecursionError/);
  assert.match(await err("await echo(message='x')\nimport sys\nsys.exit(4)", s), /SystemExit: 4/);
  assert.equal(await ok("print(alive)", s), "yes");
});

test("growing memory past the host's limit (128 MiB one-shot) is a MemoryError, and the code can recover", async () => {
  assert.match(await err("x = bytearray(300 * 1024 * 1024)"), /MemoryError/);
  const out = await ok("try:\n    x = bytearray(300 * 1024 * 1024)\nexcept MemoryError:\n    x = bytearray(1024)\nprint(len(x))");
  assert.equal(out, "1024");
});

test("a 10 MB print is returned whole", async () => {
  const out = await ok("print('x' * (10 * 1024 * 1024))");
  assert.equal(out.length, 10 * 1024 * 1024);
});

test("the event loop keeps no exception from an earlier run", async () => {
  const s = freshSession();
  await err("import asyncio\nasync def boom():\n    raise ValueError('first')\nawait asyncio.gather(boom())", s);
  assert.equal(await ok("import asyncio\nawait asyncio.sleep(0)\nprint('clean')", s), "clean");
});

test("asyncio.run is refused with a clear error (a loop is already running)", async () => {
  assert.match(await err("import asyncio\nasync def m(): return 1\nasyncio.run(m())"), /RuntimeError/);
});

test("awaiting something that can never complete is an Err, not a hang or a trap", async () => {
  const s = freshSession();
  assert.match(await err("import asyncio\nawait asyncio.get_running_loop().create_future()", s), /can never complete/);
  assert.equal(await ok("print('still here')", s), "still here");
});

test("the stdlib is readable: os.listdir('/python-stdlib') and reading a module file", async () => {
  const out = await ok("import os\nprint('json' in os.listdir('/python-stdlib'))\nprint(len(open('/python-stdlib/json/__init__.py').read()) > 100)");
  assert.equal(out, "True\nTrue");
});

const noFinalize = world === "eryx-0.5" && "the eryx 0.5 crate calls finalize-preinit only in its own pre-initialiser, never on a live instance";
test("finalize-preinit forgets WASI handles; files are found again afterwards", { skip: noFinalize }, async () => {
  const s = freshSession();
  await ok("import json", s);
  const r = await host.request({ op: "finalize_preinit", session: s });
  assert.equal(r.ok, true, r.error ?? "");
  // Preopens are re-discovered lazily: the stdlib is still readable, new modules import.
  const out = await ok("import os, csv\nprint('json' in os.listdir('/python-stdlib'), csv.__name__)", s);
  assert.equal(out, "True csv");
});
