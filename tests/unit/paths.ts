// Paths shared by the unit tests (run from anywhere: resolved from this file).

import { join, resolve } from "node:path";

export const ROOT = resolve(import.meta.dirname, "..", "..");
export const VENDOR = join(ROOT, ".cache", "vendor");
export const BUILD = join(ROOT, "build");
export const RUNTIME_SO = join(BUILD, "liberyx_runtime.so");
export const BINDINGS_SO = join(BUILD, "liberyx_bindings.so");
/** The link's wasm-tools commands (link/wasm-tools/, built by `npm run link`). */
export const WASM_TOOLS = join(ROOT, "target", "release", "eryx-as-wasm-tools");

export function hex(bytes: ArrayLike<number>): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(" ");
}

export function fromHex(text: string): Uint8Array {
  return Uint8Array.from(text.trim().split(/\s+/).filter(Boolean), (h) => parseInt(h, 16));
}
