// `npm run sandbox -- [eryx-as-host arguments]`: builds the reference host when
// needed, then runs it on dist/runtime.wasm with the given arguments.
//
// Tests import `ensureHostBuilt()` to get the binary path.

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { cargoBinaryNeedsBuild, cargoBinaryPath, ensureCargoBinary } from "../link/cargo.ts";

const root = dirname(dirname(fileURLToPath(import.meta.url)));

/** Where cargo puts the release binary (the workspace's target/). */
export const hostBinary = cargoBinaryPath(root, "eryx-as-host");

/** True when the binary is missing or older than any of its sources. */
export function hostNeedsBuild(): boolean {
  return cargoBinaryNeedsBuild(root, "eryx-as-host");
}

/** Builds the Rust workspace if the host is missing or stale; returns the binary path. */
export async function ensureHostBuilt(): Promise<string> {
  return await ensureCargoBinary(root, "eryx-as-host", (line) => process.stderr.write(`[sandbox] ${line}\n`));
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
