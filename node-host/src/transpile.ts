// jco transpile of a component into build/jco/<hash>/, done once per
// component: the directory name is the sha256 of the component bytes and the
// jco version, so a relinked component is a new directory and a stale one is
// never used. Output: `<name>.js` (instantiation mode: we pass every import
// and instantiate the core modules ourselves) and the core `*.wasm` files.

import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const nodeHostDir = dirname(dirname(fileURLToPath(import.meta.url)));
export const projectRoot = dirname(nodeHostDir);
const jcoVersion = JSON.parse(readFileSync(join(projectRoot, "node_modules", "@bytecodealliance", "jco", "package.json"), "utf8")).version as string;

/** Transpiled output kept per component; older ones are removed. */
const KEEP = 4;

export interface Transpiled {
  dir: string;
  /** The generated JS module exporting `instantiate(getCoreModule, imports, instantiateCore)`. */
  module: string;
}

function cacheRoot(): string {
  return process.env.ERYX_AS_JCO_DIR || join(projectRoot, "build", "jco");
}

/** Transpile `componentPath` unless the output for these exact bytes exists. */
export async function ensureTranspiled(componentPath: string): Promise<Transpiled> {
  if (!existsSync(componentPath)) throw new Error(`runtime component not found: ${componentPath}`);
  const bytes = readFileSync(componentPath);
  const hash = createHash("sha256").update(bytes).digest("hex").slice(0, 16);
  const dir = join(cacheRoot(), `runtime-${hash}-jco${jcoVersion}`);
  const module = join(dir, "runtime.js");
  if (existsSync(module)) return { dir, module };

  const { transpile } = await import("@bytecodealliance/jco");
  const { files } = await transpile(bytes, {
    name: "runtime",
    instantiation: "async",
    asyncMode: "jspi",
    // The component-model async import and exports (wit/runtime.wit).
    asyncImports: ["invoke"],
    asyncExports: ["execute", "snapshot-state", "restore-state", "clear-state"],
    noTypescript: true,
    quiet: true,
    // Every core module as a file: the host compiles them itself.
    base64Cutoff: 0,
  });
  // Write into a temp directory and rename, so that a concurrent reader never
  // sees half the files.
  mkdirSync(cacheRoot(), { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  for (const [name, data] of Object.entries(files)) {
    const path = join(tmp, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, data);
  }
  try {
    renameSync(tmp, dir);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(module)) throw e;
  }
  prune();
  return { dir, module };
}

function prune(): void {
  const root = cacheRoot();
  const entries = readdirSync(root)
    .filter((n) => n.startsWith("runtime-") && !n.includes(".tmp-"))
    .map((n) => ({ path: join(root, n), mtime: statSync(join(root, n)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  for (const old of entries.slice(KEEP)) rmSync(old.path, { recursive: true, force: true });
}
