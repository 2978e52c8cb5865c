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
const PATCH_LEVEL = 6;

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

/**
 * Every import call looks its task up by id in the component's task list.
 * The ~3000 tasks jco creates for the WASI calls of Python's start-up stay in
 * that list (resolved, never removed), and the lookup scans from the front,
 * so each later import call (a trace event, a file read) walks all of them:
 * ~75 µs per call, 30 s for a traced loop of 10^5 iterations. The task being
 * looked up is almost always the newest, so the scan goes from the back
 * (ids are unique: same result, found at once).
 */
const TASK_LOOKUP = "      return taskMetas.find(meta => meta.task.id() === taskID);";
const TASK_LOOKUP_FROM_BACK = "      return taskMetas.findLast(meta => meta.task.id() === taskID); // from the back: node-host/src/transpile.ts";

function replaceOnce(js: string, what: string, by: string): string {
  const at = js.indexOf(what);
  if (at < 0 || js.indexOf(what, at + 1) >= 0) {
    throw new Error(`jco output changed: cannot find exactly one "${what.trim()}" to patch (node-host/src/transpile.ts)`);
  }
  return js.slice(0, at) + by + js.slice(at + what.length);
}

/**
 * `report-trace` is called once per traced line (a loop of 10^6 iterations:
 * 2·10^6 calls). jco wraps every import call in task and subtask bookkeeping
 * (objects, promises, lookups), ~15 µs per call. `report-trace` is a sync
 * leaf import with no resources and no result, so the bookkeeping has nothing
 * to track: its trampoline is replaced by one that lifts the two strings and
 * calls the host function (4-5× faster per traced line).
 */
function fastReportTrace(js: string): string {
  const m = /_trampoline(\d+)\.fnName = 'report-trace#reportTrace';/.exec(js);
  if (!m) throw new Error("jco output changed: no report-trace trampoline to patch (node-host/src/transpile.ts)");
  const n = m[1];
  const start = js.indexOf(`  let trampoline${n} = _trampoline${n}.manuallyAsync`);
  const next = start < 0 ? null : /\n {2}(const|let) trampoline\d+ = /g;
  if (!next) throw new Error("jco output changed: no report-trace lowering to patch (node-host/src/transpile.ts)");
  next.lastIndex = start + 10;
  const end = next.exec(js)?.index;
  if (end === undefined) throw new Error("jco output changed: cannot find the end of the report-trace lowering");
  const fast = `
  // report-trace without task bookkeeping (node-host/src/transpile.ts)
  trampoline${n} = function(arg0, arg1, arg2, arg3, arg4) {
    reportTrace(arg0 >>> 0, TEXT_DECODER_UTF8.decode(new Uint8Array(memory0.buffer, arg1, arg2)), TEXT_DECODER_UTF8.decode(new Uint8Array(memory0.buffer, arg3, arg4)));
  };`;
  return js.slice(0, end) + fast + js.slice(end);
}

/**
 * Lifting a `list<u8>` (the bytes of `snapshot-state`) goes byte by byte,
 * each with a new DataView: ~1.2 s per MiB. A list of u8 is its bytes, so it
 * is copied out of memory at once, with the same bounds check and the same
 * context updates the loop makes.
 */
const LIST_LOOP = `      ctx.storagePtr = dataPtr;
      const val = [];`;
const LIST_FAST = `      ctx.storagePtr = dataPtr;
      if (elemLiftFn === _liftFlatU8 && elemSize32 === 1) { // bytes at once (node-host/src/transpile.ts)
        if (ctx.storageLen !== undefined && ctx.storageLen < len) {
          throw new Error(\`insufficient storage ([\${ctx.storageLen}] bytes) for lift (list<u8> requires \${len} bytes)\`);
        }
        const bytes = new Uint8Array(ctx.memory.buffer.slice(dataPtr, dataPtr + len));
        ctx.storagePtr = dataPtr + len;
        if (ctx.storageLen !== undefined) { ctx.storageLen -= len; }
        if (originalPtr !== null) { ctx.storagePtr = originalPtr; }
        if (originalLen !== null) { ctx.storageLen = originalLen; }
        return [typedArray === Uint8Array ? bytes : listValue(Array.from(bytes)), ctx];
      }
      const val = [];`;

/**
 * jco's scheduler polls suspended tasks: its tick loop starts 10 ms after a
 * task suspends and, while nothing is ready, looks again every 10 ms. So a
 * host callback that answers at once still costs ~10 ms per await. The tick
 * loop starts at once instead, and its idle wait can be cut short: the
 * worker calls the functions in `globalThis.__eryxAsTickWakers` when a
 * callback result has been handed to jco (src/worker.ts). With no wake-up it
 * polls at jco's 10 ms as before.
 */
const TICK_WAIT = `            const delay = result === ComponentAsyncState.TickResult.RESUMED ? 0 : 10;
            await new Promise((resolve) => setTimeout(resolve, delay));`;
const TICK_WAIT_WAKEABLE = `            const delay = result === ComponentAsyncState.TickResult.RESUMED ? 0 : 10;
            await new Promise((resolve) => { // wakeable (node-host/src/transpile.ts)
              const wakers = (globalThis.__eryxAsTickWakers ??= new Set());
              const wake = () => { wakers.delete(wake); clearTimeout(timer); resolve(); };
              // setTimeout(0) waits >= 1 ms in Node; setImmediate does not.
              const timer = delay === 0 ? undefined : setTimeout(wake, delay);
              if (delay === 0) setImmediate(wake);
              wakers.add(wake);
            });`;
const TICK_START = `        this.#tickLoop = 1;
        setTimeout(async () => {`;
const TICK_START_NOW = `        this.#tickLoop = 1;
        setImmediate(async () => { // at once (node-host/src/transpile.ts)`;
const TICK_START_END = `          this.#tickLoop = null;
        }, 10);`;
const TICK_START_END_NOW = `          this.#tickLoop = null;
        });`;

function patchGenerated(js: string): string {
  js = replaceOnce(js, POLL_ANCHOR, POLL_CASE + POLL_ANCHOR);
  js = replaceOnce(js, TASK_LOOKUP, TASK_LOOKUP_FROM_BACK);
  js = replaceOnce(js, LIST_LOOP, LIST_FAST);
  js = replaceOnce(js, TICK_WAIT, TICK_WAIT_WAKEABLE);
  js = replaceOnce(js, TICK_START, TICK_START_NOW);
  js = replaceOnce(js, TICK_START_END, TICK_START_END_NOW);
  return fastReportTrace(js);
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
