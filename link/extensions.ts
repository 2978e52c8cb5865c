// Native CPython extension modules linked into the component as dl-openable
// libraries (`npm run link -- --site-packages DIR` / `--extension GUEST=FILE`).
//
// How an extension is found at run time: the host mounts the i-th
// site-packages directory read-only at `/site-packages-<i>` and puts it on
// PYTHONPATH. CPython's FileFinder sees `<name><suffix>` there and hands the
// absolute path (`/site-packages-<i>/<relative path>`, the sys.path entry
// joined with the file name) to `dlopen`. The component linker's built-in
// libdl answers `dlopen` by an exact, byte-for-byte match of that string
// against the names given with `--dl-openable NAME=FILE`, so each library is
// linked under exactly that guest path, and the file must also be in the
// mounted directory (the importer checks it exists before calling dlopen).
//
// Everything is checked before the linker runs so that every error names the
// file: not a wasm module, a wasm module of the wrong kind, no dylink.0, an
// import nothing exports, an export another library also exports.

import { readdirSync, readFileSync, realpathSync, type Stats, statSync } from "node:fs";
import { join, posix, relative, resolve, sep } from "node:path";
import { Reader } from "./wasm/bytes.ts";
import { decodeDylink, DYLINK_SECTION, type Dylink } from "./wasm/dylink.ts";
import {
  customSectionBody, customSectionName, type ImportDesc, isWasmModule, readExport, readFuncType, readGlobal, readImport, readSections, SectionId,
} from "./wasm/module.ts";
import { StageError } from "./log.ts";

/**
 * File suffixes of extension modules that `npm run link -- --site-packages`
 * links. CPython 3.14's WASI build also accepts a bare `.so`
 * (`importlib.machinery.EXTENSION_SUFFIXES`), but in a site-packages tree that
 * is as often a helper library as a module: add those with `--extension`.
 */
export const EXTENSION_SUFFIXES = [".cpython-314-wasm32-wasi.so", ".abi3.so"] as const;
/** Every suffix CPython 3.14 (wasm32-wasi) imports an extension module from. */
export const PYTHON_EXTENSION_SUFFIXES = [...EXTENSION_SUFFIXES, ".so"] as const;

/** One native extension to link: where Python will dlopen it from, and the file. */
export interface ExtensionLibrary {
  /** Absolute path inside the guest, e.g. `/site-packages-0/pkg/_speedups.cpython-314-wasm32-wasi.so`. */
  guestPath: string;
  /** The file on this machine. */
  file: string;
  /** Where it came from, for messages (`--site-packages DIR` or `--extension`). */
  origin: string;
}

export type ExtensionErrorKind =
  | "not-found"
  | "not-wasm"
  | "wrong-architecture"
  | "not-a-dylib"
  | "no-init-function"
  | "missing-symbol"
  | "missing-library"
  | "signature-mismatch"
  | "unsupported-import"
  | "duplicate-symbol"
  | "bad-guest-path"
  | "duplicate-guest-path";

export class ExtensionError extends StageError {
  constructor(readonly kind: ExtensionErrorKind, readonly file: string, message: string) {
    super("extensions", message);
  }
}

// ---------------------------------------------------------------------------
// Discovery

/** The guest directory the i-th `--site-packages` directory is mounted at (host/README.md). */
export function sitePackagesGuestDir(index: number): string {
  return `/site-packages-${index}`;
}

/** True when `name` ends with one of EXTENSION_SUFFIXES. */
export function isExtensionFileName(name: string): boolean {
  return EXTENSION_SUFFIXES.some((s) => name.endsWith(s) && name.length > s.length);
}

/** The module's own name: CPython calls `PyInit_<this>` (the file name up to its first dot). */
export function moduleShortName(guestPath: string): string {
  return posix.basename(guestPath).split(".")[0];
}

/**
 * Every extension module under `dir` (recursively, sorted, symlinked
 * directories followed once), at its guest path under `/site-packages-<index>`.
 * Pure-Python files and anything without an extension suffix are ignored.
 */
