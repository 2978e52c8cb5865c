// Native extension discovery and validation (link/extensions.ts), and the two
// extension builds (link/extension-builds.ts): every error class names the
// file, and the real linker agrees with what the checks accept or reject.

import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  collectExtensions, discoverExtensions, ExtensionError, type ExtensionErrorKind, type ExtensionLibrary,
  inspectExtension, moduleShortName, parseExtensionFlag, readLibrarySymbols, validateExtensions,
} from "../../link/extensions.ts";
import { linkComponent } from "../../link/pipeline.ts";
import { ADAPTER, PYTHON_LIBRARIES } from "../../link/vendor.ts";
import { AS_DEMO_FILE, buildCSnippet, buildDemoExtensions, C_DEMO_FILE, type DemoExtensions } from "../fixtures/demo-extensions.ts";
import { BINDINGS_SO, BUILD, RUNTIME_SO, VENDOR, WASM_TOOLS } from "./paths.ts";

const DIR = join(BUILD, "ext-unit");
const LINKED = [
  ...PYTHON_LIBRARIES.map((name) => ({ name, file: join(VENDOR, name) })),
  { name: "liberyx_runtime.so", file: RUNTIME_SO },
  { name: "liberyx_bindings.so", file: BINDINGS_SO },
];

let demo: DemoExtensions;

before(async () => {
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(DIR, { recursive: true });
  demo = await buildDemoExtensions(join(DIR, "built"));
});

function ext(guestPath: string, file: string): ExtensionLibrary {
  return { guestPath, file, origin: "test" };
}

/** Asserts that `fn` throws an ExtensionError of `kind` whose message names `file` and matches `pattern`. */
function assertExtensionError(fn: () => unknown, kind: ExtensionErrorKind, file: string, pattern: RegExp): ExtensionError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ExtensionError, `expected an ExtensionError, got ${(e as Error).stack}`);
    assert.equal(e.kind, kind, e.message);
    assert.ok(e.message.includes(file), `message does not name ${file}: ${e.message}`);
    assert.match(e.message, pattern);
    assert.match(e.message, /^extensions: /);
    return e;
  }
  assert.fail(`expected an ExtensionError (${kind})`);
}

function wat(name: string, text: string): string {
  const out = join(DIR, name);
  execFileSync(WASM_TOOLS, ["parse", "-", "-o", out], { input: text });
  return out;
}

/** The real component linker on `extensions` (with our runtime and bindings); returns its exit status and stderr. */
function realLink(extensions: ExtensionLibrary[]): { ok: boolean; message: string } {
  const libraries = PYTHON_LIBRARIES.map((n) => join(VENDOR, n));
  try {
    linkComponent(WASM_TOOLS, { dir: VENDOR, libraries, adapter: join(VENDOR, ADAPTER), stdlibDir: "" }, { runtime: RUNTIME_SO, bindings: BINDINGS_SO }, join(DIR, "linked.wasm"), extensions);
    return { ok: true, message: "" };
  } catch (e) {
    return { ok: false, message: (e as Error).message };
  }
}

