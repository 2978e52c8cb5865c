// A sandbox: one eryx-as instance in its own worker thread. The worker runs
// the transpiled component (jco, JSPI); this side owns the callbacks, the
// trace handler, the time limit and the worker's life. A timeout or a trap
// ends that worker and nothing else; the next call starts a fresh instance.

import { Worker } from "node:worker_threads";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { ensureTranspiled } from "./transpile.ts";
import { capMemory } from "./memory-cap.ts";
import { callbackErrorText } from "./callback-error.ts";
import { ExecutionError, SandboxLostError, formatDuration } from "./errors.ts";
import { RawResult, type Callback, type CallbackRecord, type ExecuteResult, type SandboxOptions, type TraceEvent } from "./types.ts";
import type { CallOp, FromWorker, ToWorker, WorkerInit } from "./protocol.ts";

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_MEMORY_LIMIT = 128 * 1024 * 1024;
export const DEFAULT_CALLBACK_TIMEOUT_MS = 10_000;
export const DEFAULT_MAX_CALLBACKS = 1000;

/** Everything one call produced, whether it succeeded or not (the serve protocol reports all of it). */
export interface CallReport {
  ok: boolean;
  value: string | Uint8Array | null;
  error: string | null;
  /** The instance is gone (timeout, trap, crash); the next call re-instantiates. */
  lost: SandboxLostError | null;
  trace: TraceEvent[];
  callbacks: CallbackRecord[];
  elapsedMs: number;
  peakMemoryBytes: number;
  /** Set when this call had to start the instance first. */
  instantiateMs: number | null;
}

/** Compiled core modules per (transpile dir, memory cap), shared by all sandboxes of this process. */
const compiled = new Map<string, Promise<Record<string, WebAssembly.Module>>>();

function compileCoreModules(dir: string, memoryLimit: number | null): Promise<Record<string, WebAssembly.Module>> {
  const key = `${dir}|${memoryLimit}`;
  let p = compiled.get(key);
  if (!p) {
    p = (async () => {
      const out: Record<string, WebAssembly.Module> = {};
      for (const name of readdirSync(dir).filter((n) => n.endsWith(".wasm"))) {
        const bytes = new Uint8Array(readFileSync(join(dir, name)));
        out[name] = await WebAssembly.compile((memoryLimit === null ? bytes : capMemory(bytes, memoryLimit)) as Uint8Array<ArrayBuffer>);
      }
      return out;
    })();
    p.catch(() => compiled.delete(key));
    compiled.set(key, p);
  }
  return p;
}

/**
 * Transpile (unless cached in build/jco) and compile the component for the
 * given memory cap; returns the milliseconds it took. Sandboxes do this on
 * their own; `--serve`'s `info` op reports it.
 */
export async function prepare(runtime: string, memoryLimitBytes: number | null = DEFAULT_MEMORY_LIMIT): Promise<number> {
  const t = performance.now();
  const { dir } = await ensureTranspiled(resolve(runtime));
  await compileCoreModules(dir, memoryLimitBytes);
  return performance.now() - t;
}

const workerUrl = new URL("./worker.ts", import.meta.url);

interface Running {
  id: number;
  op: CallOp;
  started: number;
  trace: TraceEvent[];
  callbacks: CallbackRecord[];
  invocations: number;
  resolve: (r: { ok: boolean; value?: string | Uint8Array | null; error?: string; lost?: SandboxLostError; memoryBytes?: number }) => void;
}

function resultText(value: unknown): string {
  if (value instanceof RawResult) return value.text;
  return JSON.stringify(value === undefined ? null : value);
}

export class Sandbox {
  private worker: Worker | null = null;
  private starting: Promise<number> | null = null;
  private running: Running | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private nextId = 1;
  private peak = 0;
  private closed = false;
  private readonly callbacks: Map<string, Callback>;
  private readonly opts: Required<Omit<SandboxOptions, "trace" | "callbacks">> & Pick<SandboxOptions, "trace">;