export function discoverExtensions(dir: string, index: number): ExtensionLibrary[] {
  const root = resolve(dir);
  let st: Stats;
  try { st = statSync(root); } catch { throw new ExtensionError("not-found", root, `site-packages directory not found: ${root}`); }
  if (!st.isDirectory()) throw new ExtensionError("not-found", root, `--site-packages ${root} is not a directory`);
  const found: ExtensionLibrary[] = [];
  const seen = new Set<string>();
  const walk = (path: string) => {
    const real = realpathSync(path);
    if (seen.has(real)) return;
    seen.add(real);
    for (const entry of readdirSync(path, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const full = join(path, entry.name);
      const isDir = entry.isDirectory() || (entry.isSymbolicLink() && statSync(full, { throwIfNoEntry: false })?.isDirectory());
      if (isDir) { walk(full); continue; }
      if (!isExtensionFileName(entry.name)) continue;
      const rel = relative(root, full).split(sep).join("/");
      found.push({ guestPath: `${sitePackagesGuestDir(index)}/${rel}`, file: full, origin: `--site-packages ${root}` });
    }
  };
  walk(root);
  return found;
}

/** Parses `--extension GUEST_PATH=FILE`. */
export function parseExtensionFlag(value: string, cwd = process.cwd()): ExtensionLibrary {
  const eq = value.indexOf("=");
  if (eq <= 0 || eq === value.length - 1) {
    throw new ExtensionError("bad-guest-path", value, `--extension ${value}: expected GUEST_PATH=FILE, e.g. /site-packages-0/foo.cpython-314-wasm32-wasi.so=build/foo.so`);
  }
  const guestPath = value.slice(0, eq);
  const file = resolve(cwd, value.slice(eq + 1));
  checkGuestPath(guestPath, file);
  return { guestPath, file, origin: "--extension" };
}

function checkGuestPath(guestPath: string, file: string): void {
  const problem =
    !guestPath.startsWith("/") ? "must be absolute (CPython dlopens the absolute path it found the module at)"
    : posix.normalize(guestPath) !== guestPath || guestPath.endsWith("/") ? `is not normalised (CPython would pass ${posix.normalize(guestPath).replace(/\/$/, "")})`
    : !PYTHON_EXTENSION_SUFFIXES.some((s) => guestPath.endsWith(s)) ? `does not end with an extension suffix CPython imports (${PYTHON_EXTENSION_SUFFIXES.join(", ")})`
    : !/^[A-Za-z_][A-Za-z0-9_]*$/.test(moduleShortName(guestPath)) ? `does not start with a valid module name (${moduleShortName(guestPath)})`
    : null;
  if (problem) throw new ExtensionError("bad-guest-path", file, `guest path ${guestPath} for ${file} ${problem}`);
}

/**
 * Every extension to link: those found under each `--site-packages`
 * directory (the i-th at `/site-packages-<i>`), then the explicit ones.
 * Two libraries at one guest path are an error.
 */
export function collectExtensions(input: { sitePackages?: string[]; explicit?: string[]; cwd?: string }): ExtensionLibrary[] {
  const all = [
    ...(input.sitePackages ?? []).flatMap((dir, i) => discoverExtensions(resolve(input.cwd ?? process.cwd(), dir), i)),
    ...(input.explicit ?? []).map((v) => parseExtensionFlag(v, input.cwd)),
  ];
  const byGuest = new Map<string, ExtensionLibrary>();
  for (const ext of all) {
    const other = byGuest.get(ext.guestPath);
    if (other) {
      throw new ExtensionError("duplicate-guest-path", ext.file, `${ext.file} (${ext.origin}) and ${other.file} (${other.origin}) would both be linked at ${ext.guestPath}`);
    }
    byGuest.set(ext.guestPath, ext);
  }
  return all;
}

// ---------------------------------------------------------------------------
// Reading a library's symbols

export type ValueTypeName = "i32" | "i64" | "f32" | "f64" | "v128" | "funcref" | "externref";
export interface Signature { params: ValueTypeName[]; results: ValueTypeName[] }

export type SymbolType =
  | { kind: "func"; sig: Signature }
  | { kind: "global"; valType: ValueTypeName; mutable: boolean }
  | { kind: "memory"; memory64: boolean; shared: boolean }
  | { kind: "table" }
  | { kind: "tag" };

export interface SymbolImport { module: string; name: string; type: SymbolType; weak: boolean }
/** `weak`: may be overridden by another library's definition without harm (see readLibrarySymbols). */
export interface SymbolExport { name: string; type: SymbolType; weak: boolean }

export interface LibrarySymbols {
  imports: SymbolImport[];
  exports: SymbolExport[];
  /** null: the module has no dylink.0 section. */
  dylink: Dylink | null;
  definesMemory: boolean;
  definesTable: boolean;
}

const VALUE_TYPES: Record<number, ValueTypeName> = { 0x7f: "i32", 0x7e: "i64", 0x7d: "f32", 0x7c: "f64", 0x7b: "v128", 0x70: "funcref", 0x6f: "externref" };
/** dylink.0 symbol flag WASM_SYM_BINDING_WEAK (tool-conventions Linking.md). */
const BINDING_WEAK = 0x1;

function valueType(byte: number): ValueTypeName {
  const t = VALUE_TYPES[byte];
  if (!t) throw new Error(`unsupported value type 0x${byte.toString(16)}`);
  return t;
}

export function formatSignature(sig: Signature): string {
  const params = `(${sig.params.join(", ")})`;
  return sig.results.length ? `${params} -> ${sig.results.length === 1 ? sig.results[0] : `(${sig.results.join(", ")})`}` : params;
}

function formatType(t: SymbolType): string {
  return t.kind === "func" ? `function ${formatSignature(t.sig)}` : t.kind === "global" ? `global ${t.mutable ? "mut " : ""}${t.valType}` : t.kind;
}

function sameSignature(a: Signature, b: Signature): boolean {
  return a.params.join() === b.params.join() && a.results.join() === b.results.join();
}

/** The symbol type of an import (the module's function types resolve `typeIndex`). */
function importType(desc: ImportDesc, types: Signature[]): SymbolType {
  switch (desc.kind) {
    case 0: return { kind: "func", sig: types[desc.typeIndex] };
    case 1: return { kind: "table" };
    case 2: return { kind: "memory", memory64: (desc.flags & 4) !== 0, shared: (desc.flags & 2) !== 0 };
    case 3: return { kind: "global", valType: valueType(desc.valType), mutable: desc.mutable };
    case 4: return { kind: "tag" };
  }
}

/**
 * Imports, exports and dylink.0 of a core module, reading only the sections
 * that declare them (with module.ts's entry readers; the code and element
 * sections, whose forms parseModule restricts, are skipped).
 */
export function readLibrarySymbols(bytes: Uint8Array): LibrarySymbols {
  const types: Signature[] = [];
  const funcTypes: number[] = [];
  const globalTypes: SymbolType[] = [];
  const imports: SymbolImport[] = [];
  const rawExports: { name: string; kind: number; index: number }[] = [];
  let dylink: Dylink | null = null;
  let definesMemory = false;
  let definesTable = false;
  for (const s of readSections(bytes)) {
    const r = new Reader(s.payload);
    switch (s.id) {
      case SectionId.custom:
        if (customSectionName(s) === DYLINK_SECTION) dylink = decodeDylink(customSectionBody(s));
        break;
      case SectionId.type:
        for (let n = r.u32(); n > 0; n--) {
          const t = readFuncType(r);
          types.push({ params: t.params.map(valueType), results: t.results.map(valueType) });
        }
        break;
      case SectionId.import:
        for (let n = r.u32(); n > 0; n--) {
          const { module, name, desc } = readImport(r);
          const type = importType(desc, types);
          if (desc.kind === 0) funcTypes.push(desc.typeIndex);
          if (type.kind === "global") globalTypes.push(type);
          imports.push({ module, name, type, weak: false });
        }
        break;
      case SectionId.function:
        for (let n = r.u32(); n > 0; n--) funcTypes.push(r.u32());
        break;
      case SectionId.table: definesTable = r.u32() > 0; break;
      case SectionId.memory: definesMemory = r.u32() > 0; break;
      case SectionId.global:
        for (let n = r.u32(); n > 0; n--) {
          const g = readGlobal(r);
          globalTypes.push({ kind: "global", valType: valueType(g.valType), mutable: g.mutable });
        }
        break;
      case SectionId.export:
        for (let n = r.u32(); n > 0; n--) rawExports.push(readExport(r));
        break;
      default:
        break;
    }
  }
  // Weak: flagged so in dylink.0, or interposable — the module imports the
  // name it exports (wasm-ld 19 does this for weak definitions instead of
  // flagging them), so it too binds to whichever library the linker picks.
  const weakExports = new Set((dylink?.exportInfo ?? []).filter((e) => e.flags & BINDING_WEAK).map((e) => e.name));
  for (const imp of imports) if (imp.module === "env" || imp.module.startsWith("GOT.")) weakExports.add(imp.name);
  const weakImports = new Set((dylink?.importInfo ?? []).filter((e) => e.flags & BINDING_WEAK).map((e) => `${e.module}\0${e.name}`));
  for (const imp of imports) imp.weak = weakImports.has(`${imp.module}\0${imp.name}`);
  const exports = rawExports.map(({ name, kind, index }): SymbolExport => {
    const type: SymbolType =
      kind === 0 ? { kind: "func", sig: types[funcTypes[index]] }
      : kind === 3 ? globalTypes[index]
      : kind === 2 ? { kind: "memory", memory64: false, shared: false }
      : kind === 1 ? { kind: "table" } : { kind: "tag" };
    return { name, type, weak: weakExports.has(name) };
  });
  return { imports, exports, dylink, definesMemory, definesTable };
}

// ---------------------------------------------------------------------------
// Inspecting one extension file

const ELF_MACHINES: Record<number, string> = {
  3: "x86 (i386)", 8: "MIPS", 20: "PowerPC", 21: "PowerPC 64", 22: "s390x", 40: "ARM", 62: "x86-64", 183: "AArch64", 243: "RISC-V", 258: "LoongArch",
};

/** What a non-wasm binary is, by its magic bytes (null when unrecognised). */
export function describeNativeBinary(bytes: Uint8Array): string | null {
  if (bytes.length >= 20 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46) {
    const bits = bytes[4] === 2 ? "64-bit" : bytes[4] === 1 ? "32-bit" : "unknown-class";
    const little = bytes[5] !== 2;
    const machine = little ? bytes[18] | (bytes[19] << 8) : (bytes[18] << 8) | bytes[19];
    return `a ${bits} ELF shared object for ${ELF_MACHINES[machine] ?? `machine ${machine}`}`;
  }
  const magic = bytes.length >= 4 ? ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0 : 0;
  if ([0xfeedface, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe, 0xcafebabe].includes(magic)) return "a Mach-O binary (macOS)";
  if (bytes.length >= 2 && bytes[0] === 0x4d && bytes[1] === 0x5a) return "a Windows PE/DLL";
  return null;
}

export interface InspectedExtension extends ExtensionLibrary {
  symbols: LibrarySymbols;
  size: number;
}

function where(ext: ExtensionLibrary): string {
  return `${ext.file} (${ext.origin}, guest ${ext.guestPath})`;
}

/**
 * Reads one extension and checks that it is a wasm32 dynamic library (a core
 * module with dylink.0 that imports its memory) exporting `PyInit_<name>`.
 */
export function inspectExtension(ext: ExtensionLibrary): InspectedExtension {
  let bytes: Uint8Array;
  try { bytes = readFileSync(ext.file); } catch (e) {
    throw new ExtensionError("not-found", ext.file, `${where(ext)}: cannot read the file (${(e as Error).message})`);
  }
  const fail = (kind: ExtensionErrorKind, why: string): never => { throw new ExtensionError(kind, ext.file, `${where(ext)}: ${why}`); };
  if (!isWasmModule(bytes)) {
    const native = describeNativeBinary(bytes);
    if (native) fail("wrong-architecture", `${native}, not a wasm32 WebAssembly module: build the extension for wasm32-wasi (CPython 3.14's WASI build)`);
    if (bytes.length >= 8 && bytes[0] === 0 && bytes[1] === 0x61 && bytes[2] === 0x73 && bytes[3] === 0x6d) {
      fail("not-a-dylib", "is a WebAssembly component (or an unknown wasm version), not a core module shared library");
    }
    fail("not-wasm", "is not a WebAssembly module (no \\0asm magic)");
  }
  let symbols: LibrarySymbols;
  try { symbols = readLibrarySymbols(bytes); } catch (e) {
    return fail("not-wasm", `is not a valid WebAssembly module: ${(e as Error).message}`);
  }
  if (!symbols.dylink) {
    fail("not-a-dylib", "has no dylink.0 section, so it is not a dynamic library (build with -fPIC and link with -shared, e.g. wasm-ld --experimental-pic --shared)");
  }
  const memory = symbols.imports.find((i) => i.type.kind === "memory");
  if (memory && memory.type.kind === "memory" && memory.type.memory64) fail("wrong-architecture", "is a wasm64 (memory64) library; the runtime is wasm32");
  if (symbols.definesMemory) fail("not-a-dylib", "defines its own memory instead of importing env.memory, so it is not a dynamic library");
  if (symbols.definesTable) fail("not-a-dylib", "defines its own table instead of importing env.__indirect_function_table, so it is not a dynamic library");
  const init = `PyInit_${moduleShortName(ext.guestPath)}`;
  const initExport = symbols.exports.find((e) => e.name === init);
  if (initExport?.type.kind !== "func") {
    const others = symbols.exports.filter((e) => e.name.startsWith("PyInit_")).map((e) => e.name);
    fail("no-init-function", `does not export the function ${init}, which CPython calls to import it as module ${moduleShortName(ext.guestPath)}` +
      (others.length ? ` (it exports ${others.join(", ")}: rename the file to match)` : ""));
  }
  return { ...ext, symbols, size: bytes.length };
}

// ---------------------------------------------------------------------------
// Checking extensions against everything else that is linked

/** A library on the link command line (name as the linker knows it). */
export interface LinkedLibrary { name: string; file: string }

/**
 * Exports of the linker's built-in libdl (`--use-built-in-libdl`): the
 * `libdl.so` embedded in wit-component 0.243.0 (read from the crate; it is
 * not a file of the link command line).
 */
const BUILT_IN_LIBDL: SymbolExport[] = [
  { name: "dlopen", type: { kind: "func", sig: { params: ["i32", "i32"], results: ["i32"] } }, weak: false },
  { name: "dlsym", type: { kind: "func", sig: { params: ["i32", "i32"], results: ["i32"] } }, weak: false },
  { name: "dlclose", type: { kind: "func", sig: { params: ["i32"], results: ["i32"] } }, weak: false },
  { name: "dlerror", type: { kind: "func", sig: { params: [], results: ["i32"] } }, weak: false },
];

/** Exports the linker handles itself (never resolved between libraries). */
const LINKER_EXPORTS = new Set(["__wasm_apply_data_relocs", "__wasm_call_ctors", "_initialize", "_start", "__wasm_set_libraries"]);
/** `env` imports the linker provides itself. */
const LINKER_ENV = new Set(["memory", "__indirect_function_table", "__memory_base", "__table_base", "__stack_pointer", "__asyncify_state", "__asyncify_data"]);
const LINKER_GOT_MEM = new Set(["__heap_base", "__heap_end", "__stack_high", "__stack_low"]);
/** Import modules provided through `--adapt`. */
const ADAPTER_MODULES = new Set(["wasi_snapshot_preview1"]);

const symbolCache = new Map<string, { key: string; symbols: LibrarySymbols }>();

function cachedSymbols(file: string): LibrarySymbols {
  const st = statSync(file);
  const key = `${st.size}:${st.mtimeMs}`;
  const hit = symbolCache.get(file);
  if (hit && hit.key === key) return hit.symbols;
  const symbols = readLibrarySymbols(readFileSync(file));
  symbolCache.set(file, { key, symbols });
  return symbols;
}

interface Exporter { library: string; export: SymbolExport; isExtension: boolean }

/**
 * Inspects every extension and checks it against the other libraries of the
 * link (`linked`, in command-line order, plus the built-in libdl):
 *   - every library it needs (dylink.0 NEEDED) is linked;
 *   - every `env` function import is exported by some library with the same
 *     signature (weak imports may stay unresolved: the linker stubs them);
 *   - every `GOT.mem` import is an exported global, every `GOT.func` an
 *     exported function (of any library, the extension itself included);
 *   - imports come only from env, GOT.mem, GOT.func and the WASI adapter;
 *   - no exported name is also exported, strongly, by another library.
 * Throws an ExtensionError naming the file and the symbol on the first problem.
 */
export function validateExtensions(extensions: ExtensionLibrary[], linked: LinkedLibrary[]): InspectedExtension[] {
  const inspected = extensions.map(inspectExtension);
  checkExtensionSymbols(inspected, linked);
  return inspected;
}

/** The symbol checks of validateExtensions, for extensions already read by inspectExtension. */
export function checkExtensionSymbols(inspected: InspectedExtension[], linked: LinkedLibrary[]): void {
  const exporters = new Map<string, Exporter[]>();
  const addExports = (library: string, exports: SymbolExport[], isExtension: boolean) => {
    for (const e of exports) {
      if (LINKER_EXPORTS.has(e.name)) continue;
      const list = exporters.get(e.name) ?? [];
      list.push({ library, export: e, isExtension });
      exporters.set(e.name, list);
    }
  };
  for (const lib of linked) addExports(lib.name, cachedSymbols(lib.file).exports, false);
  addExports("libdl.so (built in)", BUILT_IN_LIBDL, false);
  for (const ext of inspected) addExports(ext.guestPath, ext.symbols.exports, true);

  const libraryNames = new Set([...linked.map((l) => l.name), ...inspected.map((e) => e.guestPath)]);
  for (const ext of inspected) {
    const fail = (kind: ExtensionErrorKind, why: string): never => { throw new ExtensionError(kind, ext.file, `${where(ext)}: ${why}`); };

    // dylink.0 NEEDED: the linker requires every name to be a library of the link.
    const missing = (ext.symbols.dylink?.needed ?? []).filter((n) => !libraryNames.has(n));
    if (missing.length) {
      fail("missing-library", `needs ${missing.join(", ")} (dylink.0 NEEDED), which ${missing.length > 1 ? "are" : "is"} not linked; linked libraries: ${linked.map((l) => l.name).join(", ")}`);
    }

    // Duplicate strong exports.
    for (const e of ext.symbols.exports) {
      if (LINKER_EXPORTS.has(e.name) || e.weak) continue;
      const clash = (exporters.get(e.name) ?? []).find((x) => x.library !== ext.guestPath && !x.export.weak);
      if (clash) {
        fail("duplicate-symbol", `exports ${e.name} (${formatType(e.type)}), which ${clash.isExtension ? `the extension ${clash.library}` : clash.library} also exports (${formatType(clash.export.type)}); ` +
          "two libraries may not export the same strong symbol (make it static / hidden, or rename it)");
      }
    }

    // Imports.
    for (const imp of ext.symbols.imports) {
      const candidates = exporters.get(imp.name) ?? [];
      if (imp.module === "env") {
        if (LINKER_ENV.has(imp.name)) continue;
        if (imp.type.kind === "tag") continue; // exception tags: resolved by the linker itself
        if (imp.type.kind !== "func") fail("unsupported-import", `imports env.${imp.name} as a ${imp.type.kind}; a dynamic library imports data through GOT.mem`);
        const sig = (imp.type as { sig: Signature }).sig;
        const funcs = candidates.filter((c) => c.export.type.kind === "func");
        if (funcs.some((c) => sameSignature((c.export.type as { sig: Signature }).sig, sig))) continue;
        if (imp.weak) continue;
        if (funcs.length) {
          const c = funcs[0];
          fail("signature-mismatch", `imports the function ${imp.name} ${formatSignature(sig)}, but ${c.library} exports it as ${formatSignature((c.export.type as { sig: Signature }).sig)}`);
        }
        fail("missing-symbol", `imports the function ${imp.name} ${formatSignature(sig)}, which no linked library exports ` +
          `(searched ${[...linked.map((l) => l.name), "libdl.so", ...inspected.filter((o) => o !== ext).map((o) => o.guestPath)].join(", ")})`);
      } else if (imp.module === "GOT.mem") {
        if (LINKER_GOT_MEM.has(imp.name)) continue;
        if (candidates.some((c) => c.export.type.kind === "global")) continue;
        fail("missing-symbol", `imports the address of data symbol ${imp.name} (GOT.mem), which no linked library exports`);
      } else if (imp.module === "GOT.func") {
        if (candidates.some((c) => c.export.type.kind === "func")) continue;
        fail("missing-symbol", `imports the table index of function ${imp.name} (GOT.func), which no linked library exports`);
      } else if (!ADAPTER_MODULES.has(imp.module)) {
        fail("unsupported-import", `imports ${imp.module}.${imp.name}; an extension may import only from env, GOT.mem, GOT.func and wasi_snapshot_preview1`);
      }
    }
  }
}

/** `--dl-openable GUEST=FILE` arguments for `wasm-tools component link`. */
export function dlOpenableArgs(extensions: ExtensionLibrary[]): string[] {
  return extensions.flatMap((e) => ["--dl-openable", `${e.guestPath}=${e.file}`]);
}