describe("the demo extensions", () => {
  test("eryx_as_demo (AssemblyScript) is a dylib exporting only PyInit and the linker's entry points", () => {
    const inspected = inspectExtension(ext(`/site-packages-0/${AS_DEMO_FILE}`, demo.asDemo));
    const exports = inspected.symbols.exports.map((e) => e.name).sort();
    assert.deepEqual(exports, ["PyInit_eryx_as_demo", "__wasm_apply_data_relocs", "_initialize"]);
    assert.deepEqual(inspected.symbols.dylink!.needed, ["libc.so", "libpython3.14.so"]);
    // The exception types come through the GOT like in a C dylib.
    const got = inspected.symbols.imports.filter((i) => i.module === "GOT.mem").map((i) => i.name).sort();
    assert.deepEqual(got, ["PyExc_OverflowError", "PyExc_SystemError", "PyExc_TypeError", "PyExc_ValueError", "PyUnicode_Type"]);
    for (const g of inspected.symbols.imports.filter((i) => i.module === "GOT.mem")) assert.deepEqual(g.type, { kind: "global", valType: "i32", mutable: true });
    // Static PyModuleDef + PyMethodDef: name/doc/methods pointers and the four ml_meth table indices are data relocations.
    assert.ok(demo.asReport.dataRelocations >= 15, `only ${demo.asReport.dataRelocations} data relocations`);
    assert.equal(demo.asReport.tableSize, 4);
  });

  test("c_demo (clang 19) is a dylib with GOT.mem imports and data relocations", () => {
    const inspected = inspectExtension(ext(`/site-packages-0/pkg/${C_DEMO_FILE}`, demo.cDemo));
    const exports = inspected.symbols.exports.map((e) => e.name).sort();
    assert.deepEqual(exports, ["PyInit_c_demo", "__wasm_apply_data_relocs"]);
    assert.ok(inspected.symbols.dylink!.memInfo!.memorySize > 0);
    assert.equal(inspected.symbols.dylink!.memInfo!.tableSize, 5);
    assert.deepEqual(inspected.symbols.imports.filter((i) => i.module === "GOT.mem").map((i) => i.name).sort(), ["PyExc_TypeError", "PyExc_ValueError"]);
  });

  test("both pass the symbol checks against libc, libpython, the runtime and the bindings", () => {
    const checked = validateExtensions([ext(`/site-packages-0/${AS_DEMO_FILE}`, demo.asDemo), ext(`/site-packages-0/pkg/${C_DEMO_FILE}`, demo.cDemo)], LINKED);
    assert.deepEqual(checked.map((c) => c.guestPath), [`/site-packages-0/${AS_DEMO_FILE}`, `/site-packages-0/pkg/${C_DEMO_FILE}`]);
  });
});