  private constructor(options: SandboxOptions) {
    this.callbacks = new Map((options.callbacks ?? []).map((c) => [c.name, c]));
    this.opts = {
      runtime: resolve(options.runtime),
      stdlib: resolve(options.stdlib),
      sitePackages: (options.sitePackages ?? []).map((p) => resolve(p)),
      trace: options.trace,
      timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      memoryLimitBytes: options.memoryLimitBytes === undefined ? DEFAULT_MEMORY_LIMIT : options.memoryLimitBytes,
      callbackTimeoutMs: options.callbackTimeoutMs ?? DEFAULT_CALLBACK_TIMEOUT_MS,
      maxCallbacks: options.maxCallbacks ?? DEFAULT_MAX_CALLBACKS,
      guestOutput: options.guestOutput ?? "stderr",
    };
  }

  /** Transpile (once per component), compile, and instantiate in a new worker. */
  static async create(options: SandboxOptions): Promise<Sandbox> {
    const sb = new Sandbox(options);
    const isDir = (p: string) => existsSync(p) && statSync(p).isDirectory();
    if (!existsSync(sb.opts.runtime)) throw new Error(`runtime component not found: ${sb.opts.runtime}`);
    if (!isDir(sb.opts.stdlib)) throw new Error(`python stdlib directory not found: ${sb.opts.stdlib}`);
    for (const sp of sb.opts.sitePackages) if (!isDir(sp)) throw new Error(`site-packages directory not found: ${sp}`);
    sb.lastInstantiateMs = await sb.start();
    return sb;
  }

  /** How long the last instantiation took (Python start-up included), in ms. */
  lastInstantiateMs = 0;

  /** Run Python code. Resolves with its stdout; rejects with ExecutionError (the traceback) or SandboxLostError. */
  async execute(code: string): Promise<ExecuteResult> {
    const r = await this.executeReport(code);
    if (r.lost) throw r.lost;
    if (!r.ok) throw new ExecutionError(r.error!);
    return { stdout: r.value as string, trace: r.trace, callbacks: r.callbacks, elapsedMs: r.elapsedMs, peakMemoryBytes: r.peakMemoryBytes };
  }

  /** The user's globals, serialised (restore them with `restore`). */
  async snapshot(): Promise<Uint8Array> {
    return (await this.unwrap("snapshot")) as Uint8Array;
  }

  async restore(data: Uint8Array): Promise<void> {
    await this.unwrap("restore", undefined, data);
  }

  /** Drop the user's globals, keeping the callbacks. */
  async clear(): Promise<void> {
    await this.unwrap("clear");
  }

  /** `finalize-preinit`: forget WASI handles (pre-initialisation only). */
  async finalizePreinit(): Promise<void> {
    await this.unwrap("finalize_preinit");
  }

  private async unwrap(op: CallOp, code?: string, data?: Uint8Array): Promise<unknown> {
    const r = await this.call(op, code, data);
    if (r.lost) throw r.lost;
    if (!r.ok) throw new ExecutionError(r.error!);
    return r.value;
  }

  executeReport(code: string): Promise<CallReport> {
    return this.call("execute", code);
  }

  /** One export call with everything it produced; calls run one at a time. */
  call(op: CallOp, code?: string, data?: Uint8Array): Promise<CallReport> {
    const next = this.queue.then(() => this.callNow(op, code, data));
    this.queue = next.catch(() => {});
    return next;
  }

