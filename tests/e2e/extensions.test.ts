// Native extensions end to end (docs/native-extensions.md): two extension modules, one written
// in AssemblyScript with our own toolchain and one in C with clang 19, put in
// a site-packages directory, linked by the pipeline (`link()` with the
// extensions that `--site-packages` finds) into build/runtime-ext.wasm, then
// imported and called in the reference host, which mounts the same directory
// at /site-packages-0.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync, execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Host, freshSession, root } from "./host.ts";
import { collectExtensions } from "../../link/extensions.ts";
import { link, linkedMemoryBases } from "../../link/pipeline.ts";
import { wasmToolsPath } from "../../link/tools.ts";
import { AS_DEMO_FILE, buildDemoExtensions, C_DEMO_FILE } from "../fixtures/demo-extensions.ts";

const DIR = join(root, "build", "ext-e2e");
const SITE_PACKAGES = join(DIR, "site-packages");
/** Mounted as /site-packages-1 but never linked. */
const UNLINKED = join(DIR, "unlinked");
const OUTPUT = join(root, "build", "runtime-ext.wasm");
const AS_GUEST = `/site-packages-0/${AS_DEMO_FILE}`;
const C_GUEST = `/site-packages-0/demo_pkg/${C_DEMO_FILE}`;

let host: Host;

before(async () => {
  rmSync(DIR, { recursive: true, force: true });
  const built = await buildDemoExtensions(join(DIR, "built"), (line) => process.stdout.write(`${line}\n`));
  mkdirSync(join(SITE_PACKAGES, "demo_pkg"), { recursive: true });
  copyFileSync(built.asDemo, join(SITE_PACKAGES, AS_DEMO_FILE));
  copyFileSync(built.cDemo, join(SITE_PACKAGES, "demo_pkg", C_DEMO_FILE));
  writeFileSync(join(SITE_PACKAGES, "demo_pkg", "__init__.py"), "KIND = 'a package with a C extension inside'\n");
  writeFileSync(join(SITE_PACKAGES, "pure_helper.py"), "def twice(x):\n    return 2 * x\n");
  mkdirSync(UNLINKED, { recursive: true });
  copyFileSync(built.cDemo, join(UNLINKED, C_DEMO_FILE));

  const extensions = collectExtensions({ sitePackages: [SITE_PACKAGES] });
  assert.deepEqual(extensions.map((e) => e.guestPath), [C_GUEST, AS_GUEST]); // sorted by path
  await link({ root, buildDir: join(DIR, "link"), output: OUTPUT, extensions });
  host = await Host.start(["--site-packages", SITE_PACKAGES, "--site-packages", UNLINKED], OUTPUT);
});

after(async () => { await host?.close(); });

async function run(code: string, session?: string): Promise<string> {
  const r = await host.execute(code, session);
  assert.equal(r.error, null, `unexpected error:\n${r.error}`);
  return r.value!;
}

test("both libraries are in the component under their guest paths, each with its own static data", () => {
  const bases = linkedMemoryBases(wasmToolsPath(root), OUTPUT);
  const [asBase, cBase, runtimeBase] = [AS_GUEST, C_GUEST, "liberyx_runtime.so"].map((library) => bases.get(library)!);
  assert.ok(asBase > runtimeBase && cBase > runtimeBase, `runtime ${runtimeBase}, eryx_as_demo ${asBase}, c_demo ${cBase}`);
  assert.notEqual(asBase, cBase);
});

test("eryx_as_demo imports from /site-packages-0 and its static module definition reads back", async () => {
  assert.equal(await run("import eryx_as_demo as d\nprint(d.__name__, d.__file__)\nprint(d.__doc__)\nprint(sorted(n for n in dir(d) if not n.startswith('_')))"),
    `eryx_as_demo ${AS_GUEST}\nA CPython extension module written in AssemblyScript (eryx-as test fixture).\n['add', 'call', 'fail', 'shout']`);
  assert.equal(await run("import eryx_as_demo as d\nfor f in (d.add, d.shout, d.fail, d.call): print(f.__name__, '|', f.__doc__)"), [
    "add | add(a, b) -> int: the sum of two ints.",
    "shout | shout(s: str) -> bytes: s upper-cased, as UTF-8.",
    "fail | fail(msg): raise ValueError(msg).",
    "call | call(f, x): return f(x).",
  ].join("\n"));
});

