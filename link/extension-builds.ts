// Building CPython extension modules as wasm32 dynamic libraries, two ways:
//
//   buildAssemblyScriptExtension  our own toolchain: asc twice at two bases,
//                                 then link/relocate.ts (as for liberyx_runtime.so),
//                                 with the libc-malloc runtime of assembly/rt.
//   buildCExtension               an independent one: Debian's clang 19 +
//                                 wasm-ld 19 (-fPIC, --experimental-pic -shared),
//                                 no sysroot, no libc headers.
//
// Both produce a core module with dylink.0 whose only exports are
// PyInit_<name> and the linker's entry points, ready for
// `npm run link -- --site-packages DIR` (see docs/native-extensions.md).

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { compileTwice } from "./compile.ts";
import { relocate, type RelocateReport } from "./relocate.ts";
import { StageError } from "./log.ts";

export interface AssemblyScriptExtensionInput {
  /** Entry file, relative to the project root (asc runs with the root as cwd). */
  entry: string;
  /** `--use abort=<file/function>` target (AS's own env.abort import clashes with libc's). */
  abort: string;
  outPath: string;
  /** Custom runtime (default: assembly/rt/libc-runtime, allocating with libc malloc). */
  runtime?: string;
}

/** asc ×2 + relocation → a PIC dylib exporting only PyInit_* (plus `_initialize`, `__wasm_apply_data_relocs`). */
export async function buildAssemblyScriptExtension(input: AssemblyScriptExtensionInput): Promise<RelocateReport> {
  const [a, b] = await compileTwice({
    entry: input.entry,
    runtime: input.runtime ?? "./assembly/rt/libc-runtime",
    abort: input.abort,
    optimize: true,
  });
  const { bytes, report } = relocate(a, b, {
    needed: ["libc.so", "libpython3.14.so"],
    // Never re-export the runtime's helpers (__alloc, __new, ...): only the
    // module's init function and the AS start function (static initialisers).
    keepExport: (name) => name.startsWith("PyInit_") || name === "_initialize",
    keepNames: true,
    staticEndExport: "__eryx_static_end",
  });
  mkdirSync(dirname(input.outPath), { recursive: true });
  writeFileSync(input.outPath, bytes);
  return report;
}

export const CLANG = "clang-19";
export const WASM_LD = "wasm-ld-19";
const CLANG_PACKAGES = ["clang-19", "lld-19"];

function onPath(command: string): boolean {
  return spawnSync(command, ["--version"], { stdio: "ignore" }).status === 0;
}

/**
 * Returns the clang that builds wasm32 dylibs, installing Debian's clang-19
 * and lld-19 with apt-get when they are missing (idempotent: nothing happens
 * when both are there). Concurrent callers (test files run in parallel) are
 * serialised with flock, so only one apt-get runs. Throws a StageError saying
 * what to install when it cannot install.
 */
export function ensureClang(log: (line: string) => void = () => {}): string {
  if (onPath(CLANG) && onPath(WASM_LD)) return CLANG;
  const how = `apt-get install -y --no-install-recommends ${CLANG_PACKAGES.join(" ")}`;
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  if (!isRoot || !existsSync("/usr/bin/apt-get")) {
    throw new StageError("clang", `${CLANG} and ${WASM_LD} are needed to build C extensions and are missing: run \`sudo ${how}\` (Debian 12: the packages are in bookworm's main archive)`);
  }
  log(`${CLANG}/${WASM_LD} missing: installing Debian's ${CLANG_PACKAGES.join(", ")} with apt-get (once)`);
  // Under the lock: check again (another process may have installed them),
  // install, and on failure refresh the package lists once and retry.
  const script = `command -v ${CLANG} >/dev/null && command -v ${WASM_LD} >/dev/null && exit 0; ` +
    `${how} || { apt-get update && ${how}; }`;
  const lock = join(tmpdir(), "eryx-as-clang-install.lock");
  const useFlock = spawnSync("flock", ["--version"], { stdio: "ignore" }).status === 0;
  const r = spawnSync(useFlock ? "flock" : "sh", useFlock ? [lock, "sh", "-c", script] : ["-c", script],
    { stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  if (r.status !== 0 || !onPath(CLANG) || !onPath(WASM_LD)) {
    throw new StageError("clang", `\`${how}\` failed (exit ${r.status}); install ${CLANG_PACKAGES.join(" and ")} and try again`);
  }
  log(`installed ${CLANG_PACKAGES.join(", ")}`);
  return CLANG;
}

export interface CExtensionInput {
  sources: string[];
  includeDirs?: string[];
  outPath: string;
  /** Extra compiler flags (e.g. -DNAME=...). */
  flags?: string[];
}

/**
 * How clang 19 / wasm-ld 19 make a CPython extension a wasm32 dylib, in two
 * explicit steps (compile, then link), because the clang driver's one-step
 * build runs whatever `wasm-opt` is on PATH after linking (under npm scripts,
 * binaryen's from node_modules/.bin: the output would depend on how the build
 * was started), and clang 19's `--no-wasm-opt` drops the link step entirely.
 *
 * Compile: position-independent code, no libc headers, hidden visibility so
 * only what the source marks `visibility("default")` (PyInit_*) is exported.
 */
export const C_COMPILE_FLAGS = [
  "--target=wasm32-wasip1", "-O2", "-fPIC", "-fvisibility=hidden", "-ffreestanding", "-Wall", "-Wextra", "-Werror",
];
/**
 * Link: a shared library with dylink.0 (`--experimental-pic -shared`), no
 * entry point, every undefined symbol an import (functions from `env`, data
 * through `GOT.mem`, resolved by the component linker).
 */
export const C_LINK_FLAGS = ["-m", "wasm32", "--experimental-pic", "-shared", "--no-entry", "--unresolved-symbols=import-dynamic"];

function run(command: string, args: string[], log: (line: string) => void): void {
  const r = spawnSync(command, args, { encoding: "utf8" });
  // wasm-ld always warns that -shared is "not yet stable"; anything else is shown.
  const stderr = (r.stderr ?? "").split("\n").filter((l) => l && !/creating shared libraries, with -shared, is not yet stable/.test(l)).join("\n");
  if (r.status !== 0) throw new StageError("clang", `${command} ${args.join(" ")} failed (exit ${r.status}):\n${stderr || r.error?.message || ""}`);
  if (stderr) log(stderr);
}

export function buildCExtension(input: CExtensionInput, log: (line: string) => void = () => {}): void {
  const clang = ensureClang(log);
  mkdirSync(dirname(input.outPath), { recursive: true });
  const objDir = `${input.outPath}.o.d`;
  mkdirSync(objDir, { recursive: true });
  const objects = input.sources.map((source, i) => {
    const obj = join(objDir, `${i}-${basename(source).replace(/\.[^.]*$/, "")}.o`);
    run(clang, [...C_COMPILE_FLAGS, ...(input.includeDirs ?? []).flatMap((d) => ["-I", d]), ...(input.flags ?? []), "-c", source, "-o", obj], log);
    return obj;
  });
  run(WASM_LD, [...C_LINK_FLAGS, ...objects, "-o", input.outPath], log);
  rmSync(objDir, { recursive: true, force: true });
}
