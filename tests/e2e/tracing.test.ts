// Tracing (docs/contract.md §7): the exact `report-trace` event sequences the host
// receives. The reference sequences are what CPython's `sys.settrace` reports
// for the same code (checked against CPython 3.13's settrace; 3.14 traces
// these constructs the same way), filtered to `<user>` frames.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Host, freshSession, type Response, type TraceEvent, world } from "./host.ts";

let host: Host;
before(async () => { host = await Host.start(); });
after(async () => { await host.close(); });

/** One event as `type:function-or-callback@lineno`. */
function short(t: TraceEvent): string {
  const name = t.event.function ?? t.event.name ?? "";
  return `${t.event.type}:${name}@${t.lineno}`;
}

function shortTrace(r: Response): string[] {
  return r.trace.map(short);
}

/**
 * An event as the host's trace handler gets it. The eryx 0.5 crate parses each
 * report-trace event into its TraceEventKind before any handler sees it
 * (eryx-host/ serialises that): type, function, name and message survive, an
 * exception's exception_type and a callback's error do not, and callback_end
 * gains duration_ms (0: the crate does not time it).
 */
function seen(t: TraceEvent): TraceEvent {
  if (world !== "eryx-0.5") return t;
  const { exception_type: _type, error: _error, ...event } = t.event;
  return { ...t, event: event.type === "callback_end" ? { ...event, duration_ms: 0 } : event };
}

async function run(code: string): Promise<Response> {
  const r = await host.execute(code);
  assert.equal(r.error, null, `unexpected error for ${JSON.stringify(code)}`);
  assert.equal(r.ok, true);
  return r;
}

test("x = 1 traces call, line, return of <module> with the exact JSON", async () => {
  const r = await run("x = 1");
  assert.deepEqual(r.trace, [
    { lineno: 0, event: { type: "call", function: "<module>" }, context: null },
    { lineno: 1, event: { type: "line" }, context: null },
    { lineno: 1, event: { type: "return", function: "<module>" }, context: null },
  ]);
});

const ONE_AWAIT = ["call:<module>@0", "line:@1", "callback_start:echo@0", "return:<module>@1", "callback_end:echo@0"];

test("an awaited callback: call, line, callback_start (kwargs as context), return, callback_end", async () => {
  // The host answers `echo` through a channel; the spec's sequence is the
  // target whether or not the answer happens to be ready on the first poll,
  // so it is checked over several runs.
  for (let i = 0; i < 10; i++) {
    const r = await run('result = await echo(message="hi")');
    assert.deepEqual(shortTrace(r), ONE_AWAIT, `run ${i}`);
    assert.deepEqual(r.trace[2], { lineno: 0, event: { type: "callback_start", name: "echo" }, context: { message: "hi" } });
    assert.deepEqual(r.trace[4], seen({ lineno: 0, event: { type: "callback_end", name: "echo" }, context: null }));
  }
});

test("a second sequential await adds only callback_start and callback_end", async () => {
  for (let i = 0; i < 10; i++) {
    const r = await run('a = await echo(message="a")\nb = await echo(message="b")');
    assert.deepEqual(shortTrace(r), [...ONE_AWAIT, "callback_start:echo@0", "callback_end:echo@0"], `run ${i}`);
    assert.deepEqual(r.trace[5].context, { message: "b" });
  }
});

test("a callback that is certainly pending (sleep) gives the spec's sequence", async () => {
  const r = await run("r = await sleep(ms=20)");
  assert.deepEqual(shortTrace(r), ["call:<module>@0", "line:@1", "callback_start:sleep@0", "return:<module>@1", "callback_end:sleep@0"]);
  assert.deepEqual(r.trace[2].context, { ms: 20 });
});

test("after the first suspension only callback events are traced (two sleeps)", async () => {
  const r = await run("r = await sleep(ms=20)\nq = await sleep(ms=5)\nz = 1");
  assert.deepEqual(shortTrace(r), [
    "call:<module>@0", "line:@1", "callback_start:sleep@0", "return:<module>@1", "callback_end:sleep@0",
    "callback_start:sleep@0", "callback_end:sleep@0",
  ]);
  assert.deepEqual(r.trace[5].context, { ms: 5 });
});

test("a function call: call/line/return of the function inside the module's", async () => {
  const r = await run("def f(a):\n    return a + 1\ny = f(1)");
  assert.deepEqual(shortTrace(r), [
    "call:<module>@0", "line:@1", "line:@3", "call:f@1", "line:@2", "return:f@2", "return:<module>@3",
  ]);
});

test("functions whose name starts with _ are not reported, nor their lines", async () => {
  const r = await run("def _g():\n    return 1\ndef h():\n    return _g()\nh()");
  assert.deepEqual(shortTrace(r), [
    "call:<module>@0", "line:@1", "line:@3", "line:@5", "call:h@3", "line:@4", "return:h@4", "return:<module>@5",
  ]);
});

test("a raised and caught exception is an exception event at its line", async () => {
  const r = await run("try:\n    raise ValueError('boom')\nexcept ValueError:\n    pass");
  assert.deepEqual(shortTrace(r), [
    "call:<module>@0", "line:@1", "line:@2", "exception:@2", "line:@3", "line:@4", "return:<module>@4",
  ]);
  assert.deepEqual(r.trace[3], seen({
    lineno: 2,
    event: { type: "exception", exception_type: "ValueError", message: "boom" },
    context: null,
  }));
});