test("eryx_as_demo.add adds ints, with TypeError and OverflowError where C would", async () => {
  assert.equal(await run("import eryx_as_demo as d\nprint(d.add(2, 40), d.add(-7, 3), d.add(2**62, 2**62 - 1), type(d.add(1, 1)).__name__)"),
    `42 -4 ${2n ** 63n - 1n} int`);
  const errors = await run([
    "import eryx_as_demo as d",
    "for args in [(1,), (1, 2, 3), ('a', 1), (2**62, 2**62), (2**64, 0)]:",
    "    try:",
    "        d.add(*args)",
    "    except Exception as e:",
    "        print(type(e).__name__, e)",
  ].join("\n"));
  const lines = errors.split("\n");
  assert.equal(lines.length, 5, errors);
  assert.equal(lines[0], "TypeError add() takes exactly 2 arguments");
  assert.equal(lines[1], "TypeError add() takes exactly 2 arguments");
  assert.match(lines[2], /^TypeError /);
  assert.equal(lines[3], "OverflowError add(): the sum does not fit in a signed 64-bit int");
  assert.match(lines[4], /^OverflowError /);
});

test("eryx_as_demo.shout returns upper-cased UTF-8 bytes, like str.upper().encode()", async () => {
  const out = await run([
    "import eryx_as_demo as d",
    "for s in ['hello', '', 'wörld', 'Grüße, straße!', 'ǆemal ﬁx', 'ßüñ 😀 abc']:",
    "    got = d.shout(s)",
    "    print(type(got).__name__, got == s.upper().encode(), got)",
  ].join("\n"));
  assert.equal(out, [
    "bytes True b'HELLO'",
    "bytes True b''",
    "bytes True b'W\\xc3\\x96RLD'",
    "bytes True b'GR\\xc3\\x9cSSE, STRASSE!'",
    "bytes True b'\\xc7\\x84EMAL FIX'",
    "bytes True b'SS\\xc3\\x9c\\xc3\\x91 \\xf0\\x9f\\x98\\x80 ABC'",
  ].join("\n"));
  assert.equal(await run("import eryx_as_demo as d\ntry:\n    d.shout(b'x')\nexcept TypeError as e:\n    print(e)"), "shout() argument must be str");
});

test("eryx_as_demo.fail raises ValueError with the message (caught, and as the execute error)", async () => {
  assert.equal(await run("import eryx_as_demo as d\ntry:\n    d.fail('boom')\nexcept ValueError as e:\n    print(type(e).__name__, e.args)"), "ValueError ('boom',)");
  const r = await host.execute("import eryx_as_demo\neryx_as_demo.fail('uncaught from AssemblyScript')");
  assert.equal(r.ok, false);
  assert.match(r.error!, /File "<user>", line 2, in <module>/);
  assert.match(r.error!, /ValueError: uncaught from AssemblyScript\n$/);
});

