// `npm run sandbox -- [eryx-as-host arguments]`: builds the reference host when
// needed, then runs it on dist/runtime.wasm with the given arguments.
//
// Tests import `ensureHostBuilt()` to get the binary path.

import { spawn } from "node:child_process";
import { existsSync, readdirSync, statSync, utimesSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const hostDir = dirname(fileURLToPath(import.meta.url));
const root = dirname(hostDir);

/** Where cargo puts the release binary. */
export const hostBinary = join(hostDir, "target", "release", "eryx-as-host");

/** The inputs whose change requires a rebuild. */
const buildInputs = [
  join(hostDir, "src"),
  join(hostDir, "build.rs"),
  join(hostDir, "Cargo.toml"),
  join(hostDir, "Cargo.lock"),
  join(root, "wit"),
];

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of readdirSync(path)) {
    newest = Math.max(newest, newestMtime(join(path, entry)));
  }
  return newest;
}

/** True when the binary is missing or older than any of its sources. */
export function hostNeedsBuild(): boolean {
  if (!existsSync(hostBinary)) return true;
  const built = statSync(hostBinary).mtimeMs;
  return buildInputs.some((p) => newestMtime(p) > built);
}

/**
 * Build the host with `cargo build --release` if it is missing or stale and
 * return the binary path. Cargo's output goes to stderr so that stdout stays
 * the host's.
 */
export async function ensureHostBuilt(): Promise<string> {
  if (!hostNeedsBuild()) return hostBinary;
  process.stderr.write(
    "[sandbox] building eryx-as-host (cargo build --release; the first build takes several minutes)...\n",
  );
  const code = await new Promise<number>((resolvePromise, reject) => {
    const child = spawn(
      "cargo",
      ["build", "--release", "--manifest-path", join(hostDir, "Cargo.toml")],
      { cwd: root, stdio: ["ignore", 2, 2] },
    );
    child.on("error", (e) => reject(new Error(`cannot run cargo: ${e.message}`)));
    child.on("exit", (c, signal) => resolvePromise(c ?? (signal ? 128 : 1)));
  });
  if (code !== 0 || !existsSync(hostBinary)) {
    throw new Error(`cargo build --release failed (exit ${code})`);
  }
  // Cargo leaves the binary untouched when nothing needed relinking; mark it
  // fresh so that the next run does not try again.
  const now = new Date();
  utimesSync(hostBinary, now, now);
  return hostBinary;
}

async function main(argv: string[]): Promise<number> {
  let binary: string;
  try {
    binary = await ensureHostBuilt();
  } catch (e) {
    process.stderr.write(`[sandbox] ${(e as Error).message}\n`);
    return 1;
  }
  const wantsHelp = argv.includes("-h") || argv.includes("--help");
  const customRuntime = argv.some((a) => a === "--runtime" || a.startsWith("--runtime="));
  if (!wantsHelp && !customRuntime && !existsSync(resolve("dist/runtime.wasm"))) {
    process.stderr.write("dist/runtime.wasm not found: run npm run link first\n");
    return 1;
  }
  return await new Promise<number>((resolvePromise) => {
    const child = spawn(binary, argv, { stdio: "inherit" });
    child.on("error", (e) => {
      process.stderr.write(`[sandbox] cannot run ${binary}: ${e.message}\n`);
      resolvePromise(1);
    });
    child.on("exit", (c, signal) => {
      if (signal) {
        process.stderr.write(`[sandbox] eryx-as-host killed by ${signal}\n`);
        resolvePromise(1);
      } else {
        resolvePromise(c ?? 1);
      }
    });
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  process.exit(await main(process.argv.slice(2)));
}
