// The library API (node-host/README.md, Library API): typed options, async JS callbacks with a
// description and a JSON schema, a trace handler, sessions that keep state,
// snapshot/restore/clear, errors with the traceback.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Sandbox, ExecutionError, CallbackError, type Callback, type TraceEvent } from "../src/index.ts";
import { runtime, stdlib } from "./helpers.ts";

const lookups: string[] = [];
const weather: Callback = {
  name: "weather.today",
  description: "Today's weather in a city.",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  handler: async ({ city }) => {
    lookups.push(String(city));
    await new Promise((r) => setTimeout(r, 5));
    if (city === "Atlantis") throw new CallbackError("failed", "no such city");
    return { city, sky: "clear", celsius: 21.5 };
  },
};

const events: TraceEvent[] = [];
let sb: Sandbox;
before(async () => {
  sb = await Sandbox.create({ runtime, stdlib, callbacks: [weather], trace: (e) => events.push(e) });
});
after(async () => { await sb.close(); });

test("execute returns stdout; state is kept between calls", async () => {
  assert.deepEqual((await sb.execute("x = 40\nprint('set')")).stdout, "set");
  assert.equal((await sb.execute("print(x + 2)")).stdout, "42");
});

test("a Python error rejects with ExecutionError carrying the traceback", async () => {
  await assert.rejects(sb.execute("def f():\n    raise KeyError('k')\nf()"), (e: unknown) => {
    assert.ok(e instanceof ExecutionError);
    assert.match(e.message, /Traceback \(most recent call last\):/);
    assert.match(e.message, /File "<user>", line 3, in <module>/);
    assert.match(e.message, /KeyError: 'k'\n$/);
    return true;
  });
});

test("an async JS callback is awaited from Python; list_callbacks() shows its description and schema", async () => {
  const r = await sb.execute("w = await weather.today(city='Oslo')\nprint(w['sky'], w['celsius'])\nimport json\nprint(json.dumps(list_callbacks()))");
  const [line, listing] = r.stdout.split("\n");
  assert.equal(line, "clear 21.5");
  assert.deepEqual(JSON.parse(listing), [{ name: "weather.today", description: "Today's weather in a city.", parameters_schema: weather.parameters }]);
  assert.deepEqual(r.callbacks.map((c) => [c.name, JSON.parse(c.args)]), [["weather.today", { city: "Oslo" }]]);
  assert.ok(lookups.includes("Oslo"));
  const failed = await sb.execute("try:\n    await weather.today(city='Atlantis')\nexcept RuntimeError as e:\n    print(e)");
  assert.equal(failed.stdout, "execution failed: no such city");
});

test("gather of 100 callbacks: all 100 are in flight at once", async () => {
  // Each call waits until all 100 have arrived: this finishes only if the
  // host runs them concurrently (else the 10 s callback timeout fails them).
  const gated = await Sandbox.create({
    runtime, stdlib, callbacks: [{
      name: "gate", description: "Returns i once 100 calls are waiting.", parameters: { type: "object", properties: { i: { type: "integer" } } },
      handler: ({ i }) => {
        waiting++;
        if (waiting === 100) release();
        return opened.then(() => i);
      },
    }],
  });
  let waiting = 0;
  let release!: () => void;
  const opened = new Promise<void>((r) => { release = r; });
  try {
    const r = await gated.execute("import asyncio\nrs = await asyncio.gather(*(gate(i=i) for i in range(100)))\nprint(sum(rs))");
    assert.equal(r.stdout, String((99 * 100) / 2));
    assert.equal(r.callbacks.length, 100);
  } finally {
    await gated.close();
  }
});

test("the trace handler receives eryx's trace events as they happen", async () => {
  events.length = 0;
  await sb.execute("a = 1\nb = await weather.today(city='Rome')");
  const types = events.map((e) => (e.event as { type: string }).type);
  assert.ok(types.includes("line") && types.includes("callback_start") && types.includes("callback_end"), types.join(","));
  const start = events.find((e) => (e.event as { type: string }).type === "callback_start")!;
  assert.deepEqual(start.context, { city: "Rome" });
});

test("snapshot, clear and restore", async () => {
  await sb.execute("kept = {'n': [1, 2, 3]}\ndef double(v):\n    return v * 2");
  const snap = await sb.snapshot();
  assert.ok(snap instanceof Uint8Array && snap.length > 0);
  await sb.clear();
  assert.match((await sb.executeReport("print(kept)")).error!, /NameError/);
  await sb.restore(snap);
  assert.equal((await sb.execute("print(kept['n'], double(21))")).stdout, "[1, 2, 3] 42");
  await assert.rejects(sb.restore(new Uint8Array([1, 2, 3])), /Failed to restore state/);
});