  private async callNow(op: CallOp, code?: string, data?: Uint8Array): Promise<CallReport> {
    if (this.closed) throw new Error("sandbox is closed");
    let instantiateMs: number | null = null;
    if (!this.worker) {
      try {
        instantiateMs = this.lastInstantiateMs = await this.start();
      } catch (e) {
        return { ok: false, value: null, error: (e as Error).message, lost: null, trace: [], callbacks: [], elapsedMs: 0, peakMemoryBytes: 0, instantiateMs };
      }
    }
    const worker = this.worker!;
    const id = this.nextId++;
    const started = performance.now();
    const trace: TraceEvent[] = [];
    const callbacks: CallbackRecord[] = [];
    const outcome = await new Promise<Parameters<Running["resolve"]>[0]>((resolvePromise) => {
      this.running = { id, op, started, trace, callbacks, invocations: 0, resolve: resolvePromise };
      const timer = setTimeout(() => {
        resolvePromise({ ok: false, lost: new SandboxLostError("timeout", `Execution timed out after ${formatDuration(this.opts.timeoutMs)}`) });
      }, this.opts.timeoutMs);
      this.running.resolve = (r) => {
        clearTimeout(timer);
        resolvePromise(r);
      };
      this.post({ type: "call", id, op, code, data });
    });
    this.running = null;
    const elapsedMs = performance.now() - started;
    if (outcome.memoryBytes) this.peak = Math.max(this.peak, outcome.memoryBytes);
    const peakMemoryBytes = this.peak;
    if (outcome.lost) {
      this.discard(worker);
      return { ok: false, value: null, error: outcome.lost.message, lost: outcome.lost, trace, callbacks, elapsedMs, peakMemoryBytes, instantiateMs };
    }
    return {
      ok: outcome.ok, value: outcome.ok ? outcome.value ?? null : null, error: outcome.ok ? null : outcome.error ?? "",
      lost: null, trace, callbacks, elapsedMs, peakMemoryBytes, instantiateMs,
    };
  }

  /** End the worker (and the instance in it). */
  async close(): Promise<void> {
    this.closed = true;
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }

  private discard(worker: Worker): void {
    if (this.worker === worker) this.worker = null;
    this.peak = 0;
    void worker.terminate();
  }

  private post(msg: ToWorker): void {
    this.worker?.postMessage(msg);
  }

  /** Start a worker and instantiate; resolves with the instantiation time in ms. */
  private start(): Promise<number> {
    if (this.starting) return this.starting;
    this.starting = (async () => {
      const { dir, module } = await ensureTranspiled(this.opts.runtime);
      const coreModules = await compileCoreModules(dir, this.opts.memoryLimitBytes);
      const init: WorkerInit = {
        module, coreModules, stdlib: this.opts.stdlib, sitePackages: this.opts.sitePackages, guestOutput: this.opts.guestOutput === "ignore" ? "stderr" : this.opts.guestOutput,
        callbacks: [...this.callbacks.values()].map((c) => ({ name: c.name, description: c.description, parametersSchemaJson: JSON.stringify(c.parameters) })),
      };
      const worker = new Worker(workerUrl, {
        workerData: init,
        // Python's stdout is captured by the runtime; what the guest writes to
        // WASI stdout/stderr goes to this process's stderr.
        stdout: false, stderr: this.opts.guestOutput === "ignore",
      });
      if (this.opts.guestOutput === "ignore") worker.stderr?.resume();
      const listeners: [string, Parameters<Worker["on"]>[1]][] = [];
      const ready = await new Promise<number>((resolvePromise, reject) => {
        listeners.push(
          ["message", (msg: FromWorker) => {
            if (msg.type === "ready") resolvePromise(msg.instantiateMs);
            else if (msg.type === "init-error") reject(new Error(`WASM instantiation error: ${msg.message}`));
          }],
          ["error", (e: Error) => reject(new Error(`WASM instantiation error: ${e.message}`))],
          ["exit", (c: number) => reject(new Error(`WASM instantiation error: worker exited (${c})`))],
        );
        for (const [event, fn] of listeners) worker.on(event, fn);
      }).catch(async (e) => {
        await worker.terminate();
        throw e;
      }).finally(() => {
        for (const [event, fn] of listeners) worker.off(event, fn);
      });
      worker.on("message", (msg: FromWorker) => this.onMessage(worker, msg));
      worker.on("error", (e) => this.onDeath(worker, `WASM execution error: ${e.message}`));
      worker.on("exit", (c) => this.onDeath(worker, `WASM execution error: the sandbox worker exited (${c})`));
      worker.unref();
      this.worker = worker;
      return ready;
    })();
    const p = this.starting;
    p.finally(() => { this.starting = null; }).catch(() => {});
    return p;
  }

