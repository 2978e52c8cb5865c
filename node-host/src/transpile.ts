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

/** Bumped when the patches below change, so that old output is not reused. */
const PATCH_LEVEL = 1;

/**
 * jco 1.35's async driver loop knows the callback codes EXIT, YIELD and WAIT
 * but not POLL (3), which the runtime returns while a timer is due and host
 * callbacks are in flight (wasmtime supports it): the loop reaches its
 * `default:` case and throws "ret is not defined". POLL is YIELD that delivers
 * a pending event of the waitable set if there is one, so this case is added
 * right before the WAIT case, built from the same pieces as YIELD and WAIT.
 */
const POLL_ANCHOR = "          case 2: // WAIT for a given waitable set";
const POLL_CASE = `          case 3: // POLL (added by node-host/src/transpile.ts, see there)
          wset = cstate.handles.get(waitableSetRep);
          if (!(wset instanceof WaitableSet)) {
            throw new Error(\`non-waitable set returned from component state handles @ [\${waitableSetRep}]\`);
          }
          task.suspendUntilCallback({
            cancellable: true,
            readyFn: () => true,
          }, (keepGoing) => {
            continueWithEvent(!keepGoing
            ? { code: ASYNC_EVENT_CODE.TASK_CANCELLED, payload0: 0, payload1: 0 }
            : wset.hasPendingEvent()
            ? wset.getPendingEvent()
            : { code: ASYNC_EVENT_CODE.NONE, payload0: 0, payload1: 0 });
          });
          task.settleCompletion();
          return;

`;

function patchGenerated(js: string): string {
  const at = js.indexOf(POLL_ANCHOR);
  if (at < 0 || js.indexOf(POLL_ANCHOR, at + 1) >= 0) {
    throw new Error(`jco output changed: cannot find exactly one "${POLL_ANCHOR.trim()}" to add the POLL case`);
  }
  return js.slice(0, at) + POLL_CASE + js.slice(at);
}

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
  const dir = join(cacheRoot(), `runtime-${hash}-jco${jcoVersion}-p${PATCH_LEVEL}`);
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
    writeFileSync(path, name === "runtime.js" ? patchGenerated(Buffer.from(data).toString("utf8")) : data);
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
