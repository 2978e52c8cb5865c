// The eryx 0.5 world's test host: eryx-host/ (the published eryx 0.5.0 crate,
// a member of the root Cargo workspace built on its own) in `--serve` mode, driven by tests/e2e/host.ts when
// ERYX_AS_E2E_HOST=eryx05 (npm run test:eryx-0.5; docs/eryx-0.5.md).

import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, statSync } from "node:fs";
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

const precompiled = new Map<string, string>();

/**
 * `runtime` compiled once by the crate's own engine configuration
 * (`eryx05-host precompile`), for `--serve --precompiled` (the crate's
 * `with_precompiled_file`): without its `native-extensions` feature eryx 0.5
 * keeps no compiled-component cache, so every host would compile the 30 MiB
 * component again, tens of seconds each on 2 busy cores. Kept in build/ under
 * a key of the component's bytes and the host binary's build time (hashed
 * once per process and file version, not at every host start); written to a
 * temporary name first, so concurrent test files never read half a file.
 * The benchmarks load the same files.
 */
export function eryx05Precompiled(runtime: string): string {
  const { size, mtimeMs } = statSync(runtime);
  const version = `${runtime}\0${size}\0${mtimeMs}\0${statSync(eryxHostBinary).mtimeMs}`;
  const known = precompiled.get(version);
  if (known) return known;
  const key = createHash("sha256").update(readFileSync(runtime)).update(String(statSync(eryxHostBinary).mtimeMs)).digest("hex").slice(0, 16);
  const dir = join(root, "build", "cwasm-cache-eryx05");
  const out = join(dir, `${key}.cwasm`);
  if (!existsSync(out)) {
    mkdirSync(dir, { recursive: true });
    const tmp = `${out}.${process.pid}.tmp`;
    execFileSync(eryxHostBinary, ["precompile", runtime, tmp], { stdio: ["ignore", "ignore", "inherit"] });
    renameSync(tmp, out);
  }
  precompiled.set(version, out);
  return out;
}
