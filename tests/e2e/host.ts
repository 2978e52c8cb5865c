// A long-lived reference host (`eryx-as-host --serve`) for end-to-end tests:
// the component is compiled (or loaded from the host's cache) once per test
// file, and every case is one JSON-lines request.

import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createInterface } from "node:readline";
import { join } from "node:path";
import { ensureHostBuilt } from "../../host/sandbox.ts";
import { nodeHostCli, nodeWithJspi } from "../../node-host/src/node-binary.ts";
import { eryx05Precompiled, eryx05Runtime, eryxHostBinary } from "./eryx05.ts";

export const root = join(import.meta.dirname, "..", "..");

/**
 * Which host the e2e tests drive: the Rust reference host (default) or, with
 * ERYX_AS_E2E_HOST=node, the Node host (node-host/, on the pinned Node 26),
 * or, with ERYX_AS_E2E_HOST=eryx05, the published eryx 0.5.0 crate
 * (eryx-host/, the eryx 0.5 world, dist/runtime-eryx-0.5.wasm; built by
 * `npm run test:eryx-0.5`, tests/e2e/eryx05.ts); all speak the same `--serve` protocol.
 */
export const hostKind: "rust" | "node" | "eryx05" =
  process.env.ERYX_AS_E2E_HOST === "node" ? "node" : process.env.ERYX_AS_E2E_HOST === "eryx05" ? "eryx05" : "rust";
/** The world the host runs: eryx 0.5 (execute-output, fresh instance per execute) or 0.1.0. */
export const world: "0.1.0" | "eryx-0.5" = hostKind === "eryx05" ? "eryx-0.5" : "0.1.0";

export interface TraceEvent { lineno: number; event: Record<string, unknown>; context: unknown }
export interface CallbackRecord { name: string; args: string; start_ms: number; end_ms: number | null }

export interface Response {
  id: number;
  ok: boolean;
  value: string | null;
  error: string | null;
  trace: TraceEvent[];
  callbacks: CallbackRecord[];
  elapsed_ms: number;
  peak_memory_bytes: number;
  instantiate_ms: number | null;
  /** eryx 0.5 world only (eryx-host/): the execute-output's other fields, and what report-output streamed ([stream, text]). */
  stderr?: string | null;
  result?: string | null;
  result_error?: string | null;
  output?: [number, string][];
}

export interface Request {
  op: "execute" | "snapshot" | "restore" | "clear" | "drop" | "finalize_preinit" | "info";
  code?: string;
  session?: string;
  hex?: string;
}

export class Host {
  private nextId = 1;
  private pending = new Map<number, (r: Response) => void>();
  private stderr: string[] = [];
  /** Waiting for a response to a raw line (which the host answers with id null). */
  private unmatched: ((r: Response) => void)[] = [];

  private constructor(private child: ChildProcessWithoutNullStreams) {
    createInterface({ input: child.stdout }).on("line", (line) => {
      const response = JSON.parse(line) as Response;
      const resolve = this.pending.get(response.id);
      this.pending.delete(response.id);
      if (resolve) resolve(response);
      else this.unmatched.shift()?.(response);
    });
    child.stderr.on("data", (chunk) => this.stderr.push(String(chunk)));
    child.on("exit", (code) => {
      for (const reject of [...this.pending.values(), ...this.unmatched.splice(0)]) {
        reject({ id: 0, ok: false, value: null, error: `host exited (${code}): ${this.stderr.join("").slice(-2000)}`, trace: [], callbacks: [], elapsed_ms: 0, peak_memory_bytes: 0, instantiate_ms: null });
      }
      this.pending.clear();
    });
  }

  /**
   * Starts a host on `runtime`; by default dist/runtime.wasm, or the image
   * named by ERYX_AS_E2E_RUNTIME (npm test runs the suite again on the
   * pre-initialised image that way).
   */
  static async start(args: string[] = [], runtime = process.env.ERYX_AS_E2E_RUNTIME ?? (hostKind === "eryx05" ? eryx05Runtime : join(root, "dist", "runtime.wasm")), kind = hostKind): Promise<Host> {
    const serveArgs = ["--serve", "--runtime", runtime, "--stdlib", join(root, "dist", "python-stdlib"), ...args];
    const child = kind === "node"
      ? spawn(nodeWithJspi(), [nodeHostCli, ...serveArgs], { cwd: root })
      : kind === "eryx05"
        ? spawn(eryxHostBinary, args.includes("--precompiled") ? serveArgs : [...serveArgs, "--precompiled", eryx05Precompiled(runtime)], { cwd: root })
        : spawn(await ensureHostBuilt(), serveArgs, { cwd: root });
    return new Host(child);
  }

  request(req: Request): Promise<Response> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.child.stdin.write(JSON.stringify({ id, ...req }) + "\n");
    });
  }

  /**
   * Writes `bytes` and a newline as one request line, as is: resolves with the
   * next response that answers no pending request (an unreadable line is
   * answered with id null).
   */
  rawLine(bytes: Uint8Array): Promise<Response> {
    return new Promise((resolve) => {
      this.unmatched.push(resolve);
      this.child.stdin.write(Buffer.concat([bytes, Buffer.from("\n")]));
    });
  }

  /** One-shot execute in a fresh instance (or in `session`). */
  execute(code: string, session?: string): Promise<Response> {
    return this.request({ op: "execute", code, session });
  }

  /** The host process id (benchmarks read its CPU time from /proc). */
  get pid(): number {
    return this.child.pid!;
  }

  async close(): Promise<void> {
    this.child.stdin.end();
    await new Promise((resolve) => this.child.once("exit", resolve));
  }
}

let sessionCounter = 0;
/** A session name unique within this process. */
export function freshSession(prefix = "s"): string {
  return `${prefix}-${++sessionCounter}`;
}