test("an exception passing through a function is reported in each traced frame", async () => {
  const r = await run("def f():\n    raise KeyError('k')\ntry:\n    f()\nexcept KeyError:\n    pass");
  assert.deepEqual(shortTrace(r), [
    "call:<module>@0", "line:@1", "line:@3", "line:@4", "call:f@1", "line:@2", "exception:@2", "return:f@2",
    "exception:@4", "line:@5", "line:@6", "return:<module>@6",
  ]);
  assert.deepEqual(r.trace[6].event, seen({ lineno: 2, event: { type: "exception", exception_type: "KeyError", message: "'k'" }, context: null }).event);
});

test("a failing callback: callback_end carries the host's error", async () => {
  const r = await run("try:\n    r = await fail(message='nope')\nexcept RuntimeError as e:\n    print(e)");
  assert.equal(r.value, "execution failed: nope");
  const callbackEvents = r.trace.filter((t) => String(t.event.type).startsWith("callback_"));
  assert.deepEqual(callbackEvents, [
    { lineno: 0, event: { type: "callback_start", name: "fail" }, context: { message: "nope" } },
    { lineno: 0, event: { type: "callback_end", name: "fail", error: "execution failed: nope" }, context: null },
  ].map(seen));
});

test("an uncaught failing callback still emits callback_end with the error", async () => {
  const r = await host.execute("r = await fail(message='nope')");
  assert.equal(r.ok, false);
  assert.match(r.error!, /RuntimeError: execution failed: nope/);
  const ends = r.trace.filter((t) => t.event.type === "callback_end");
  assert.deepEqual(ends, [
    { lineno: 0, event: { type: "callback_end", name: "fail", error: "execution failed: nope" }, context: null },
  ].map(seen));
});

test("library code adds no events from outside <user>", async () => {
  const r = await run("import json\njson.dumps([1])");
  assert.deepEqual(shortTrace(r), ["call:<module>@0", "line:@1", "line:@2", "return:<module>@2"]);
});

test("a compile error produces no events", async () => {
  const r = await host.execute("x = (");
  assert.equal(r.ok, false);
  assert.match(r.error!, /SyntaxError/);
  assert.deepEqual(r.trace, []);
});

test("a for loop reports its lines once per iteration, as settrace does", async () => {
  const r = await run("for i in range(3):\n    x = i");
  assert.deepEqual(shortTrace(r), [
    "call:<module>@0", "line:@1",
    "line:@2", "line:@1",
    "line:@2", "line:@1",
    "line:@2", "line:@1",
    "return:<module>@1",
  ]);
});

test("a while loop reports its lines once per iteration, as settrace does", async () => {
  const r = await run("n = 0\nwhile n < 2:\n    n += 1");
  assert.deepEqual(shortTrace(r), [
    "call:<module>@0", "line:@1", "line:@2", "line:@3", "line:@2", "line:@3", "line:@2", "return:<module>@2",
  ]);
});

test("an inlined list comprehension repeats its line per iteration, as settrace does", async () => {
  const r = await run("x = [i for i in range(2)]");
  assert.deepEqual(shortTrace(r), ["call:<module>@0", "line:@1", "line:@1", "line:@1", "return:<module>@1"]);
});

test("a generator: each resume is a call, each yield a return", async () => {
  const r = await run("def g():\n    yield 1\n    yield 2\nfor v in g():\n    pass");
  assert.deepEqual(shortTrace(r), [
    "call:<module>@0", "line:@1", "line:@4",
    "call:g@1", "line:@2", "return:g@2", "line:@5", "line:@4",
    "call:g@2", "line:@3", "return:g@3", "line:@5", "line:@4",
    "call:g@3", "return:g@3",
    "return:<module>@4",
  ]);
});

test("a traced loop of 10^6 iterations computes the right result with a complete trace", async () => {
  const r = await run("n = 0\nfor i in range(1000000):\n    n += i\nprint(n)");
  assert.equal(r.value, "499999500000");
  // settrace: call, line@1, (line@2, line@3) per iteration, final line@2, line@4, return.
  assert.equal(r.trace.length, 2 + 2 * 1_000_000 + 3);
  assert.deepEqual(r.trace.slice(0, 6).map(short), ["call:<module>@0", "line:@1", "line:@2", "line:@3", "line:@2", "line:@3"]);
  assert.deepEqual(r.trace.slice(-3).map(short), ["line:@2", "line:@4", "return:<module>@4"]);
});

test("a long untraced part after a suspension is not traced, and the next run of the session is traced again", async () => {
  const session = freshSession("trace-idle");
  // 5000 loop iterations after the first suspension: past the runtime's limit of
  // ignored user-code events, after which it switches the events off for the run.
  const code = "r = await sleep(ms=5)\nn = 0\nfor i in range(5000):\n    n += i\ndef f():\n    return n\nprint(f())";
  const a = await host.execute(code, session);
  assert.equal(a.ok, true, a.error ?? "");
  assert.equal(a.value, "12497500");
  assert.deepEqual(shortTrace(a), ["call:<module>@0", "line:@1", "callback_start:sleep@0", "return:<module>@1", "callback_end:sleep@0"]);
  const b = await host.execute("m = f()", session);
  assert.equal(b.ok, true, b.error ?? "");
  assert.deepEqual(shortTrace(b), ["call:<module>@0", "line:@1", "call:f@5", "line:@6", "return:f@6", "return:<module>@1"]);
});
