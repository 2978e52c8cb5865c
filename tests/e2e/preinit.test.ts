// Pre-initialisation (docs/contract.md §10, docs/toolchain.md §7): the pipeline
// (`link()` with `preinit`, what `npm run link -- --preinit --preimport …`
// runs) writes a normal component and a pre-initialised copy into
// build/preinit-e2e/; the copy is run through the reference host like the
// normal one. How much sooner it answers is measured by `npm run bench`.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Host, freshSession, root, type Response } from "./host.ts";
import { link } from "../../link/pipeline.ts";
import { preinitialize } from "../../link/preinit.ts";

const DIR = join(root, "build", "preinit-e2e");
const NORMAL = join(DIR, "runtime.wasm");
const PREINIT = join(DIR, "runtime-preinit.wasm");
/**
 * `fractions` is not imported by the runtime's own start-up, so it witnesses
 * the pre-import; `random` seeds itself at import, so it witnesses the reseed.
 */
const PREIMPORTS = ["json", "re", "fractions", "random"];

let host: Host;

before(async () => {
  rmSync(DIR, { recursive: true, force: true });
  const result = await link({ root, buildDir: join(DIR, "link"), output: NORMAL, preinit: { output: PREINIT, imports: PREIMPORTS } });
  assert.equal(result.preinit?.output, PREINIT);
  assert.deepEqual(result.preinit?.imports, PREIMPORTS);
  host = await Host.start([], PREINIT);
});

after(async () => { await host?.close(); });

async function ok(code: string, session?: string): Promise<Response> {
  const r = await host.execute(code, session);
  assert.equal(r.error, null, `expected Ok for ${JSON.stringify(code)}:\n${r.error}`);
  return r;
}

test("print(1+1) in a fresh instance of the pre-initialised image", async () => {
  const r = await ok("print(1+1)");
  assert.equal(r.value, "2");
  assert.equal(typeof r.instantiate_ms, "number");
});

test("the pre-imported modules are already loaded; others are not", async () => {
  const r = await ok("import sys\nprint([m in sys.modules for m in ('json', 're', 'fractions', 'csv')])");
  assert.equal(r.value, "[True, True, True, False]");
  const f = await ok("from fractions import Fraction\nprint(Fraction(1, 3) + Fraction(1, 6))");
  assert.equal(f.value, "1/2");
});

test("a module that seeded itself in the image is reseeded in each fresh instance", async () => {
  const code = "import sys, random\nprint('random' in sys.modules, random.random())";
  const [first, second] = [(await ok(code)).value, (await ok(code)).value];
  assert.match(first ?? "", /^True 0\.\d+$/);
  assert.notEqual(first, second, "every instance drew the image's random numbers");
});

test("host callbacks are read at execute time, not frozen at pre-init (where the list was empty)", async () => {
  const r = await ok("r = await echo(message='x')\nprint(r)");
  assert.equal(r.value, "{'echo': 'x'}");
  assert.deepEqual(r.callbacks.map((c) => [c.name, JSON.parse(c.args)]), [["echo", { message: "x" }]]);
  const listed = await ok("print(sorted(c['name'] for c in list_callbacks())[:3])");
  assert.equal(listed.value, "['add', 'defaults', 'echo']");
});

test("the image's objects are immortal and frozen; what user code creates is ordinary", async () => {
  const image = await ok([
    "import sys, gc, json",
    "print(sys._is_immortal(sys.modules), sys._is_immortal(json), sys._is_immortal(json.dumps), gc.get_freeze_count() > 1000)",
  ].join("\n"));
  assert.equal(image.value, "True True True True");
  const user = await ok([
    "import sys, weakref",
    "class C: pass",
    "c = C()",
    "gone = []",
    "ref = weakref.ref(c, lambda r: gone.append(1))",
    "del c",
    "print(sys._is_immortal(C), sys._is_immortal([1]), sys._is_immortal(lambda: 0), gone)",
  ].join("\n"));
  assert.equal(user.value, "False False False [1]");
  // Image objects still work as objects: mutate them, drop them, collect.
  const use = await ok([
    "import sys, gc, json",
    "json.eryx_marker = 1",
    "del sys.modules['json']",
    "import json as again",
    "print(again is json, gc.collect() >= 0, json.dumps({'a': [1, 2]}))",
  ].join("\n"));
  assert.equal(use.value, "False True {\"a\": [1, 2]}");
});

test("the stdlib is readable after restore: listdir and importing a module that was not pre-imported", async () => {
  const r = await ok([
    "import os",
    "names = os.listdir('/python-stdlib')",
    "print('encodings' in names, 'csv.py' in names)",
    "import csv, io",
    "rows = list(csv.reader(io.StringIO('a,b\\n1,2\\n')))",
    "print(rows)",
    "with open('/python-stdlib/csv.py') as f:",
    "    print(len(f.read()) > 1000)",
  ].join("\n"));
  assert.equal(r.value, "True True\n[['a', 'b'], ['1', '2']]\nTrue");
});

test("a session keeps state; snapshot, restore into another session, clear", async () => {
  const a = freshSession("preinit");
  await ok("x = 41\ndef f(y):\n    return x + y", a);
  assert.equal((await ok("print(f(1))", a)).value, "42");
  const snap = await host.request({ op: "snapshot", session: a });
  assert.equal(snap.error, null);
  const b = freshSession("preinit");
  const restored = await host.request({ op: "restore", session: b, hex: snap.value! });
  assert.equal(restored.error, null);
  assert.equal((await ok("import csv\nprint(x, f(2), csv.__name__)", b)).value, "41 43 csv");
  const cleared = await host.request({ op: "clear", session: b });
  assert.equal(cleared.error, null);
  assert.equal((await ok("print('x' in globals())", b)).value, "False");
  await host.request({ op: "drop", session: a });
  await host.request({ op: "drop", session: b });
});

test("a failing pre-import fails the stage and writes no component", async () => {
  const output = join(DIR, "runtime-preinit-bad.wasm");
  await assert.rejects(
    preinitialize({ root, input: NORMAL, output, stdlib: join(root, "dist", "python-stdlib"), imports: ["json", "no_such_module_xyz"], log: () => {} }),
    /importing json, no_such_module_xyz failed during pre-init: .*No module named 'no_such_module_xyz'/s,
  );
  assert.equal(existsSync(output), false);
});
