// `npm run fuzz [-- --count N --seed S --time-limit SECONDS --only I]`:
// drives one long session of the reference host with random and mutated
// Python, hostile callbacks (the host's test-only `fuzz` callback), random
// bytes for restore-state, and snapshot / restore / clear in between. After
// every input the same session must answer a canary execute.
//
// Counted as failures: a trap (`WASM execution error`), a timeout, a lost
// session (the host had to instantiate it again), a host that died or hung.
// An input after which the canary answers with an Err (user code broke its
// own builtins, say) is "degraded": the session is dropped and a fresh one
// used; that is reported but is no failure. Exit status 1 on any failure.

import { Host, type Response } from "../e2e/host.ts";
import { makeInput, type Input } from "./inputs.ts";

interface Options { count: number; seed: number; timeLimit: number; only: number | null; verbose: boolean; runtime?: string }

function parseArgs(argv: string[]): Options {
  const o: Options = { count: 10000, seed: 20261203, timeLimit: 3600, only: null, verbose: false };
  for (let i = 0; i < argv.length; i++) {
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${argv[i - 1]} needs a value`);
      return v;
    };
    const a = argv[i];
    if (a === "--count") o.count = Number(value());
    else if (a === "--seed") o.seed = Number(value());
    else if (a === "--time-limit") o.timeLimit = Number(value());
    else if (a === "--only") o.only = Number(value());
    else if (a === "--runtime") o.runtime = value();
    else if (a === "--verbose") o.verbose = true;
    else throw new Error(`unknown argument ${a} (use --count N --seed S --time-limit SECONDS --only I --runtime PATH --verbose)`);
  }
  for (const [k, v] of Object.entries(o)) if (typeof v === "number" && !Number.isFinite(v)) throw new Error(`--${k} must be a number`);
  return o;
}

/** No reply within this long: the host hung (its own execute timeout is 30 s). */
const WATCHDOG_MS = 120_000;
const CANARY = "print('alive')";

type Failure = "trap" | "timeout" | "lost session" | "host died" | "host hung";

interface Finding { index: number; failure: Failure; during: "input" | "canary"; input: Input; error: string }

class Harness {
  private host!: Host;
  private session = "";
  private sessionCount = 0;
  private fresh = true;
  findings: Finding[] = [];
  degraded = 0;
  lastSnapshot: Uint8Array | null = null;
  byOrigin = new Map<string, { n: number; ok: number }>();

  constructor(private options: Options) {}

  async start(): Promise<void> {
    // The test-only callback `fuzz(kind, seed, size)` (host/src/callbacks.rs).
    process.env.ERYX_AS_HOST_FUZZ_CALLBACK = "1";
    this.host = await Host.start([], this.options.runtime);
    this.newSession();
  }

  private newSession(): void {
    this.session = `fuzz-${++this.sessionCount}`;
    this.fresh = true;
  }

  private async send(input: Input | { op: "execute"; code: string }): Promise<Response | "hung"> {
    const request = input.op === "execute" ? { op: "execute" as const, code: input.code, session: this.session }
      : input.op === "restore" ? { op: "restore" as const, hex: input.hex, session: this.session }
      : { op: input.op, session: this.session };
    let timer: NodeJS.Timeout | undefined;
    const hung = new Promise<"hung">((resolve) => { timer = setTimeout(() => resolve("hung"), WATCHDOG_MS); });
    const r = await Promise.race([this.host.request(request), hung]);
    clearTimeout(timer);
    return r;
  }

  /** Classifies a reply; returns the failure, if any. */
  private judge(r: Response | "hung"): [Failure, string] | null {
    if (r === "hung") return ["host hung", `no reply within ${WATCHDOG_MS / 1000} s`];
    if (r.error?.startsWith("host exited")) return ["host died", r.error];
    if (r.error?.startsWith("WASM execution error")) return ["trap", r.error];
    if (r.error?.startsWith("Execution timed out")) return ["timeout", r.error];
    if (!this.fresh && r.instantiate_ms !== null) return ["lost session", "the session was instantiated again"];
    this.fresh = false;
    return null;
  }

  private async recover(failure: Failure): Promise<void> {
    if (failure === "host died" || failure === "host hung") {
      try { process.kill(this.host.pid); } catch { /* already gone */ }
      this.host = await Host.start([], this.options.runtime);
    }
    this.newSession();
  }

  async run(index: number): Promise<void> {
    const input = makeInput(this.options.seed, index, this.lastSnapshot);
    const stats = this.byOrigin.get(input.origin) ?? { n: 0, ok: 0 };
    this.byOrigin.set(input.origin, stats);
    stats.n++;
    const r = await this.send(input);
    if (this.options.verbose) process.stdout.write(`#${index} ${input.origin}: ${describe(input)}\n  → ${r === "hung" ? "hung" : r.ok ? "Ok" : `Err ${r.error?.slice(0, 200)}`}\n`);
    let failed = this.judge(r);
    if (failed) return this.report(index, failed, "input", input);
    if (r !== "hung" && r.ok) {
      stats.ok++;
      if (input.op === "snapshot" && typeof r.value === "string") this.lastSnapshot = Buffer.from(r.value, "hex");
    }
    const canary = await this.send({ op: "execute", code: CANARY });
    failed = this.judge(canary);
    if (failed) return this.report(index, failed, "canary", input);
    if (canary !== "hung" && canary.value !== "alive") {
      // Not a runtime failure: the input broke its own interpreter state.
      this.degraded++;
      if (this.options.verbose) process.stdout.write(`  canary degraded: ${canary.error?.slice(0, 200)}\n`);
      this.newSession();
    }
  }

  private async report(index: number, [failure, error]: [Failure, string], during: Finding["during"], input: Input): Promise<void> {
    this.findings.push({ index, failure, during, input, error });
    const lines = error.split("\n");
    const gist = lines.length > 10 ? [...lines.slice(0, 6), "…", ...lines.slice(-2)] : lines;
    process.stdout.write(`[fuzz] FAIL #${index} (${failure} during ${during}), ${input.origin}: ${describe(input)}\n  ${gist.join("\n  ").slice(0, 1500)}\n`);
    await this.recover(failure);
  }

  async close(): Promise<void> {
    await this.host.close();
  }
}