describe("discovery", () => {
  test("finds extension modules recursively at /site-packages-<i>/<relative path>, ignoring everything else", () => {
    const sp0 = join(DIR, "discover", "sp0");
    const sp1 = join(DIR, "discover", "sp1");
    for (const d of [join(sp0, "pkg", "sub"), join(sp0, "pkg", "__pycache__"), sp1]) mkdirSync(d, { recursive: true });
    copyFileSync(demo.asDemo, join(sp0, AS_DEMO_FILE));
    copyFileSync(demo.cDemo, join(sp0, "pkg", "sub", C_DEMO_FILE));
    copyFileSync(demo.cDemo, join(sp1, C_DEMO_FILE));
    for (const f of ["pkg/__init__.py", "pkg/sub/__init__.py", "pure.py", "pkg/__pycache__/x.cpython-314.pyc", "pkg/helper.so",
      "other.cpython-312-wasm32-wasi.so", "native.cpython-314-x86_64-linux-gnu.so", "README.txt", ".abi3.so"]) {
      writeFileSync(join(sp0, f), "not linked\n");
    }
    assert.deepEqual(discoverExtensions(sp0, 0).map((e) => [e.guestPath, e.file]), [
      [`/site-packages-0/${AS_DEMO_FILE}`, join(sp0, AS_DEMO_FILE)],
      [`/site-packages-0/pkg/sub/${C_DEMO_FILE}`, join(sp0, "pkg", "sub", C_DEMO_FILE)],
    ]);
    const all = collectExtensions({ sitePackages: [sp0, sp1], explicit: [`/site-packages-2/extra.abi3.so=${demo.cDemo}`] });
    assert.deepEqual(all.map((e) => e.guestPath), [
      `/site-packages-0/${AS_DEMO_FILE}`, `/site-packages-0/pkg/sub/${C_DEMO_FILE}`, `/site-packages-1/${C_DEMO_FILE}`, "/site-packages-2/extra.abi3.so",
    ]);
    assert.deepEqual(all.map((e) => e.origin), [`--site-packages ${sp0}`, `--site-packages ${sp0}`, `--site-packages ${sp1}`, "--extension"]);
  });

  test("the module name is the file name up to its first dot", () => {
    assert.equal(moduleShortName("/site-packages-0/pkg/_speedups.cpython-314-wasm32-wasi.so"), "_speedups");
    assert.equal(moduleShortName("/site-packages-3/c_demo.abi3.so"), "c_demo");
  });

  test("a missing site-packages directory is an error naming it", () => {
    const missing = join(DIR, "does-not-exist");
    assertExtensionError(() => discoverExtensions(missing, 0), "not-found", missing, /site-packages directory not found/);
  });

  test("--extension needs GUEST=FILE with an absolute, normalised guest path and an extension suffix", () => {
    assert.deepEqual(parseExtensionFlag("/site-packages-0/a/b.abi3.so=x/y.so", "/base"), { guestPath: "/site-packages-0/a/b.abi3.so", file: "/base/x/y.so", origin: "--extension" });
    assertExtensionError(() => parseExtensionFlag("no-equals-sign"), "bad-guest-path", "no-equals-sign", /expected GUEST_PATH=FILE/);
    assertExtensionError(() => parseExtensionFlag("site-packages-0/m.abi3.so=/f.so"), "bad-guest-path", "/f.so", /must be absolute/);
    assertExtensionError(() => parseExtensionFlag("/site-packages-0//m.abi3.so=/f.so"), "bad-guest-path", "/f.so", /not normalised/);
    assertExtensionError(() => parseExtensionFlag("/site-packages-0/m.wasm=/f.so"), "bad-guest-path", "/f.so", /extension suffix/);
    assertExtensionError(() => parseExtensionFlag("/site-packages-0/9lives.abi3.so=/f.so"), "bad-guest-path", "/f.so", /valid module name/);
  });

  test("two libraries at one guest path are an error naming both files", () => {
    const sp = join(DIR, "dup-guest");
    mkdirSync(sp, { recursive: true });
    copyFileSync(demo.cDemo, join(sp, C_DEMO_FILE));
    const e = assertExtensionError(() => collectExtensions({ sitePackages: [sp], explicit: [`/site-packages-0/${C_DEMO_FILE}=${demo.asDemo}`] }),
      "duplicate-guest-path", demo.asDemo, /would both be linked at \/site-packages-0\/c_demo\.abi3\.so/);
    assert.ok(e.message.includes(join(sp, C_DEMO_FILE)));
  });
});

