// The benchmark peer (peer/app.py componentized with componentize-py 0.19.3,
// built by peer/build.ts) passes the end-to-end cases that apply to any
// implementation of the eryx:sandbox world, through the same reference host.
//
// Cases of tests/e2e/*.test.ts that do NOT apply to the peer, and why:
// * tracing.test.ts (all): the peer never calls report-trace; tracing is
//   eryx-as's tracing machinery (docs/contract.md §7), not part of "what a user
//   would otherwise build".
// * timers.test.ts (all): componentize-py's event loop raises
//   NotImplementedError for call_later/time(), so asyncio.sleep(t > 0),
//   wait_for and timeout() do not work (eryx-as adds them: docs/contract.md §6).
// * preinit.test.ts, skeleton "world is exactly eryx:sandbox", extensions,
//   relocation: they test eryx-as's own linker/pre-initialiser output
//   (componentize-py pre-initialises itself at build time and its component
//   also exports componentize-py's `exports` instance).
// * state.test.ts: functions, classes and instances of user classes are not
//   kept by the peer's snapshots (plain pickle by reference fails, they are
//   skipped — eryx-as keeps them, docs/contract.md §9); "nothing can be serialised
//   is an Err" and corrupt-snapshot wording are eryx-as specifics.
// * execute.test.ts: NUL-byte message (contract.md §3: the peer gets CPython's
//   "source code string cannot contain null bytes" as a traceback), "no
//   runtime names in globals", the exact eryx traceback frames, RecursionError
//   / MemoryError guarantees (contract.md §11: not checked for the peer), "awaiting
//   something that can never complete" (componentize-py asserts), asyncio.run.
// * callbacks.test.ts: wrapper __name__/__doc__ and keyword-only TypeError
//   wording, reserved-name rules, namespaces' unknown-leaf semantics, invalid
//   JSON result wording, invoke from a leftover task (contract.md §5 details).
// * bad-input.test.ts / resources.test.ts: size and memory-bound guarantees
//   of eryx-as (16 MB code, 10,000-execute memory bound), not asserted here.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Host, freshSession } from "./host.ts";
import { buildPeer } from "../../peer/build.ts";

let host: Host;
before(async () => { host = await Host.start([], await buildPeer()); }, { timeout: 600_000 });
after(async () => { await host?.close(); });

async function ok(code: string, session?: string) {
  const r = await host.execute(code, session);
  assert.equal(r.error, null, `expected Ok for ${JSON.stringify(code)}: ${r.error}`);
  return r;
}

async function err(code: string, session?: string): Promise<string> {
  const r = await host.execute(code, session);
  assert.equal(r.ok, false, `expected Err for ${JSON.stringify(code)}, got ${JSON.stringify(r.value)}`);
  return r.error!;
}

test("peer: print(1+1) returns 2; only trailing newlines are trimmed; an assignment prints nothing", async () => {
  assert.equal((await ok("print(1+1)")).value, "2");
  assert.equal((await ok("print('a')\nprint(' b ')\nprint()\nprint()")).value, "a\n b ");
  assert.equal((await ok("x = 1")).value, "");
});

test("peer: errors are Err with stderr text and the traceback; a syntax error names SyntaxError", async () => {
  const e = await err("import sys\nprint('lost')\nsys.stderr.write('warned\\n')\n1/0");
  assert.ok(e.startsWith("warned\nTraceback (most recent call last):\n"), e);
  assert.match(e, /File "<user>", line 4, in <module>/);
  assert.match(e, /ZeroDivisionError: division by zero\n$/);
  assert.ok(!e.includes("lost"), e);
  assert.match(await err("def f(:\n  pass"), /SyntaxError/);
});

test("peer: a session keeps variables, functions and imports between executes", async () => {
  const s = freshSession("peer");
  await ok("import math\nx = 41\ndef f(y):\n    return x + y", s);
  assert.equal((await ok("print(f(1), math.floor(2.5))", s)).value, "42 2");
  await ok("x = 1", s);
  assert.equal((await ok("print(f(1))", s)).value, "2");
});