function describe(input: Input): string {
  const text = input.op === "execute" ? JSON.stringify(input.code) : input.op === "restore" ? `restore ${input.hex.length / 2} bytes` : input.op;
  return text.length > 300 ? text.slice(0, 300) + "…" : text;
}

const options = parseArgs(process.argv.slice(2));
const harness = new Harness(options);
await harness.start();
const started = performance.now();
let done = 0;
const indices = options.only !== null ? [options.only] : Array.from({ length: options.count }, (_, i) => i);
for (const i of indices) {
  if ((performance.now() - started) / 1000 > options.timeLimit) {
    process.stdout.write(`[fuzz] time limit of ${options.timeLimit} s reached\n`);
    break;
  }
  await harness.run(i);
  done++;
  if (done % 500 === 0) process.stdout.write(`[fuzz] ${done} inputs, ${harness.findings.length} failures, ${((performance.now() - started) / 1000).toFixed(0)} s\n`);
}
await harness.close();
const seconds = (performance.now() - started) / 1000;
const count = (f: Failure) => harness.findings.filter((x) => x.failure === f).length;
process.stdout.write(`[fuzz] by origin: ${[...harness.byOrigin].map(([k, v]) => `${k} ${v.n} (${v.ok} Ok)`).join(", ")}\n`);
process.stdout.write(`[fuzz] ${done} inputs, seed ${options.seed}, ${seconds.toFixed(1)} s: traps ${count("trap")}, lost sessions ${count("lost session")}, ` +
  `timeouts ${count("timeout")}, host died ${count("host died")}, host hung ${count("host hung")}; degraded (session reset, no failure) ${harness.degraded}\n`);
process.exit(harness.findings.length ? 1 : 0);
