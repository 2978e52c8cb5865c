// The worker thread of one sandbox: instantiates the transpiled component
// with the locked-down WASI imports and the three world imports, then runs
// one export call per "call" message. Callbacks and trace events go to the
// main thread, which owns them.

import { parentPort, workerData } from "node:worker_threads";
import { pathToFileURL } from "node:url";
import { wasiImports } from "./wasi.ts";
import type { FromWorker, ToWorker, WorkerInit } from "./protocol.ts";

const init = workerData as WorkerInit;
const port = parentPort!;
const send = (msg: FromWorker) => port.postMessage(msg);

let memory: WebAssembly.Memory | null = null;
const memoryBytes = () => memory?.buffer.byteLength ?? 0;

/** Host callbacks in flight: cid → the promise the guest's `invoke` awaits. */
const pending = new Map<number, { resolve: (v: string) => void; reject: (e: string) => void }>();
let nextCid = 1;
let inExecute = false;

/** Trace events not yet sent; sent in batches, and before each result and callback request. */
let traceBuffer: (number | string)[] = [];
const TRACE_BATCH = 1024;
function flushTrace(): void {
  if (traceBuffer.length === 0) return;
  send({ type: "trace", events: traceBuffer });
  traceBuffer = [];
}

const worldImports = {
  invoke: (name: string, argumentsJson: string): Promise<string> => {
    const cid = nextCid++;
    return new Promise((resolve, reject) => {
      pending.set(cid, { resolve, reject });
      flushTrace();
      send({ type: "invoke", cid, name, args: argumentsJson });
    });
  },
  listCallbacks: () => init.callbacks,
  reportTrace: (lineno: number, eventJson: string, contextJson: string) => {
    if (!inExecute) return;
    traceBuffer.push(lineno, eventJson, contextJson);
    if (traceBuffer.length >= TRACE_BATCH * 3) flushTrace();
  },
};

/** The component's exports (runtime.d.ts of the transpiled output: `Root`). */
interface Root {
  execute(code: string): Promise<string>;
  snapshotState(): Promise<Uint8Array>;
  restoreState(data: Uint8Array): Promise<void>;
  clearState(): Promise<void>;
  finalizePreinit(): void;
}

async function instantiate(): Promise<Root> {
  const { instantiate } = await import(pathToFileURL(init.module).href);
  const imports = {
    ...wasiImports({ stdlib: init.stdlib, sitePackages: init.sitePackages, guestOutput: init.guestOutput }),
    invoke: { default: worldImports.invoke },
    "list-callbacks": { default: worldImports.listCallbacks },
    "report-trace": { default: worldImports.reportTrace },
  };
  return instantiate(
    (name: string) => {
      const m = init.coreModules[name];
      if (!m) throw new Error(`core module ${name} missing`);
      return m;
    },
    imports,
    async (module: WebAssembly.Module, imps: WebAssembly.Imports) => {
      const instance = await WebAssembly.instantiate(module, imps);
      for (const v of Object.values(instance.exports)) {
        if (!memory && v instanceof WebAssembly.Memory) memory = v;
      }
      return instance;
    },
  );
}

function wakeScheduler(): void {
  const wakers = (globalThis as { __eryxAsTickWakers?: Set<() => void> }).__eryxAsTickWakers;
  if (wakers) for (const wake of [...wakers]) wake();
}

/** A thrown top-level `result` error is the guest's Err; anything else is a trap. */
function errPayload(e: unknown): string | null {
  if (typeof e === "string") return e;
  if (e && typeof e === "object" && "payload" in e && typeof (e as { payload: unknown }).payload === "string") {
    return (e as { payload: string }).payload;
  }
  return null;
}

function trapText(e: unknown): string {
  if (e instanceof Error) return `WASM execution error: ${e.name === "RuntimeError" ? "" : `${e.name}: `}${e.message}`;
  return `WASM execution error: ${String(e)}`;
}

let exportsP: ReturnType<typeof instantiate>;
try {
  const t = performance.now();
  exportsP = instantiate();
  await exportsP;
  send({ type: "ready", instantiateMs: performance.now() - t, memoryBytes: memoryBytes() });
} catch (e) {
  send({ type: "init-error", message: e instanceof Error ? `${e.name}: ${e.message}` : String(e) });
  process.exit(1);
}
const exp = await exportsP!;

async function runCall(msg: Extract<ToWorker, { type: "call" }>): Promise<void> {
  let ok = true;
  let value: string | Uint8Array | null = null;
  let error: string | undefined;
  let trapped = false;
  try {
    switch (msg.op) {
      case "execute":
        inExecute = true;
        value = await exp.execute(msg.code!);
        break;
      case "snapshot":
        value = await exp.snapshotState();
        break;
      case "restore":
        await exp.restoreState(msg.data!);
        break;
      case "clear":
        await exp.clearState();
        break;
      case "finalize_preinit":
        await exp.finalizePreinit();
        break;
    }
  } catch (e) {
    ok = false;
    const payload = errPayload(e);
    if (payload !== null) error = payload;
    else {
      trapped = true;
      error = trapText(e);
    }
  } finally {
    inExecute = false;
    flushTrace();
    // Callbacks still running when the call ended are abandoned.
    pending.clear();
  }
  send({ type: "result", id: msg.id, ok, value, error, trapped, memoryBytes: memoryBytes() });
}

port.on("message", (msg: ToWorker) => {
  if (msg.type === "call") {
    void runCall(msg);
  } else if (msg.type === "callback-result") {
    const p = pending.get(msg.cid);
    pending.delete(msg.cid);
    if (!p) return;
    if (msg.ok) p.resolve(msg.text);
    else p.reject(msg.text);
    // Once jco has taken the result (its microtasks ran), wake its scheduler
    // instead of letting it find the result at its next 10 ms poll (src/transpile.ts).
    setImmediate(wakeScheduler);
  }
});
