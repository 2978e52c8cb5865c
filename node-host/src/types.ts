// The public types of the Node host's library API.

/** A callback's keyword arguments, as the guest sent them (parsed JSON). */
export type CallbackArgs = Record<string, unknown>;

/**
 * A host callback Python code can await. `handler` gets the keyword
 * arguments; its result is sent to Python as JSON (`JSON.stringify`), unless
 * it is a `RawResult`, whose text is sent as it is. A thrown error becomes a
 * `RuntimeError` in Python with the error's message.
 */
export interface Callback {
  name: string;
  description: string;
  /** JSON Schema of the keyword arguments; what `list_callbacks()` reports. */
  parameters: Record<string, unknown>;
  handler: (args: CallbackArgs) => unknown | Promise<unknown>;
}

/** A callback result sent to the guest as this exact text, not as JSON. */
export class RawResult {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}

/** One trace event (docs/contract.md §7): the line, the event, its context. */
export interface TraceEvent {
  lineno: number;
  event: Record<string, unknown> | string;
  context: unknown;
}

/** One callback invocation as the host saw it; times in ms since the execute began. */
export interface CallbackRecord {
  name: string;
  args: string;
  start_ms: number;
  /** `null` when the execution ended before the callback did. */
  end_ms: number | null;
}

/** What a successful `execute` returns. */
export interface ExecuteResult {
  /** The guest's stdout, trailing newlines trimmed (the `execute` Ok value). */
  stdout: string;
  trace: TraceEvent[];
  callbacks: CallbackRecord[];
  elapsedMs: number;
  /** The linear memory size after the call; memory never shrinks, so this is the peak. */
  peakMemoryBytes: number;
}

export interface SandboxOptions {
  /** The component, e.g. `dist/runtime.wasm` or `dist/runtime-preinit.wasm`. */
  runtime: string;
  /** Host directory with the CPython stdlib; mounted read-only at `/python-stdlib`. */
  stdlib: string;
  /** More host directories, mounted read-only at `/site-packages-<i>` and put on `PYTHONPATH`. */
  sitePackages?: string[];
  callbacks?: Callback[];
  /** Receives every trace event as it happens. */
  trace?: (event: TraceEvent) => void;
  /** Per-call time limit in ms (default 30 000, as in eryx). */
  timeoutMs?: number;
  /** Linear memory cap in bytes (default 128 MiB, as in eryx); `null`: no cap. */
  memoryLimitBytes?: number | null;
  /** Per-callback time limit in ms (default 10 000). */
  callbackTimeoutMs?: number;
  /** Callback invocations allowed per execute (default 1000). */
  maxCallbacks?: number;
  /** Where the guest's WASI stdout/stderr go (default: this process's stderr). */
  guestOutput?: "stderr" | "inherit" | "ignore";
}
