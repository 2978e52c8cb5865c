// Stage: the wasm-tools commands the link runs (wit-dylib, component link,
// validate, print), from link/wasm-tools/: a member of the project's Cargo
// workspace built on the library crates wasm-tools 1.243.0 calls for them, at
// the same versions, so bindings and components come out byte for byte as
// wasm-tools 1.243.0 writes them (link/wasm-tools/README.md). A fresh clone
// builds it in about a minute, where `cargo install wasm-tools` took over two
// and compiled its own copies of crates the workspace builds anyway.

import { execFileSync } from "node:child_process";
import { cargoBinaryPath, ensureCargoBinary } from "./cargo.ts";
import { StageError } from "./log.ts";

/** The wasm-tools release whose commands link/wasm-tools/ runs. */
export const WASM_TOOLS_VERSION = "1.243.0";

export function wasmToolsPath(root: string): string {
  return cargoBinaryPath(root, "eryx-as-wasm-tools");
}

/** Returns the path of the wasm-tools commands, building them first if needed (about a minute, once). */
export async function ensureWasmTools(root: string, log: (line: string) => void): Promise<string> {
  try {
    return await ensureCargoBinary(root, "eryx-as-wasm-tools", log, { onlyThisBinary: true });
  } catch (e) {
    throw new StageError("tools", `building link/wasm-tools/ failed: ${(e as Error).message}`);
  }
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
