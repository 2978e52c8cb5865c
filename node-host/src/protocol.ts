// Messages between a Sandbox (main thread) and its worker thread.

export type CallOp = "execute" | "snapshot" | "restore" | "clear" | "finalize_preinit";

export interface CallbackInfo { name: string; description: string; parametersSchemaJson: string }

/** workerData of a sandbox worker. */
export interface WorkerInit {
  /** The transpiled JS module (file path). */
  module: string;
  /** Compiled core modules by file name (posted, not recompiled per worker). */
  coreModules: Record<string, WebAssembly.Module>;
  stdlib: string;
  sitePackages: string[];
  callbacks: CallbackInfo[];
  guestOutput: "stderr" | "inherit";
}

export type ToWorker =
  | { type: "call"; id: number; op: CallOp; code?: string; data?: Uint8Array }
  | { type: "callback-result"; cid: number; ok: boolean; text: string };

export type FromWorker =
  | { type: "ready"; instantiateMs: number; memoryBytes: number }
  | { type: "init-error"; message: string }
  | { type: "invoke"; cid: number; name: string; args: string }
  /** Trace events in order, flat: lineno, event JSON, context JSON, lineno, … (batched: a traced loop reports millions). */
  | { type: "trace"; events: (number | string)[] }
  | {
    type: "result"; id: number; ok: boolean; value?: string | Uint8Array | null; error?: string;
    /** The instance trapped and must not be used again. */
    trapped: boolean; memoryBytes: number;
  };
