// Isolation (node-host/README.md, Isolation): every sandbox runs in its own worker thread, so a
// runaway loop or a trap ends that worker and nothing else. Durations are
// reported as diagnostics, not asserted (npm run bench measures them).

import { test } from "node:test";
import assert from "node:assert/strict";
import { Sandbox, SandboxLostError } from "../src/index.ts";
import { runtime, stdlib } from "./helpers.ts";

test("while True: pass with a 1 s timeout is a timeout error; this process and another sandbox go on", async (t) => {
  const [runaway, other] = await Promise.all([
    Sandbox.create({ runtime, stdlib, timeoutMs: 1000 }),
    Sandbox.create({ runtime, stdlib }),
  ]);
  try {
    await other.execute("kept = 'state of the other sandbox'");
    const started = performance.now();
    const [loop, meanwhile] = await Promise.allSettled([
      runaway.execute("while True:\n    pass"),
      other.execute("import asyncio\nawait asyncio.sleep(0.2)\nprint(kept)"),
    ]);
    const seconds = (performance.now() - started) / 1000;
    t.diagnostic(`timeout error after ${seconds.toFixed(2)} s`);
    assert.equal(loop.status, "rejected");
    const err = (loop as PromiseRejectedResult).reason;
    assert.ok(err instanceof SandboxLostError, String(err));
    assert.equal(err.kind, "timeout");
    assert.equal(err.message, "Execution timed out after 1s");
    // The other sandbox ran while the loop spun, and still runs.
    assert.deepEqual(meanwhile, { status: "fulfilled", value: (meanwhile as PromiseFulfilledResult<never>).value });
    assert.equal((meanwhile as PromiseFulfilledResult<{ stdout: string }>).value.stdout, "state of the other sandbox");
    assert.equal((await other.execute("print(kept)")).stdout, "state of the other sandbox");
    // The timed-out sandbox starts a fresh instance on its next call; its state is gone.
    assert.equal((await runaway.execute("print(1 + 1)")).stdout, "2");
    assert.match((await runaway.executeReport("print(x)")).error!, /NameError/);
  } finally {
    await Promise.all([runaway.close(), other.close()]);
  }
});

test("the memory cap: growing past it is a MemoryError and the instance recovers; without a cap the same allocation succeeds", async () => {
  const capped = await Sandbox.create({ runtime, stdlib, memoryLimitBytes: 64 * 1024 * 1024 });
  const uncapped = await Sandbox.create({ runtime, stdlib, memoryLimitBytes: null });
  try {
    const code = "try:\n    b = bytearray(100 * 1024 * 1024)\n    print('allocated', len(b))\nexcept MemoryError:\n    print('MemoryError')";
    assert.equal((await capped.execute(code)).stdout, "MemoryError");
    assert.equal((await capped.execute("print(len(bytearray(1024)))")).stdout, "1024");
    const r = await uncapped.execute(code);
    assert.equal(r.stdout, `allocated ${100 * 1024 * 1024}`);
    assert.ok(r.peakMemoryBytes > 100 * 1024 * 1024, String(r.peakMemoryBytes));
  } finally {
    await Promise.all([capped.close(), uncapped.close()]);
  }
});

test("a callback that never settles is abandoned at the callback timeout, as 'timeout'", async () => {
  const sb = await Sandbox.create({
    runtime, stdlib, callbackTimeoutMs: 200,
    callbacks: [{ name: "hang", description: "Never answers.", parameters: { type: "object", properties: {} }, handler: () => new Promise(() => {}) }],
  });
  try {
    const r = await sb.execute("try:\n    await hang()\nexcept RuntimeError as e:\n    print(e)");
    assert.equal(r.stdout, "timeout");
  } finally {
    await sb.close();
  }
});
