// Timers, beyond the original runtime (docs/contract.md §6, §12): they run
// on the WASI monotonic clock with no new import. Durations are checked only
// as lower bounds (an upper bound is a benchmark's business, not a test's).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Host } from "./host.ts";

let host: Host;
before(async () => { host = await Host.start(); });
after(async () => { await host.close(); });

async function ok(code: string) {
  const r = await host.execute(code);
  assert.equal(r.error, null, `expected Ok for ${JSON.stringify(code)}`);
  return r.value!;
}

test("asyncio.sleep(t) waits at least t", async () => {
  const out = await ok("import asyncio, time\nt = time.monotonic()\nawait asyncio.sleep(0.05)\nprint(time.monotonic() - t >= 0.05)");
  assert.equal(out, "True");
});

test("loop.time() advances and call_later / call_at fire in order", async () => {
  const code = [
    "import asyncio",
    "loop = asyncio.get_running_loop()",
    "order = []",
    "done = loop.create_future()",
    "t0 = loop.time()",
    "loop.call_later(0.03, order.append, 'later')",
    "loop.call_at(t0 + 0.01, order.append, 'at')",
    "loop.call_later(0.04, done.set_result, None)",
    "await done",
    "print(order, loop.time() - t0 >= 0.04)",
  ].join("\n");
  assert.equal(await ok(code), "['at', 'later'] True");
});

test("asyncio.wait_for times out a slow host callback", async () => {
  const out = await ok("import asyncio\ntry:\n    await asyncio.wait_for(sleep(ms=2000), timeout=0.05)\nexcept TimeoutError:\n    print('timed out')");
  assert.equal(out, "timed out");
});

test("asyncio.timeout() around a pure timer and around a callback", async () => {
  const out = await ok([
    "import asyncio",
    "try:",
    "    async with asyncio.timeout(0.02):",
    "        await asyncio.sleep(1)",
    "except TimeoutError:",
    "    print('timer timed out')",
    "async with asyncio.timeout(1):",
    "    print(await echo(message='in time'))",
  ].join("\n"));
  assert.equal(out, "timer timed out\n{'echo': 'in time'}");
});

test("a timer that fires while host callbacks are pending wakes the code in time", async () => {
  // sleep(ms=300) is pending on the host; the 50 ms timer must still fire first.
  const out = await ok([
    "import asyncio",
    "order = []",
    "async def timer():",
    "    await asyncio.sleep(0.05)",
    "    order.append('timer')",
    "async def host():",
    "    await sleep(ms=300)",
    "    order.append('host')",
    "await asyncio.gather(host(), timer())",
    "print(order)",
  ].join("\n"));
  assert.equal(out, "['timer', 'host']");
});

test("a host callback's result is not held back by a later timer", async () => {
  // Regression: with a timer pending, the runtime must still see the callback
  // return (POLL, not YIELD): the 5 s timer must still be pending when it does.
  const out = await ok([
    "import asyncio",
    "later = asyncio.create_task(asyncio.sleep(5))",
    "r = await echo(message='prompt')",
    "print(r, later.done())",
    "later.cancel()",
  ].join("\n"));
  assert.equal(out, "{'echo': 'prompt'} False");
});
