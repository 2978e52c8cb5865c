// Walking skeleton (docs/toolchain.md §4, §5): the AssemblyScript runtime, linked with CPython
// 3.14, runs Python in the reference host; relocation holds at another base.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Host, freshSession, root } from "./host.ts";
import { buildBindings, linkComponent, linkedMemoryBase, RUNTIME_LIBRARY } from "../../link/pipeline.ts";
import { vendor } from "../../link/vendor.ts";
import { wasmToolsPath } from "../../link/tools.ts";
import { Writer } from "../../link/wasm/bytes.ts";
import { decodeDylink, encodeDylink, DYLINK_SECTION } from "../../link/wasm/dylink.ts";
import { customSectionBody, encodeModule, readSections, type Module } from "../../link/wasm/module.ts";

let host: Host;
before(async () => { host = await Host.start(); });
after(async () => { await host.close(); });

test("print(1+1) returns 2", async () => {
  const r = await host.execute("print(1+1)");
  assert.equal(r.error, null);
  assert.equal(r.value, "2");
});

test("two prints keep their newline, the trailing one is trimmed", async () => {
  assert.equal((await host.execute("print('hello')\nprint('world')")).value, "hello\nworld");
});

test("an assignment prints nothing", async () => {
  const r = await host.execute("x = 42");
  assert.equal(r.ok, true);
  assert.equal(r.value, "");
});

test("a syntax error is an Err naming SyntaxError", async () => {
  const r = await host.execute("x = (");
  assert.equal(r.ok, false);
  assert.match(r.error!, /SyntaxError/);
});

test("a session keeps variables between executes", async () => {
  const s = freshSession();
  assert.equal((await host.execute("x = 42", s)).value, "");
  assert.equal((await host.execute("print(x)", s)).value, "42");
});

test("the component's world is exactly eryx:sandbox (plus WASI imports)", () => {
  const wit = execFileSync(wasmToolsPath(root), ["component", "wit", join(root, "dist", "runtime.wasm")], { encoding: "utf8" });
  const start = wit.indexOf("world root {");
  const world = wit.slice(start, wit.indexOf("\n}\n", start));
  const items = world.split("\n").map((l) => l.trim()).filter((l) => /^(import|export) /.test(l));
  const own = items.filter((l) => !l.startsWith("import wasi:"));
  assert.deepEqual(own.sort(), [
    "export clear-state: async func();",
    "export execute: async func(code: string) -> result<string, string>;",
    "export finalize-preinit: func();",
    "export restore-state: async func(data: list<u8>) -> result<_, string>;",
    "export snapshot-state: async func() -> result<list<u8>, string>;",
    "import invoke: async func(name: string, arguments-json: string) -> result<string, string>;",
    "import list-callbacks: func() -> list<callback-info>;",
    "import report-trace: func(lineno: u32, event-json: string, context-json: string);",
  ]);
  assert.match(world, /record callback-info \{\s*name: string,\s*description: string,\s*parameters-schema-json: string,\s*\}/);
});

test("npm run sandbox:rust -- -c 'print(1+1)' prints exactly 2", () => {
  const r = spawnSync(process.execPath, [join(root, "node_modules", "tsx", "dist", "cli.mjs"), join(root, "host", "sandbox.ts"), "-c", "print(1+1)"], { cwd: root, encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, "2\n");
});

test("the reference host's sandbox CLI prints a Python error on stderr and exits 1", () => {
  const r = spawnSync(process.execPath, [join(root, "node_modules", "tsx", "dist", "cli.mjs"), join(root, "host", "sandbox.ts"), "-c", "1/0"], { cwd: root, encoding: "utf8" });
  assert.equal(r.status, 1);
  assert.equal(r.stdout, "");
  assert.match(r.stderr, /ZeroDivisionError: division by zero/);
});

/** A shared library with nothing but 1 MiB + 48 bytes of static data, to move ours. */
function paddingLibrary(size: number): Uint8Array {
  const m: Module = { types: [], imports: [], functions: [], tables: null, memories: null, globals: [], exports: [], start: null, elements: [], bodies: [], data: [], customs: [] };
  return encodeModule(m, { leadingCustoms: [{ name: DYLINK_SECTION, payload: encodeDylink({ memInfo: { memorySize: size, memoryAlign: 4, tableSize: 0, tableAlign: 0 }, needed: [], exportInfo: [], importInfo: [] }) }] });
}

/** The same library with one more NEEDED entry (dylink.0 rewritten, every other section as is). */
function withExtraNeeded(library: Uint8Array, name: string): Uint8Array {
  const sections = readSections(library);
  const dylink = decodeDylink(customSectionBody(sections[0]));
  dylink.needed.push(name);
  const out = new Writer().bytes(library.subarray(0, 8));
  out.u8(0).sized(new Writer().name(DYLINK_SECTION).bytes(encodeDylink(dylink)));
  for (const s of sections.slice(1)) out.u8(s.id).sized(s.payload);
  return out.finish();
}

test("relocation: linked at another memory base, static strings and tables still resolve", async () => {
  const dir = join(root, "build", "relocation-e2e");
  mkdirSync(dir, { recursive: true });
  const padding = join(dir, "padding.so");
  const padSize = (1 << 20) + 48;
  writeFileSync(padding, paddingLibrary(padSize));
  const wasmTools = wasmToolsPath(root);
  const vendored = vendor({ cacheDir: join(root, ".cache"), stdlibDir: join(root, "dist", "python-stdlib"), lockPath: join(root, "link", "vendor.lock.json") });
  // The linker keeps only libraries something needs: our copy needs the padding,
  // which goes right before it on the command line, so its data lands first.
  const runtime = join(dir, RUNTIME_LIBRARY);
  writeFileSync(runtime, withExtraNeeded(readFileSync(join(root, "build", RUNTIME_LIBRARY)), "padding.so"));
  const bindings = join(dir, "liberyx_bindings.so");
  buildBindings(wasmTools, root, bindings);
  const moved = join(dir, "runtime-moved.wasm");
  linkComponent(wasmTools, { ...vendored, libraries: [...vendored.libraries, padding] }, { runtime, bindings }, moved);

  const normalBase = linkedMemoryBase(wasmTools, join(root, "dist", "runtime.wasm"), RUNTIME_LIBRARY);
  const movedBase = linkedMemoryBase(wasmTools, moved, RUNTIME_LIBRARY);
  assert.ok(movedBase - normalBase >= padSize, `base moved from ${normalBase} to ${movedBase}`);

  const other = await Host.start([], moved);
  try {
    // Static strings (the embedded Python glue, error texts) and the function
    // table (the _eryx module's methods, task_return calls) all in use:
    assert.equal((await other.execute("print(1+1)")).value, "2");
    const err = await other.execute("\0");
    assert.equal(err.error, "Invalid code string: contains null bytes");
    const cb = await other.execute("print(await echo(message='moved'))");
    assert.equal(cb.value, "{'echo': 'moved'}");
    assert.match((await other.execute("1/0")).error!, /ZeroDivisionError/);
  } finally {
    await other.close();
  }
});
