// The eryx 0.5 world's test host: eryx-host/ (the published eryx 0.5.0 crate,
// a member of the root Cargo workspace built on its own) in `--serve` mode, driven by tests/e2e/host.ts when
// ERYX_AS_E2E_HOST=eryx05 (npm run test:eryx-0.5; docs/eryx-0.5.md).

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dirname, "..", "..");
export const eryxHostDir = join(root, "eryx-host");
export const eryxHostBinary = join(root, "target", "release", "eryx05-host");
/** The 0.5-world component `npm run link -- --world eryx-0.5` writes. */
export const eryx05Runtime = join(root, "dist", "runtime-eryx-0.5.wasm");

/**
 * Builds eryx-host/ (`nice -n 19 cargo build --release --locked -p
 * eryx05-host` at the workspace root: wasmtime 44 and the eryx crate, which
 * the rest of the workspace never builds; from nothing it takes tens of
 * minutes on 2 cores, afterwards seconds) and returns the binary.
 */
export async function ensureEryxHostBuilt(log: (line: string) => void = (l) => process.stderr.write(`[eryx05] ${l}\n`)): Promise<string> {
  const started = performance.now();
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn("nice", ["-n", "19", "cargo", "build", "--release", "--locked", "-p", "eryx05-host"], { cwd: root, stdio: ["ignore", 2, 2] });
    child.on("error", (e) => reject(new Error(`cannot run cargo for eryx-host/ (${e.message})`)));
    child.on("exit", (c, signal) => resolve(c ?? (signal ? 128 : 1)));
  });
  if (code !== 0 || !existsSync(eryxHostBinary)) throw new Error(`cargo build of eryx-host/ failed (exit ${code}); its errors are above`);
  log(`eryx-host/ built or up to date in ${((performance.now() - started) / 1000).toFixed(1)}s`);
  return eryxHostBinary;
}
