// `--serve`: the reference host's JSON-lines protocol (host/README.md), on
// the Node host, so the same e2e contract suites drive both hosts. One
// request per stdin line, one response line per request, until EOF.
// Requests run one at a time, in order, like the reference host.

import { createInterface } from "node:readline";
import { Sandbox, prepare, type CallReport } from "./sandbox.ts";
import { demoCallbacks } from "./demo-callbacks.ts";
import type { CallOp } from "./protocol.ts";

export interface ServeOptions {
  runtime: string;
  stdlib: string;
  sitePackages?: string[];
}

interface Response {
  id: unknown;
  ok: boolean;
  value: unknown;
  error: string | null;
  trace: unknown[];
  callbacks: unknown[];
  elapsed_ms: number;
  peak_memory_bytes: number;
  instantiate_ms: number | null;
}

function response(id: unknown): Response {
  return { id, ok: false, value: null, error: null, trace: [], callbacks: [], elapsed_ms: 0, peak_memory_bytes: 0, instantiate_ms: null };
}

function decodeHex(s: string): Uint8Array {
  s = s.trim();
  if (s.length % 2 !== 0) throw new Error("invalid hex: odd number of digits");
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < s.length; i += 2) {
    const pair = s.slice(i, i + 2);
    if (!/^[0-9a-fA-F]{2}$/.test(pair)) throw new Error(`invalid hex: bad digits at offset ${i}`);
    out[i / 2] = parseInt(pair, 16);
  }
  return out;
}

function strField(req: Record<string, unknown>, key: string): string | undefined {
  const v = req[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw new Error(`field '${key}' must be a string, got ${JSON.stringify(v)}`);
  return v;
}

export class Server {
  private sessions = new Map<string, Sandbox>();
  /** One instance instantiated ahead for the next one-shot execute (each one-shot gets a fresh instance). */
  private spare: Promise<Sandbox> | null = null;
  /** Transpiling (unless cached) and compiling the component, for the `info` op. */
  private readonly load: Promise<number>;

  private readonly options: ServeOptions;

  constructor(options: ServeOptions) {
    this.options = options;
    this.load = prepare(options.runtime);
    this.load.catch(() => {});
  }

  /** `memoryLimitBytes` undefined: the default cap (one-shot executes); null: none (sessions). */
  private sandbox(memoryLimitBytes?: number | null): Promise<Sandbox> {
    return Sandbox.create({ runtime: this.options.runtime, stdlib: this.options.stdlib, sitePackages: this.options.sitePackages, callbacks: demoCallbacks(), memoryLimitBytes });
  }

  private oneShot(): Promise<Sandbox> {
    const next = this.spare ?? this.sandbox();
    this.spare = this.sandbox();
    this.spare.catch(() => { this.spare = null; });
    return next;
  }

  async handleLine(line: string): Promise<Response> {
    const started = performance.now();
    let req: unknown;
    try {
      req = JSON.parse(line);
    } catch (e) {
      return { ...response(null), error: `invalid request: ${(e as Error).message}` };
    }
    if (typeof req !== "object" || req === null || Array.isArray(req)) {
      return { ...response(null), error: "invalid request: not a JSON object" };
    }
    const r = req as Record<string, unknown>;
    const resp = response(r.id ?? null);
    try {
      await this.handle(r, resp);
    } catch (e) {
      resp.ok = false;
      resp.value = null;
      resp.error = (e as Error).message;
    }
    if (resp.elapsed_ms === 0) resp.elapsed_ms = performance.now() - started;
    return resp;
  }

  private async session(name: string, resp: Response): Promise<Sandbox> {
    let sb = this.sessions.get(name);
    if (!sb) {
      const t = performance.now();
      sb = await this.sandbox(null); // sessions: no memory limit, as in eryx
      resp.instantiate_ms = performance.now() - t;
      this.sessions.set(name, sb);
    }
    return sb;
  }

  private fill(resp: Response, report: CallReport, op: CallOp): void {
    resp.ok = report.ok;
    resp.value = report.ok ? (op === "snapshot" ? Buffer.from(report.value as Uint8Array).toString("hex") : report.value) : null;
    resp.error = report.error;
    resp.trace = report.trace;
    resp.callbacks = report.callbacks;
    resp.elapsed_ms = report.elapsedMs;
    resp.peak_memory_bytes = report.peakMemoryBytes;
    if (report.instantiateMs !== null) resp.instantiate_ms = report.instantiateMs;
  }

  private async handle(req: Record<string, unknown>, resp: Response): Promise<void> {
    const op = strField(req, "op");
    if (op === undefined) throw new Error("missing field 'op'");
    const session = strField(req, "session");
    switch (op) {
      case "execute": {
        const code = strField(req, "code");
        if (code === undefined) throw new Error("missing field 'code'");
        if (session !== undefined) {
          const sb = await this.session(session, resp);
          this.fill(resp, await sb.executeReport(code), "execute");
        } else {
          const t = performance.now();
          const sb = await this.oneShot();
          resp.instantiate_ms = sb.lastInstantiateMs || performance.now() - t;
          try {
            this.fill(resp, await sb.executeReport(code), "execute");
          } finally {
            void sb.close();
          }
        }
        return;
      }
      case "snapshot": case "restore": case "clear": case "finalize_preinit": {
        if (session === undefined) throw new Error(`op '${op}' needs a 'session'`);
        let data: Uint8Array | undefined;
        if (op === "restore") {
          const hex = strField(req, "hex");
          if (hex === undefined) throw new Error("missing field 'hex'");
          data = decodeHex(hex);
        }
        const sb = await this.session(session, resp);
        const report = await sb.call(op, undefined, data);
        this.fill(resp, report, op);
        resp.trace = [];
        resp.callbacks = [];
        if (op !== "snapshot" && report.ok) resp.value = null;
        return;
      }
      case "info":
        resp.ok = true;
        resp.value = { load_ms: await this.load, use_cache: !process.env.ERYX_AS_JCO_NO_CACHE };
        return;
      case "drop": {
        if (session === undefined) throw new Error("op 'drop' needs a 'session'");
        const sb = this.sessions.get(session);
        this.sessions.delete(session);
        if (sb) void sb.close();
        resp.ok = true;
        return;
      }
      default:
        throw new Error(`unknown op '${op}'`);
    }
  }

  async close(): Promise<void> {
    const all = [...this.sessions.values()];
    this.sessions.clear();
    const spare = this.spare;
    this.spare = null;
    await Promise.all([...all.map((s) => s.close()), spare?.then((s) => s.close(), () => {})]);
  }
}

/** Read requests from stdin until EOF, answering each on stdout. */
export async function serve(options: ServeOptions): Promise<void> {
  const server = new Server(options);
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === "") continue;
    const resp = await server.handleLine(line);
    await new Promise<void>((resolve, reject) => process.stdout.write(JSON.stringify(resp) + "\n", (e) => (e ? reject(e) : resolve())));
  }
  await server.close();
}
