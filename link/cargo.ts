// The project's Rust programs (reference host, pre-initialiser, peer fixup,
// the link's wasm-tools commands, and eryx-host/ on the published eryx 0.5.0
// crate) are one Cargo workspace:
// one Cargo.lock and one target/ at the root. This is the one place that
// builds the first three or finds them.
//
// They are built at once (`cargo build --release --workspace --exclude
// eryx05-host --locked`): cargo unifies the features of shared dependencies
// across what it builds, so building members one by one would compile
// wasmtime and everything above it once per feature set, and --locked keeps
// the pinned versions. The link's first stage needs only the wasm-tools
// commands: it builds that one binary, still with the features the whole
// workspace unifies to (`--workspace ... --bin`), so the later full build
// reuses every crate it compiled. eryx05-host is left out: it brings a second wasmtime
// (44, the eryx crate's) that nothing here needs; tests/e2e/eryx05.ts builds
// it on its own.

import { spawn } from "node:child_process";
import { existsSync, readdirSync, statSync, utimesSync } from "node:fs";
import { join } from "node:path";

/** The workspace members this module builds (directories relative to the root), each with the binary it builds, if any. */
export const WORKSPACE_MEMBERS = [
  { dir: "host", binary: "eryx-as-host" },
  { dir: "host-common", binary: null },
  { dir: "preinit", binary: "eryx-as-preinit" },
  { dir: join("peer", "fixup"), binary: "peer-fixup" },
  { dir: join("link", "wasm-tools"), binary: "eryx-as-wasm-tools" },
] as const;

export type CargoBinaryName = NonNullable<(typeof WORKSPACE_MEMBERS)[number]["binary"]>;

/** Where cargo puts a release binary of the workspace. */
export function cargoBinaryPath(root: string, name: CargoBinaryName): string {
  return join(root, "target", "release", name);
}

/** Everything a change of which means a rebuild: manifests, the lock, sources, build scripts and the WIT world. */
export function workspaceInputs(root: string): string[] {
  return [
    join(root, "Cargo.toml"),
    join(root, "Cargo.lock"),
    join(root, "wit"),
    ...WORKSPACE_MEMBERS.flatMap((m) => ["Cargo.toml", "build.rs", "src"].map((f) => join(root, m.dir, f))),
  ];
}

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/** True when the binary is missing or older than any workspace input. */
export function cargoBinaryNeedsBuild(root: string, name: CargoBinaryName): boolean {
  const binary = cargoBinaryPath(root, name);
  if (!existsSync(binary)) return true;
  const built = statSync(binary).mtimeMs;
  return workspaceInputs(root).some((p) => newestMtime(p) > built);
}

/** Raised when cargo is missing or the build fails; the message says what to do. */
export class CargoBuildError extends Error {}

/**
 * Returns the path of a workspace binary, first building the workspace
 * (`cargo build --release --workspace --exclude eryx05-host --locked`) if the binary is missing or
 * stale; with `onlyThisBinary`, only that binary and what it needs (`--bin`).
 * Cargo's output goes to stderr so that stdout stays the caller's.
 * Concurrent callers are safe: cargo serialises builds of one target/.
 */
export async function ensureCargoBinary(root: string, name: CargoBinaryName, log: (line: string) => void, options: { onlyThisBinary?: boolean } = {}): Promise<string> {
  const binary = cargoBinaryPath(root, name);
  if (!cargoBinaryNeedsBuild(root, name)) return binary;
  const args = ["build", "--release", "--workspace", "--exclude", "eryx05-host", "--locked", ...(options.onlyThisBinary ? ["--bin", name] : [])];
  log(`building ${options.onlyThisBinary ? name : `the Rust workspace for ${name}`} (cargo ${args.join(" ")}; the first build takes ${options.onlyThisBinary ? "about a minute" : "several minutes"})...`);
  const started = performance.now();
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn("cargo", args, { cwd: root, stdio: ["ignore", 2, 2] });
    child.on("error", (e) => reject(new CargoBuildError(`cannot run cargo (${e.message}): install Rust (rustup, stable) and try again`)));
    child.on("exit", (c, signal) => resolve(c ?? (signal ? 128 : 1)));
  });
  if (code !== 0) throw new CargoBuildError(`cargo ${args.join(" ")} failed (exit ${code}); its errors are above`);
  // Cargo leaves a binary untouched when nothing needed relinking; mark every
  // binary just built fresh so the next call does not build again.
  const now = new Date();
  for (const m of WORKSPACE_MEMBERS) {
    if (!m.binary || (options.onlyThisBinary && m.binary !== name)) continue;
    const path = cargoBinaryPath(root, m.binary);
    if (!existsSync(path)) throw new CargoBuildError(`cargo ${args.join(" ")} succeeded but ${path} is missing`);
    utimesSync(path, now, now);
  }
  log(`built ${options.onlyThisBinary ? name : "the Rust workspace"} in ${((performance.now() - started) / 1000).toFixed(1)}s`);
  return binary;
}
