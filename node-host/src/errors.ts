// Errors of the library API. Their messages are the reference host's texts,
// so the JSON-lines protocol can pass them on unchanged.

/** Python code failed: `message` is the guest's error text (stderr and the traceback). */
export class ExecutionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ExecutionError";
  }
}

/**
 * The instance is gone: it trapped, ran past its time limit, or its worker
 * died. The sandbox starts a fresh instance on its next call (state is lost).
 */
export class SandboxLostError extends Error {
  readonly kind: "timeout" | "trap" | "crash";
  constructor(kind: "timeout" | "trap" | "crash", message: string) {
    super(message);
    this.kind = kind;
    this.name = "SandboxLostError";
  }
}

/** Rust's `Debug` form of a `Duration` (what eryx's timeout text uses): 30s, 1.5s, 250ms. */
export function formatDuration(ms: number): string {
  if (ms >= 1000) return `${ms / 1000}s`;
  if (ms >= 1) return `${ms}ms`;
  return `${ms * 1000}µs`;
}
