// The Node host's library API (see node-host/README.md).

export { Sandbox, DEFAULT_TIMEOUT_MS, DEFAULT_MEMORY_LIMIT, DEFAULT_CALLBACK_TIMEOUT_MS, DEFAULT_MAX_CALLBACKS, type CallReport } from "./sandbox.ts";
export { ExecutionError, SandboxLostError } from "./errors.ts";
export { CallbackError } from "./callback-error.ts";
export { RawResult, type Callback, type CallbackArgs, type CallbackRecord, type ExecuteResult, type SandboxOptions, type TraceEvent } from "./types.ts";
export { demoCallbacks } from "./demo-callbacks.ts";
export { ensureTranspiled } from "./transpile.ts";