test("eryx_as_demo.call calls back into Python (and into itself), exceptions propagate", async () => {
  assert.equal(await run([
    "import eryx_as_demo as d",
    "print(d.call(lambda x: x * 2, 21))",
    "print(d.call(lambda x: d.add(x, 1), 41))",
    "print(d.call(d.shout, 'nested'))",
    "print(d.call(lambda x: d.call(str.title, x), 'deep call chain'))",
    "class Box:\n    def __init__(self, v): self.v = v",
    "print(d.call(Box, [1, 2]).v)",
    "d.call(print, 'printed from a callback')",
  ].join("\n")), "42\n42\nb'NESTED'\nDeep Call Chain\n[1, 2]\nprinted from a callback");
  assert.equal(await run([
    "import eryx_as_demo as d",
    "def bad(x):\n    raise KeyError(x)",
    "try:\n    d.call(bad, 'k')\nexcept KeyError as e:\n    print('KeyError', e.args, e.__traceback__.tb_next.tb_frame.f_code.co_name)",
    "try:\n    d.call(d.fail, 'via call')\nexcept ValueError as e:\n    print('ValueError', e)",
    "try:\n    d.call(1)\nexcept TypeError as e:\n    print('TypeError', e)",
  ].join("\n")), "KeyError ('k',) bad\nValueError via call\nTypeError call() takes exactly 2 arguments (f, x)");
});

test("c_demo (clang) imports from a package, with its module constant", async () => {
  assert.equal(await run("import demo_pkg\nfrom demo_pkg import c_demo\nprint(c_demo.__name__, c_demo.__file__)\nprint(c_demo.__doc__)\nprint(c_demo.ANSWER, demo_pkg.KIND)"),
    `demo_pkg.c_demo ${C_GUEST}\nA CPython extension module in C, built with clang for wasm32 (eryx-as test fixture).\n42 a package with a C extension inside`);
  assert.equal(await run("from demo_pkg import c_demo\nfor f in (c_demo.add, c_demo.greet, c_demo.fail, c_demo.call, c_demo.counter): print(f.__name__, '|', f.__doc__)"), [
    "add | add(a, b) -> int",
    "greet | greet(name) -> str",
    "fail | fail(msg): raise ValueError(msg)",
    "call | call(f, x) -> f(x)",
    "counter | counter() -> number of calls so far",
  ].join("\n"));
});

test("c_demo: every function, the exception path and the callback path", async () => {
  assert.equal(await run([
    "from demo_pkg import c_demo as c",
    "print(c.add(40, 2), c.add(-1, -1))",
    "print(c.greet('wasm'), c.greet('wörld ✓'))",
    "print(c.call(lambda x: x + 1, 41), c.call(c.greet, 'callback'), c.call(lambda s: c.call(str.upper, s), 'nested'))",
    "print(c.counter(), c.counter(), c.counter())",
    "try:\n    c.fail('from C')\nexcept ValueError as e:\n    print('ValueError', e.args)",
    "try:\n    c.add(2**31 - 1, 1)\nexcept ValueError as e:\n    print('ValueError', e)",
    "try:\n    c.add(2**40, 0)\nexcept OverflowError as e:\n    print('OverflowError')",
    "try:\n    c.greet(5)\nexcept TypeError as e:\n    print('TypeError')",
    "try:\n    c.call(lambda x: 1 / x, 0)\nexcept ZeroDivisionError as e:\n    print('ZeroDivisionError', e)",
  ].join("\n")), [
    "42 -2",
    "Hello, wasm! Hello, wörld ✓!",
    "42 Hello, callback! NESTED",
    "1 2 3",
    "ValueError ('from C',)",
    "ValueError add(): the sum does not fit in a C long",
    "OverflowError",
    "TypeError",
    "ZeroDivisionError division by zero",
  ].join("\n"));
  const r = await host.execute("from demo_pkg import c_demo\nc_demo.fail('uncaught from C')");
  assert.equal(r.ok, false);
  assert.match(r.error!, /ValueError: uncaught from C\n$/);
});

test("a C static variable belongs to one instance: fresh executes start at 1, a session counts on", async () => {
  assert.equal(await run("from demo_pkg import c_demo\nprint(c_demo.counter())"), "1");
  assert.equal(await run("from demo_pkg import c_demo\nprint(c_demo.counter())"), "1");
  const s = freshSession("ext-counter");
  assert.equal(await run("from demo_pkg import c_demo\nprint(c_demo.counter())", s), "1");
  assert.equal(await run("print(c_demo.counter())", s), "2");
  await host.request({ op: "drop", session: s });
});