test("peer: SystemExit is an Err and the session survives", async () => {
  const s = freshSession("peer");
  await ok("x = 5", s);
  assert.equal(await err("import sys\nsys.exit(3)", s), "SystemExit: 3");
  assert.equal((await ok("print(x)", s)).value, "5");
});

test("peer: a stdlib module that was not imported at build time is found through the host's PYTHONPATH", async () => {
  assert.equal((await ok("import fractions\nprint(fractions.Fraction(1, 3) * 3)")).value, "1");
});

test("peer: await a callback wrapper and invoke() directly", async () => {
  const r = await ok("a = await echo(message='hi')\nb = await invoke('echo', message='yo')\nprint(a, b)");
  assert.equal(r.value, "{'echo': 'hi'} {'echo': 'yo'}");
  assert.deepEqual(r.callbacks.map((c) => [c.name, JSON.parse(c.args)]), [["echo", { message: "hi" }], ["echo", { message: "yo" }]]);
});

test("peer: asyncio.gather runs three 100 ms host sleeps concurrently", async () => {
  const r = await ok("import asyncio\nrs = await asyncio.gather(sleep(ms=100), sleep(ms=100), sleep(ms=100))\nprint(rs)");
  assert.equal(r.value, "[{'slept_ms': 100}, {'slept_ms': 100}, {'slept_ms': 100}]");
  assert.equal(r.callbacks.length, 3);
  const latestStart = Math.max(...r.callbacks.map((c) => c.start_ms));
  const earliestEnd = Math.min(...r.callbacks.map((c) => c.end_ms!));
  assert.ok(latestStart < earliestEnd, `all three were in flight at once: ${JSON.stringify(r.callbacks)}`);
});

test("peer: a failing callback raises RuntimeError with the host's message; dotted callbacks work", async () => {
  assert.equal((await ok("try:\n    await fail(message='nope')\nexcept RuntimeError as e:\n    print(e)")).value, "execution failed: nope");
  assert.match(await err("await fail(message='boom')"), /RuntimeError: execution failed: boom\n$/);
  assert.equal((await ok("print(await http.get(url='u'))")).value, "{'status': 200, 'url': 'u'}");
  assert.equal((await ok("print(sorted(c['name'] for c in list_callbacks())[:3])")).value, "['add', 'defaults', 'echo']");
});

test("peer: stdout printed before and after a suspension is all returned", async () => {
  assert.equal((await ok("print('before')\nr = await add(a=2, b=3)\nprint('after', r)")).value, "before\nafter 5");
});

test("peer: snapshot → restore into another session; clear keeps the callback API; restore merges", async () => {
  const a = freshSession("peer");
  await ok("import json\nn = 7\ndata = {'k': [1, 2.5, 'x', None]}\nblob = b'\\x00\\xff'", a);
  const snap = await host.request({ op: "snapshot", session: a });
  assert.equal(snap.error, null);
  assert.match(snap.value!, /^[0-9a-f]+$/);

  const b = freshSession("peer");
  await ok("later = 'kept'", b);
  const restored = await host.request({ op: "restore", session: b, hex: snap.value! });
  assert.equal(restored.error, null);
  assert.equal((await ok("print(n, data, blob, later, 'json' in globals())", b)).value, "7 {'k': [1, 2.5, 'x', None]} b'\\x00\\xff' kept False");

  assert.equal((await host.request({ op: "clear", session: b })).error, null);
  assert.equal((await ok("print('n' in globals(), (await echo(message='still'))['echo'])", b)).value, "False still");

  const empty = await host.request({ op: "restore", session: b, hex: "" });
  assert.equal(empty.error, null);
  const corrupt = await host.request({ op: "restore", session: b, hex: "00ff00ff" });
  assert.match(corrupt.error ?? "", /^Failed to restore state: /);
});
