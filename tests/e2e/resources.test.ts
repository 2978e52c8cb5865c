// Resource behaviour (docs/contract.md §11): memory stays bounded over many executes
// in one session. This asserts memory, not time.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Host, freshSession } from "./host.ts";

let host: Host;
before(async () => { host = await Host.start(); });
after(async () => { await host.close(); });

test("10,000 executes in one session (every tenth awaiting a callback) keep linear memory bounded", async () => {
  const s = freshSession();
  await host.execute("n = 0", s);
  let afterWarmup = 0;
  let last = 0;
  for (let i = 1; i <= 10_000; i++) {
    const code = i % 10 === 0 ? "n += 1\nr = await echo(message=str(n))" : "n += 1\nrows = [str(k) * 3 for k in range(50)]\nprint(len(rows))";
    const r = await host.execute(code, s);
    assert.equal(r.ok, true, r.error ?? "");
    if (i === 1_000) afterWarmup = r.peak_memory_bytes;
    last = r.peak_memory_bytes;
  }
  assert.equal((await host.execute("print(n)", s)).value, "10000");
  const growth = last - afterWarmup;
  assert.ok(growth <= 1 << 20, `linear memory grew by ${growth} bytes between execute 1,000 and 10,000`);
});
