// `npm run link`: every stage from sources and the pinned registry packages
// to dist/runtime.wasm. Each stage is a typed function with explicit inputs
// and outputs (callable from tests); this file only composes them.

import { mkdirSync, statSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { compileTwice } from "./compile.ts";
import { embedGlue, GLUE_MODULE_PATH, type EmbeddedGlue } from "./glue.ts";
import { formatBytes, stage } from "./log.ts";
import { relocate, type RelocateReport } from "./relocate.ts";
import { checkExtensionSymbols, dlOpenableArgs, inspectExtension, type ExtensionLibrary } from "./extensions.ts";
import { ensureWasmTools, runWasmTools } from "./tools.ts";
import { defaultPreinitOutput, ensurePreinitBuilt, preinitialize, type PreinitResult } from "./preinit.ts";
import { vendor, type Vendored } from "./vendor.ts";
import { writeWithStackCharges } from "./stack-charges.ts";

export const RUNTIME_LIBRARY = "liberyx_runtime.so";
export const BINDINGS_LIBRARY = "liberyx_bindings.so";

/**
 * The worlds the one runtime links for (docs/eryx-0.5.md): the WIT directory
 * its bindings come from, the default output and the glue modules it has no
 * use for. The runtime tells them apart by the bindings' metadata; only the
 * embedded glue differs.
 */
export const WORLDS = {
  // net.py serves eryx:net, which only the 0.5 world imports.
  "eryx-0.1": { witDir: "wit", output: "runtime.wasm", glueWithout: ["net"] },
  "eryx-0.5": { witDir: join("wit", "eryx-0.5"), output: "runtime-eryx-0.5.wasm", glueWithout: [] },
} as const;
export type WorldName = keyof typeof WORLDS;

export function isWorldName(name: string): name is WorldName {
  return Object.hasOwn(WORLDS, name);
}

export interface LinkOptions {
  root: string;
  /** Where build intermediates go (default build/). */
  buildDir?: string;
  /** The world to link for (default eryx-0.1, wit/runtime.wit). */
  world?: WorldName;
  /** The component (default dist/ + the world's output name). */
  output?: string;
  /** Native extension modules, linked dl-openable at their guest paths (link/extensions.ts). */
  extensions?: ExtensionLibrary[];
  /** Also write a pre-initialised copy (link/preinit.ts; default output dist/runtime-preinit.wasm). */
  preinit?: { output?: string; imports?: string[]; sitePackages?: string[] };
}

export interface LinkResult {
  runtimeLibrary: string;
  component: string;
  relocation: RelocateReport;
  sizes: { runtimeLibrary: number; component: number };
  preinit?: PreinitResult;
}

/** Stage: assembly/ and the world's glue → liberyx_runtime.so (a PIC dylib with our own dylink.0). */
export async function buildRuntimeLibrary(root: string, outPath: string, world: WorldName = "eryx-0.1"): Promise<RelocateReport & { glue: EmbeddedGlue["sizes"] }> {
  const glue = embedGlue(root, WORLDS[world].glueWithout);
  const [a, b] = await compileTwice({
    entry: "assembly/index.ts",
    runtime: "./assembly/rt/libc-runtime",
    abort: "assembly/abort/runtimeAbort",
    optimize: true,
    files: { [GLUE_MODULE_PATH]: glue.text },
  });
  const { bytes, report } = relocate(a, b, {
    needed: ["libc.so", "libpython3.14.so"],
    keepExport: (name) => name.startsWith("wit_dylib_") || name === "_initialize",
    keepNames: true,
    staticEndExport: "__eryx_static_end",
  });
  writeFileSync(outPath, bytes);
  return { ...report, glue: glue.sizes };
}

/** Stage: the world's WIT directory → liberyx_bindings.so, naming our library as its interpreter. */
export function buildBindings(wasmTools: string, root: string, outPath: string, world: WorldName = "eryx-0.1"): void {
  runWasmTools(wasmTools, "bindings", ["wit-dylib", join(root, WORLDS[world].witDir), "--interpreter", RUNTIME_LIBRARY, "-o", outPath, "/dev/null"]);
}

/** Stage: all libraries → one component, in eryx's order (docs/toolchain.md §4; extensions last, dl-openable). */
export function linkComponent(wasmTools: string, v: Vendored, libs: { runtime: string; bindings: string }, outPath: string, extensions: ExtensionLibrary[] = []): void {
  runWasmTools(wasmTools, "component link", [
    "component", "link", "--use-built-in-libdl", "--validate",
    "--adapt", `wasi_snapshot_preview1=${v.adapter}`,
    ...v.libraries, libs.runtime, libs.bindings, ...dlOpenableArgs(extensions), "-o", outPath,
  ]);
}

/**
 * The memory base the linker gave each library of a component, by library
 * name, read from its text form once. Global indices restart in every core
 * module, so only the first definition of each index and the first export of
 * each name count: those of the linker's main module, which the text lists
 * before the libraries that import its globals.
 */
export function linkedMemoryBases(wasmTools: string, component: string): Map<string, number> {
  const text = runWasmTools(wasmTools, "inspect", ["print", "--skeleton", component]);
  const constants = new Map<string, number>();
  for (const m of text.matchAll(/\(global \(;(\d+);\) i32 i32\.const (\d+)\)/g)) {
    if (!constants.has(m[1])) constants.set(m[1], Number(m[2]));
  }
  const bases = new Map<string, number>();
  for (const m of text.matchAll(/\(export "([^"]+):memory_base" \(global (\d+)\)\)/g)) {
    if (bases.has(m[1])) continue;
    const value = constants.get(m[2]);
    if (value === undefined) throw new Error(`global ${m[2]} (${m[1]}:memory_base) not found in ${component}`);
    bases.set(m[1], value);
  }
  return bases;
}

/** The memory base the linker gave `library` in a component. */
export function linkedMemoryBase(wasmTools: string, component: string, library: string): number {
  const base = linkedMemoryBases(wasmTools, component).get(library);
  if (base === undefined) throw new Error(`${library}:memory_base not found in ${component}`);
  return base;
}

export async function link(options: LinkOptions): Promise<LinkResult> {
  const root = options.root;
  const buildDir = options.buildDir ?? join(root, "build");
  const world = options.world ?? "eryx-0.1";
  const output = options.output ?? join(root, "dist", WORLDS[world].output);
  mkdirSync(buildDir, { recursive: true });
  mkdirSync(join(output, ".."), { recursive: true });

  let done = stage("tools", "wasm-tools");
  const wasmTools = await ensureWasmTools(root, (line) => process.stdout.write(`[link]   ${line}\n`));
  done(wasmTools);

  done = stage("vendor", "CPython 3.14 WASI build from the componentize-py wheel");
  const vendored = vendor({ cacheDir: join(root, ".cache"), stdlibDir: join(root, "dist", "python-stdlib"), lockPath: join(root, "link", "vendor.lock.json") });
  done(`${vendored.libraries.length} libraries, adapter, stdlib in ${vendored.stdlibDir}`);

  // CPython's stack checks must see a stack (link/stack-charges.ts).
  done = stage("stack-charges", "libpython3.14.so: stack charges for CPython's C-stack checks");
  const chargedDir = join(buildDir, "stack-charges");
  mkdirSync(chargedDir, { recursive: true });
  const charged: Vendored = { ...vendored, libraries: vendored.libraries.map((file) => {
    if (basename(file) !== "libpython3.14.so") return file;
    const patched = join(chargedDir, basename(file));
    writeWithStackCharges(file, patched);
    return patched;
  }) };
  done(join(chargedDir, "libpython3.14.so"));

  // Extensions that are not wasm32 dylibs fail here, before the long stages.
  const extensions = options.extensions ?? [];
  const inspected = extensions.map(inspectExtension);

  // One directory per world, so links for the two worlds never share a runtime or bindings file.
  const worldDir = world === "eryx-0.1" ? buildDir : join(buildDir, world);
  mkdirSync(worldDir, { recursive: true });

  done = stage("runtime", `asc ×2 + relocation, world ${world}`);
  const runtimeLibrary = join(worldDir, RUNTIME_LIBRARY);
  const relocation = await buildRuntimeLibrary(root, runtimeLibrary, world);
  runWasmTools(wasmTools, "runtime", ["validate", runtimeLibrary]);
  const { glue } = relocation;
  done(`${RUNTIME_LIBRARY} ${formatBytes(statSync(runtimeLibrary).size)}, static data ${formatBytes(relocation.memorySize)} (glue ${formatBytes(glue.source)} → ${formatBytes(glue.minified)} minified → ${formatBytes(glue.deflated)} deflated), ${relocation.codeRelocations} code + ${relocation.dataRelocations} data + ${relocation.globalRelocations} global relocations`);

  done = stage("bindings", `wasm-tools wit-dylib, world ${world} (${WORLDS[world].witDir})`);
  const bindings = join(worldDir, BINDINGS_LIBRARY);
  buildBindings(wasmTools, root, bindings, world);
  done(BINDINGS_LIBRARY);

  if (inspected.length) {
    done = stage("extensions", `checking the symbols of ${inspected.length} native extension module(s)`);
    const linked = [...vendored.libraries.map((file) => ({ name: basename(file), file })), { name: RUNTIME_LIBRARY, file: runtimeLibrary }, { name: BINDINGS_LIBRARY, file: bindings }];
    checkExtensionSymbols(inspected, linked);
    done(inspected.map((e) => `${e.guestPath} (${formatBytes(e.size)})`).join(", "));
  }

  done = stage("component", "wasm-tools component link");
  linkComponent(wasmTools, charged, { runtime: runtimeLibrary, bindings }, output, extensions);
  done(`${output} ${formatBytes(statSync(output).size)}`);

  let preinit: PreinitResult | undefined;
  if (options.preinit) {
    const imports = options.preinit.imports ?? [];
    // Its own stage: on a fresh clone this is the several-minute Rust build.
    done = stage("rust", "the Rust workspace (eryx-as-preinit, cargo build when stale)");
    done(await ensurePreinitBuilt(root, (line) => process.stdout.write(`[link]   ${line}\n`)));
    done = stage("preinit", `component-init-transform${imports.length ? `, pre-importing ${imports.join(", ")}` : ""}`);
    preinit = await preinitialize({ root, input: output, output: options.preinit.output ?? defaultPreinitOutput(output), stdlib: vendored.stdlibDir, sitePackages: options.preinit.sitePackages, imports });
    done(`${preinit.output} ${formatBytes(preinit.size)}`);
  }

  return {
    preinit,
    runtimeLibrary,
    component: output,
    relocation,
    sizes: { runtimeLibrary: statSync(runtimeLibrary).size, component: statSync(output).size },
  };
}