  private onDeath(worker: Worker, message: string): void {
    if (this.worker !== worker) return;
    this.worker = null;
    this.running?.resolve({ ok: false, lost: new SandboxLostError("crash", message) });
  }

  private onMessage(worker: Worker, msg: FromWorker): void {
    if (this.worker !== worker) return;
    const run = this.running;
    switch (msg.type) {
      case "result":
        if (run && run.id === msg.id) {
          run.resolve(msg.trapped
            ? { ok: false, lost: new SandboxLostError("trap", msg.error ?? "WASM execution error"), memoryBytes: msg.memoryBytes }
            : { ok: msg.ok, value: msg.value, error: msg.error, memoryBytes: msg.memoryBytes });
        }
        return;
      case "trace": {
        // Only collected while an execute runs, as in eryx.
        if (run?.op !== "execute") return;
        const ev = msg.events;
        for (let i = 0; i < ev.length; i += 3) this.onTrace(run, ev[i] as number, ev[i + 1] as string, ev[i + 2] as string);
        return;
      }
      case "invoke":
        void this.invoke(run, msg.cid, msg.name, msg.args);
        return;
    }
  }

  private onTrace(run: Running, lineno: number, eventJson: string, contextJson: string): void {
    let event: TraceEvent["event"];
    try {
      event = JSON.parse(eventJson);
    } catch {
      event = eventJson;
    }
    let context: unknown = null;
    if (contextJson) {
      try {
        context = JSON.parse(contextJson);
      } catch {
        context = null;
      }
    }
    const ev = { lineno, event, context };
    run.trace.push(ev);
    try {
      this.opts.trace?.(ev);
    } catch {
      // A failing trace handler must not break the execution.
    }
  }

  /** Run one callback for the guest; same checks and texts, in the same order, as eryx. */
  private async invoke(run: Running | null, cid: number, name: string, args: string): Promise<void> {
    const reply = (ok: boolean, text: string) => {
      if (this.running === run && run) this.post({ type: "callback-result", cid, ok, text });
    };
    if (run?.op !== "execute") return reply(false, `Callback '${name}' not available (no handler)`);
    const record: CallbackRecord = { name, args, start_ms: performance.now() - run.started, end_ms: null };
    run.callbacks.push(record);
    const finish = () => { record.end_ms = performance.now() - run.started; };
    if (run.invocations++ >= this.opts.maxCallbacks) {
      finish();
      return reply(false, `Callback limit exceeded (${this.opts.maxCallbacks} invocations)`);
    }
    const cb = this.callbacks.get(name);
    if (!cb) {
      finish();
      return reply(false, `Callback '${name}' not found`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(args);
    } catch (e) {
      finish();
      return reply(false, `Invalid arguments JSON: ${(e as Error).message}`);
    }
    let timer: NodeJS.Timeout | undefined;
    try {
      const value = await Promise.race([
        Promise.resolve().then(() => cb.handler(parsed as Record<string, unknown>)),
        new Promise((_, reject) => { timer = setTimeout(() => reject(timeoutMarker), this.opts.callbackTimeoutMs); }),
      ]);
      if (this.running !== run) return; // the execution ended first: abandoned
      const text = resultText(value);
      finish();
      reply(true, text);
    } catch (e) {
      if (this.running !== run) return;
      finish();
      reply(false, e === timeoutMarker ? "timeout" : callbackErrorText(e));
    } finally {
      clearTimeout(timer);
    }
  }
}

const timeoutMarker = Symbol("callback timeout");
