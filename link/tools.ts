// Stage: the pinned wasm-tools, installed by the project itself into
// .tools/ with `cargo install --locked` (crates.io), then reused.

import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { StageError } from "./log.ts";

export const WASM_TOOLS_VERSION = "1.243.0";

/**
 * The subcommands the project runs, and nothing else: component (embed, new,
 * wit, link), wit-dylib, validate, print, parse. The default features also
 * build the fuzzers, mutators, composer and demanglers, about 70 more crates
 * (164 → 94), which CI would compile for nothing.
 */
export const WASM_TOOLS_FEATURES = ["component", "wit-dylib", "validate", "print", "parse"] as const;

export function wasmToolsPath(root: string): string {
  return join(root, ".tools", "bin", "wasm-tools");
}

function installedVersion(bin: string): string | null {
  if (!existsSync(bin)) return null;
  const r = spawnSync(bin, ["--version"], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim().split(/\s+/)[1] ?? null : null;
}

/** Returns the path of wasm-tools WASM_TOOLS_VERSION, installing it if needed (several minutes once). */
export function ensureWasmTools(root: string, log: (line: string) => void): string {
  const bin = wasmToolsPath(root);
  if (installedVersion(bin) === WASM_TOOLS_VERSION) return bin;
  if (spawnSync("cargo", ["--version"]).status !== 0) {
    throw new StageError("tools", `wasm-tools ${WASM_TOOLS_VERSION} is not in .tools/bin and cargo is missing: install Rust (rustup) and run npm run link again`);
  }
  log(`installing wasm-tools ${WASM_TOOLS_VERSION} with cargo into .tools/ (takes several minutes, once)`);
  const r = spawnSync("cargo", ["install", "wasm-tools", "--version", WASM_TOOLS_VERSION, "--locked", "--no-default-features", "--features", WASM_TOOLS_FEATURES.join(","), "--root", join(root, ".tools")], { stdio: ["ignore", "inherit", "inherit"] });
  if (r.status !== 0 || installedVersion(bin) !== WASM_TOOLS_VERSION) {
    throw new StageError("tools", `cargo install wasm-tools ${WASM_TOOLS_VERSION} failed (exit ${r.status})`);
  }
  return bin;
}

/** Runs wasm-tools, turning a failure into a StageError with its stderr. */
export function runWasmTools(bin: string, stageName: string, args: string[]): string {
  try {
    return execFileSync(bin, args, { encoding: "utf8", maxBuffer: 1 << 28, stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    const err = e as { stderr?: string; status?: number };
    throw new StageError(stageName, `wasm-tools ${args[0]} ${args[1] ?? ""} failed (exit ${err.status}):\n${err.stderr ?? e}`);
  }
}