describe("errors name the file", () => {
  test("not a wasm module", () => {
    const file = join(DIR, "text.cpython-314-wasm32-wasi.so");
    writeFileSync(file, "#!/bin/sh\necho not a library\n");
    assertExtensionError(() => inspectExtension(ext("/site-packages-0/text.cpython-314-wasm32-wasi.so", file)), "not-wasm", file, /is not a WebAssembly module/);
  });

  test("wrong architecture: an x86-64 ELF shared object (built by gcc)", () => {
    const src = join(DIR, "native.c");
    const file = join(DIR, "native.abi3.so");
    writeFileSync(src, "int PyInit_native(void) { return 0; }\n");
    execFileSync("gcc", ["-shared", "-fPIC", "-o", file, src]);
    const arch = process.arch === "x64" ? "x86-64" : process.arch === "arm64" ? "AArch64" : "";
    assertExtensionError(() => inspectExtension(ext("/site-packages-0/native.abi3.so", file)), "wrong-architecture", file,
      new RegExp(`64-bit ELF shared object for ${arch}.*not a wasm32 WebAssembly module`));
  });

  test("wrong architecture: a wasm64 (memory64) library", () => {
    const file = wat("w64.abi3.so", `(module (@dylink.0 (mem-info (memory 0 0))) (import "env" "memory" (memory i64 1))
      (func (export "PyInit_w64") (result i64) i64.const 0))`);
    assertExtensionError(() => inspectExtension(ext("/site-packages-0/w64.abi3.so", file)), "wrong-architecture", file, /wasm64/);
  });

  test("not a dylib: a core module without dylink.0", () => {
    const file = wat("nodylink.abi3.so", `(module (import "env" "memory" (memory 1)) (func (export "PyInit_nodylink") (result i32) i32.const 0))`);
    assertExtensionError(() => inspectExtension(ext("/site-packages-0/nodylink.abi3.so", file)), "not-a-dylib", file, /no dylink\.0 section/);
    // The linker would take it silently (its data would land in the stack area).
  });

  test("not a dylib: a component", () => {
    const file = wat("component.abi3.so", "(component)");
    assertExtensionError(() => inspectExtension(ext("/site-packages-0/component.abi3.so", file)), "not-a-dylib", file, /component/);
  });

  test("not a dylib: a module that defines its own memory", () => {
    const file = wat("ownmem.abi3.so", `(module (@dylink.0 (mem-info (memory 0 0))) (memory 1) (func (export "PyInit_ownmem") (result i32) i32.const 0))`);
    assertExtensionError(() => inspectExtension(ext("/site-packages-0/ownmem.abi3.so", file)), "not-a-dylib", file, /defines its own memory/);
  });

  test("a file whose name does not match its PyInit function", () => {
    const e = assertExtensionError(() => inspectExtension(ext("/site-packages-0/renamed.cpython-314-wasm32-wasi.so", demo.asDemo)), "no-init-function", demo.asDemo,
      /does not export the function PyInit_renamed/);
    assert.match(e.message, /it exports PyInit_eryx_as_demo/);
  });

  test("missing symbols: a C function import nothing exports (and the real linker agrees)", () => {
    const file = join(DIR, "missing.abi3.so");
    buildCSnippet(`PyObject *PyEryx_DoesNotExist(PyObject *);
      PyMODINIT_FUNC PyInit_missing(void) { return PyEryx_DoesNotExist(0); }`, file);
    const extension = ext("/site-packages-0/missing.abi3.so", file);
    assertExtensionError(() => validateExtensions([extension], LINKED), "missing-symbol", file,
      /imports the function PyEryx_DoesNotExist \(i32\) -> i32, which no linked library exports \(searched libwasi-emulated-process-clocks\.so, .*libpython3\.14\.so/);
    const linked = realLink([extension]);
    assert.equal(linked.ok, false);
    assert.match(linked.message, /PyEryx_DoesNotExist/);
  });

  test("missing symbols: a data symbol (GOT.mem) nothing exports", () => {
    const file = join(DIR, "missingdata.abi3.so");
    buildCSnippet(`extern PyObject *PyExc_EryxNoSuchError;
      PyMODINIT_FUNC PyInit_missingdata(void) { return PyExc_EryxNoSuchError; }`, file);
    assertExtensionError(() => validateExtensions([ext("/site-packages-0/missingdata.abi3.so", file)], LINKED), "missing-symbol", file,
      /address of data symbol PyExc_EryxNoSuchError \(GOT\.mem\)/);
  });

  test("missing symbols: an import whose signature differs from the export", () => {
    const file = wat("sig.abi3.so", `(module (@dylink.0 (mem-info (memory 0 0)))
      (import "env" "memory" (memory 0)) (import "env" "PyLong_FromLong" (func $f (param i64) (result i32)))
      (func (export "PyInit_sig") (result i32) i64.const 1 call $f))`);
    assertExtensionError(() => validateExtensions([ext("/site-packages-0/sig.abi3.so", file)], LINKED), "signature-mismatch", file,
      /imports the function PyLong_FromLong \(i64\) -> i32, but libpython3\.14\.so exports it as \(i32\) -> i32/);
  });

  test("a needed library (dylink.0 NEEDED) that is not linked", () => {
    const file = wat("needs.abi3.so", `(module (@dylink.0 (mem-info (memory 0 0)) (needed "libpython3.14.so" "libfoo.so"))
      (func (export "PyInit_needs") (result i32) i32.const 0))`);
    const extension = ext("/site-packages-0/needs.abi3.so", file);
    assertExtensionError(() => validateExtensions([extension], LINKED), "missing-library", file, /needs libfoo\.so \(dylink\.0 NEEDED\), which is not linked/);
    const linked = realLink([extension]);
    assert.equal(linked.ok, false);
    assert.match(linked.message, /missing libraries:[\s\S]*needs libfoo\.so/);
  });

  test("an import from a module other than env, GOT.* or the WASI adapter", () => {
    const file = wat("foreign.abi3.so", `(module (@dylink.0 (mem-info (memory 0 0)))
      (import "numpy" "helper" (func)) (func (export "PyInit_foreign") (result i32) i32.const 0))`);
    assertExtensionError(() => validateExtensions([ext("/site-packages-0/foreign.abi3.so", file)], LINKED), "unsupported-import", file, /imports numpy\.helper/);
  });

  test("duplicate symbols: an extension exporting a name libc also exports (which the real linker accepts silently)", () => {
    const file = join(DIR, "dupmalloc.abi3.so");
    buildCSnippet(`__attribute__((visibility("default"))) void *malloc(unsigned long n) { (void)n; return 0; }
      PyMODINIT_FUNC PyInit_dupmalloc(void) { return 0; }`, file);
    const extension = ext("/site-packages-0/dupmalloc.abi3.so", file);
    assertExtensionError(() => validateExtensions([extension], LINKED), "duplicate-symbol", file,
      /exports malloc \(function \(i32\) -> i32\), which libc\.so also exports/);
    // The linker accepts it: every other library binds to libc's malloc while
    // the extension calls its own, which is why the check exists.
    assert.equal(realLink([extension]).ok, true);
  });

  test("duplicate symbols: two extensions exporting the same strong symbol", () => {
    const one = join(DIR, "one.abi3.so");
    const two = join(DIR, "two.abi3.so");
    buildCSnippet(`__attribute__((visibility("default"))) int eryx_shared_helper(void) { return 1; }
      PyMODINIT_FUNC PyInit_one(void) { return 0; }`, one);
    buildCSnippet(`__attribute__((visibility("default"))) int eryx_shared_helper(void) { return 2; }
      PyMODINIT_FUNC PyInit_two(void) { return 0; }`, two);
    assertExtensionError(() => validateExtensions([ext("/site-packages-0/one.abi3.so", one), ext("/site-packages-0/two.abi3.so", two)], LINKED),
      "duplicate-symbol", one, /exports eryx_shared_helper .* which the extension \/site-packages-0\/two\.abi3\.so also exports/);
  });

  test("a weak (interposable) definition does not clash", () => {
    const file = join(DIR, "weak.abi3.so");
    buildCSnippet(`__attribute__((visibility("default"), weak)) int eryx_weak_helper(void) { return 1; }
      __attribute__((visibility("default"), weak)) void *malloc(unsigned long n) { (void)n; return 0; }
      PyMODINIT_FUNC PyInit_weak(void) { return 0; }`, file);
    const symbols = readLibrarySymbols(readFileSync(file));
    // wasm-ld 19 marks weak definitions by also importing them (everyone, the
    // extension included, then binds to the first definition: libc's malloc).
    assert.ok(symbols.imports.some((i) => i.module === "env" && i.name === "malloc"));
    assert.equal(symbols.exports.find((e) => e.name === "malloc")?.weak, true);
    assert.equal(symbols.exports.find((e) => e.name === "PyInit_weak")?.weak, false);
    assert.equal(validateExtensions([ext("/site-packages-0/weak.abi3.so", file)], LINKED).length, 1);
  });
});

test("the clang build fails with the compiler's message, not silently", () => {
  const file = join(DIR, "broken.abi3.so");
  assert.throws(() => buildCSnippet("this is not C;", file), /clang: clang-19 .* failed \(exit 1\):[\s\S]*error:/);
  assert.equal(existsSync(file), false);
});
