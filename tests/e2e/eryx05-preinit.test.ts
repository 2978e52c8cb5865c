// A pre-initialised image of the eryx 0.5 world (`npm run link -- --world
// eryx-0.5 --preinit`, docs/eryx-0.5.md), run through the published eryx
// 0.5.0 crate (eryx-host/), which instantiates it afresh for every one-shot
// execute. What the image must guarantee: each instance starts where the
// snapshot left off (pre-imports loaded, objects immortal) and yet meets its
// own host: its callbacks, network policy, output handler, clocks and
// entropy, none of the pre-initialiser's stubs. Runs only with
// ERYX_AS_E2E_HOST=eryx05; the contract suites run on such an image with
// ERYX_AS_E2E_RUNTIME.

import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Host, hostKind, root, type Response } from "./host.ts";
import { link } from "../../link/pipeline.ts";
import { preinitialize } from "../../link/preinit.ts";

const skip = hostKind !== "eryx05" ? "the eryx 0.5 world only (ERYX_AS_E2E_HOST=eryx05)" : false;

const DIR = join(root, "build", "eryx05-preinit-e2e");
const NORMAL = join(DIR, "runtime-eryx-0.5.wasm");
const PREINIT = join(DIR, "runtime-eryx-0.5-preinit.wasm");
/**
 * `fractions` is not imported by the runtime's own start-up, so it witnesses
 * the pre-import; `random` seeds itself at import, so the per-instance
 * random numbers below witness the reseed.
 */
const PREIMPORTS = ["json", "re", "fractions", "random"];

function ok(r: Response): string {
  assert.equal(r.error, null, `expected Ok: ${r.error}`);
  return r.value!;
}

describe("a pre-initialised image of the eryx 0.5 world, through the eryx 0.5.0 crate", { skip }, () => {
  let host: Host;

  before(async () => {
    rmSync(DIR, { recursive: true, force: true });
    const result = await link({ root, world: "eryx-0.5", buildDir: join(DIR, "link"), output: NORMAL, preinit: { output: PREINIT, imports: PREIMPORTS } });
    assert.equal(result.preinit?.output, PREINIT);
    host = await Host.start(["--result-variable", "answer"], PREINIT);
  });

  after(async () => { await host?.close(); });

  test("execute-output, report-output and the result variable work from the image", async () => {
    const r = await host.execute("import sys\nprint(1 + 1)\nprint('e', file=sys.stderr)\nanswer = [1, 'a']");
    assert.equal(ok(r), "2");
    assert.equal(r.stderr, "e");
    assert.deepEqual(r.output, [[0, "2"], [0, "\n"], [1, "e"], [1, "\n"]]);
    assert.equal(r.result, '[1, "a"]');
  });

  test("the pre-imported modules are already loaded; others are not", async () => {
    assert.equal(ok(await host.execute("import sys\nprint([m in sys.modules for m in ('json', 're', 'fractions', 'csv')])")), "[True, True, True, False]");
  });

  test("finalize-preinit readied the image: its objects are immortal and frozen, user objects are not", async () => {
    const r = await host.execute([
      "import sys, gc, json",
      "print(sys._is_immortal(json), sys._is_immortal(json.dumps), gc.get_freeze_count() > 1000, sys._is_immortal([1]))",
    ].join("\n"));
    assert.equal(ok(r), "True True True False");
  });

  test("every one-shot execute is a fresh instance: no state, output, entropy or clock carried over", async () => {
    const code = [
      "import os, random, time",
      "print('x' in globals(), random.random(), os.urandom(8).hex(), time.time())",
      "x = 1",
    ].join("\n");
    const runs = [];
    for (let i = 0; i < 2; i++) {
      const before = Date.now() / 1000;
      const [stale, rnd, urandom, now] = ok(await host.execute(code)).split(" ");
      assert.equal(stale, "False", "a global of the previous execute leaked into this one");
      // The wall clock is the host's at execute time, not the pre-initialiser's.
      assert.ok(Math.abs(Number(now) - before) < 60, `time.time() ${now} is not now (${before})`);
      runs.push({ rnd, urandom });
    }
    assert.notEqual(runs[0].rnd, runs[1].rnd, "random was seeded in the image, not per instance");
    assert.notEqual(runs[0].urandom, runs[1].urandom);
  });

  test("callbacks are the host's, read at execute time (the pre-initialiser's list was empty)", async () => {
    const r = await host.execute("r = await echo(message='x')\nprint(r, sorted(c['name'] for c in list_callbacks())[:3])");
    assert.equal(ok(r), "{'echo': 'x'} ['add', 'defaults', 'echo']");
  });

  test("networking is the host's policy, not the pre-initialiser's stub", async () => {
    const r = await host.execute([
      "import socket",
      "try:",
      "    socket.create_connection(('127.0.0.1', 9))",
      "except PermissionError as e:",
      "    print(e.strerror)",
    ].join("\n"));
    assert.equal(ok(r), "not permitted: networking not enabled for this sandbox");
  });

  test("the stdlib is readable after the snapshot: listdir, and importing a module that was not pre-imported", async () => {
    const r = await host.execute("import os, csv, io\nprint('csv.py' in os.listdir('/python-stdlib'), list(csv.reader(io.StringIO('a,b'))))");
    assert.equal(ok(r), "True [['a', 'b']]");
  });

  test("a failing pre-import fails the stage for this world too and writes no component", async () => {
    const output = join(DIR, "runtime-eryx-0.5-preinit-bad.wasm");
    await assert.rejects(
      preinitialize({ root, input: NORMAL, output, stdlib: join(root, "dist", "python-stdlib"), imports: ["json", "no_such_module_xyz"], log: () => {} }),
      /importing json, no_such_module_xyz failed during pre-init: .*No module named 'no_such_module_xyz'/s,
    );
    assert.equal(existsSync(output), false);
  });
});
