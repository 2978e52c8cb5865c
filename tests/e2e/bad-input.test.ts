// Bad input loses nothing (DEVELOPERS.md; docs/contract.md §11): every case returns an
// error string and the very same session keeps working afterwards.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Host, freshSession, world } from "./host.ts";

let host: Host;
before(async () => { host = await Host.start(); });
after(async () => { await host.close(); });

const corpus: [string, string, RegExp][] = [
  ["syntax error", "def f(:\n    pass", /SyntaxError/],
  ["indentation error", "if True:\nprint(1)", /IndentationError/],
  // The eryx 0.5 crate refuses NUL bytes itself, before the guest sees the code.
  ["NUL byte", "print('a')\0print('b')", world === "eryx-0.5" ? /^execution failed: code contains NUL bytes, which cannot be executed$/ : /^Invalid code string: contains null bytes$/],
  ["sys.exit(3)", "import sys\nsys.exit(3)", /^SystemExit: 3$/],
  ["KeyboardInterrupt", "raise KeyboardInterrupt", /KeyboardInterrupt/],
  ["unbounded recursion", "def f():\n    return f()\nf()", /RecursionError/],
  ["deep recursion through a callback-awaiting coroutine", "async def f(n):\n    return await f(n + 1)\nawait f(0)", /RecursionError/],
  ["callback returning invalid JSON", "await value(kind='invalid')", /JSONDecodeError/],
  ["unknown callback", "await invoke('does.not.exist', a=1)", /RuntimeError: Callback 'does.not.exist' not found/],
  ["callback with non-JSON-serialisable arguments", "await echo(message=object())", /TypeError: Object of type object is not JSON serializable/],
  ["failing callback, uncaught", "await fail(message='kaput')", /RuntimeError: execution failed: kaput/],
  ["exception in a gathered task", "import asyncio\nasync def bad():\n    await echo(message='x')\n    raise ValueError('in task')\nawait asyncio.gather(bad(), echo(message='y'))", /ValueError: in task/],
  ["invalid surrogate in output", "print('\\ud800')", /UnicodeEncodeError|surrogate/],
  ["huge integer to str", "print(10 ** 100000)", /ValueError: Exceeds the limit/],
];

// An eryx 0.5 callback answers a serde_json::Value, so no host on that crate can send text that is not JSON.
const noInvalidJson = world === "eryx-0.5" && "eryx 0.5 callbacks answer JSON values: invalid JSON cannot reach the guest";

for (const [name, code, expected] of corpus) {
  test(`bad input: ${name} → Err, and the session survives`, { skip: code.includes("kind='invalid'") && noInvalidJson }, async () => {
    const s = freshSession();
    assert.equal((await host.execute("marker = 'alive'", s)).ok, true);
    const r = await host.execute(code, s);
    assert.equal(r.ok, false, `expected Err, got ${JSON.stringify(r.value)?.slice(0, 200)}`);
    assert.match(r.error!, expected);
    assert.doesNotMatch(r.error!, /WASM execution error/);
    const after = await host.execute("print(marker)", s);
    assert.equal(after.value, "alive", `session broken after ${name}: ${after.error}`);
  });
}

test("bad input: a 10 MB print is returned and the session survives", async () => {
  const s = freshSession();
  const r = await host.execute("print('y' * 10_000_000)", s);
  assert.equal(r.value!.length, 10_000_000);
  assert.equal((await host.execute("print(1)", s)).value, "1");
});

test("bad input: a 16 MB code string runs (or fails cleanly) and the session survives", async () => {
  const s = freshSession();
  const code = `s = "${"z".repeat(16 * 1024 * 1024)}"\nprint(len(s))`;
  const r = await host.execute(code, s);
  assert.equal(r.value, String(16 * 1024 * 1024));
  assert.equal((await host.execute("print(2)", s)).value, "2");
});

test("bad input: corrupt, truncated and foreign snapshots are refused with a reason, state untouched", async () => {
  const s = freshSession();
  await host.execute("keep = [1, 2, 3]", s);
  const snap = await host.request({ op: "snapshot", session: s });
  assert.equal(snap.ok, true);
  const hex = snap.value!;
  const flipped = hex.slice(0, 40) + (hex[40] === "0" ? "1" : "0") + hex.slice(41);
  for (const [what, bad] of [["corrupt", flipped], ["truncated", hex.slice(0, hex.length - 8)], ["foreign", "80049500"]] as const) {
    const r = await host.request({ op: "restore", session: s, hex: bad });
    assert.equal(r.ok, false, what);
    assert.match(r.error!, /^Failed to restore state: /, what);
  }
  assert.equal((await host.execute("print(keep)", s)).value, "[1, 2, 3]");
});