test("a session using both extensions survives snapshot and restore of its other state", async () => {
  const s = freshSession("ext-snap");
  assert.equal(await run([
    "import eryx_as_demo as d",
    "from demo_pkg import c_demo",
    "import pure_helper",
    "total = d.add(20, 22)",
    "word = d.shout('snap')",
    "greeting = c_demo.greet('snapshot')",
    "first = c_demo.counter()",
    "print(total, word, greeting, first)",
  ].join("\n"), s), "42 b'SNAP' Hello, snapshot! 1");
  const snap = await host.request({ op: "snapshot", session: s });
  assert.equal(snap.error, null);
  assert.ok(snap.value && /^[0-9a-f]+$/.test(snap.value));

  assert.equal(await run("total = 0\nword = None\ndel greeting", s), "");
  const restored = await host.request({ op: "restore", session: s, hex: snap.value! });
  assert.equal(restored.error, null);
  // Restored values, the (unpicklable, skipped) module objects still bound, and
  // the extensions still working with their C state intact.
  assert.equal(await run("print(total, word, greeting, first)\nprint(d.add(total, 1), c_demo.counter(), d.shout(greeting))\nprint(pure_helper.twice(total))", s),
    "42 b'SNAP' Hello, snapshot! 1\n43 2 b'HELLO, SNAPSHOT!'\n84");

  // The same bytes restored into a new instance: values come back, modules are imported again.
  const s2 = freshSession("ext-snap-fresh");
  assert.equal((await host.request({ op: "restore", session: s2, hex: snap.value! })).error, null);
  assert.equal(await run("print(total, word, greeting)\nimport eryx_as_demo, demo_pkg.c_demo as c\nprint(eryx_as_demo.add(total, 8), c.counter())", s2),
    "42 b'SNAP' Hello, snapshot!\n50 1");
  assert.equal(await run("print('d' in globals(), 'c_demo' in globals())", s2), "False False");
  await host.request({ op: "drop", session: s });
  await host.request({ op: "drop", session: s2 });
});

test("an extension file on the guest filesystem that was not linked cannot be loaded", async () => {
  // /site-packages-1/c_demo.abi3.so exists (mounted) but no library was
  // linked under that path: the built-in libdl matches dlopen paths exactly.
  const r = await host.execute("import c_demo");
  assert.equal(r.ok, false);
  assert.match(r.error!, /ImportError: library not found\n$/);
});

test("pure-Python files in site-packages are not linked but import normally", async () => {
  assert.equal(await run("import pure_helper\nprint(pure_helper.twice(21), pure_helper.__file__)"), "42 /site-packages-0/pure_helper.py");
});

test("npm run link fails before building anything on an extension of the wrong architecture, naming the file", () => {
  const sp = join(DIR, "bad-site-packages");
  mkdirSync(sp, { recursive: true });
  const src = join(DIR, "native.c");
  writeFileSync(src, "int PyInit_native(void) { return 0; }\n");
  const elf = join(sp, "native.cpython-314-wasm32-wasi.so");
  execFileSync("gcc", ["-shared", "-fPIC", "-o", elf, src]);
  const output = join(DIR, "never.wasm");
  const r = spawnSync(process.execPath, [join(root, "node_modules", "tsx", "dist", "cli.mjs"), join(root, "link", "cli.ts"), "--site-packages", sp, "--output", output],
    { cwd: root, encoding: "utf8" });
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.ok(r.stderr.includes(`[link] failed: extensions: ${elf} (--site-packages ${sp}, guest /site-packages-0/native.cpython-314-wasm32-wasi.so): a 64-bit ELF shared object for`), r.stderr);
  assert.match(r.stderr, /not a wasm32 WebAssembly module/);
  assert.doesNotMatch(r.stdout, /\[link\] runtime/);
  assert.equal(existsSync(output), false);
});
