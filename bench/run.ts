// `npm run bench [-- --runtime NAME=PATH ...] [--host rust|node|eryx05 ...] [--quick] [--only REGEX]`:
// measures runtime components on each host, in the same run, with warm-up and
// repeated samples; prints one markdown table per host with ratios against
// its first column and writes docs/benchmarks.md and docs/benchmarks.json.
// Hosts: the Rust reference host (`rust`: our 0.1.0-world component, its
// pre-initialised image and the componentize-py peer), the Node host (`node`:
// our component), and the published eryx 0.5.0 crate (`eryx05`, eryx-host/:
// our 0.5-world component against eryx's own Rust runtime, plain and
// pre-initialised; bench/eryx05-runtimes.ts). `--runtime` replaces the
// components of the rust and node hosts. `--only` measures just the metrics
// whose names match (raw sizes are always listed).

import { execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import os from "node:os";
import { Host, freshSession, root } from "../tests/e2e/host.ts";
import { buildPeer } from "../peer/build.ts";
import { OURS, OURS_PREINIT, RUST, RUST_PREINIT, prepareEryx05Runtimes } from "./eryx05-runtimes.ts";
import { eryxHostBinary } from "../tests/e2e/eryx05.ts";

type HostKind = "rust" | "node" | "eryx05";
const HOSTS: HostKind[] = ["rust", "node", "eryx05"];
const { values } = parseArgs({ options: { runtime: { type: "string", multiple: true }, host: { type: "string", multiple: true }, quick: { type: "boolean" }, only: { type: "string" } } });
const only = values.only ? new RegExp(values.only) : null;
const wanted = (name: string) => !only || only.test(name);
const hosts = (values.host ?? HOSTS).map((h) => {
  if (!HOSTS.includes(h as HostKind)) throw new Error(`--host must be one of ${HOSTS.join(", ")}, not ${h}`);
  return h as HostKind;
});
const N = values.quick ? 5 : 30;

/** One column of a table: a component on a host. */
interface Column {
  name: string;
  path: string;
  /** The guest runtime's own dynamic library (the size rows). */
  dylib?: string;
  /** Extra `--serve` arguments for every start of its host. */
  args?: string[];
}

const ourDylib = join(root, "build", "liberyx_runtime.so");
async function columnsOf(kind: HostKind): Promise<Column[]> {
  if (kind === "eryx05") return prepareEryx05Runtimes();
  if (values.runtime) {
    return values.runtime.map((spec) => {
      const [name, path] = spec.split("=");
      return { name, path, dylib: path.endsWith(join("dist", "runtime.wasm")) ? ourDylib : undefined };
    });
  }
  const ours: Column = { name: "eryx-as", path: join(root, "dist", "runtime.wasm"), dylib: ourDylib };
  if (kind === "node") return [ours];
  const columns = [ours];
  const preinit = join(root, "dist", "runtime-preinit.wasm");
  if (existsSync(preinit)) columns.push({ name: "eryx-as-preinit", path: preinit });
  else process.stdout.write("[bench] no dist/runtime-preinit.wasm (npm run link -- --preinit): that column is left out\n");
  columns.push({ name: "componentize-py", path: await buildPeer() });
  return columns;
}

interface Metric { name: string; unit: string; median: number; p95: number; samples: number }

function stats(name: string, unit: string, xs: number[]): Metric {
  const sorted = [...xs].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * (sorted.length - 1)))];
  return { name, unit, median: at(0.5), p95: at(0.95), samples: xs.length };
}

/** Minor page faults of a process so far (/proc/PID/stat field 10). */
function minorFaults(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[7]);
}

/** Resident memory of a process, in bytes. */
function residentBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) * 1024 : NaN;
}

/** CPU time of every thread of a process, in seconds (schedstat: nanoseconds on CPU). */
function cpuSeconds(pid: number): number {
  let ns = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
    } catch {
      // the thread ended meanwhile
    }
  }
  return ns / 1e9;
}

async function sample(host: Host, code: string, session: string, n = N, warmup = 3): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await host.execute(code, session);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = await host.execute(code, session);
    if (!r.ok) throw new Error(`${code.slice(0, 60)}: ${r.error}`);
    out.push(r.elapsed_ms);
  }
  return out;
}

// zstd -19 of a 30-45 MiB component takes a while: sizes are kept in build/
// by path, size and mtime, so an unchanged file is compressed once.
const zstdCacheFile = join(root, "build", "bench-zstd-sizes.json");
const zstdSizes: Record<string, number> = existsSync(zstdCacheFile) ? JSON.parse(readFileSync(zstdCacheFile, "utf8")) : {};
function zstdSize(path: string): number {
  const st = statSync(path);
  const key = `${path}:${st.size}:${st.mtimeMs}`;
  if (zstdSizes[key] === undefined) {
    zstdSizes[key] = execFileSync("zstd", ["-19", "-c", path], { maxBuffer: 1 << 28 }).length;
    writeFileSync(zstdCacheFile, JSON.stringify(zstdSizes, null, 1));
  }
  return zstdSizes[key];
}

/** Extra `--serve` arguments: load the component from the compiled-component cache or not. */
function loadArgs(kind: HostKind, column: Column, cached: boolean): string[] {
  const extra = column.args ?? [];
  // The eryx 0.5.0 host always loads the precompiled file (tests/e2e/host.ts); compiling is measured in loadMs.
  if (kind === "eryx05") return extra;
  return cached ? extra : ["--no-cache", ...extra];
}

/** How long a new host took to load the component (its `info` op), with or without its cache. */
async function loadMs(kind: HostKind, column: Column, cached: boolean): Promise<number> {
  // tests/e2e/host.ts starts the eryx 0.5.0 host on a precompiled file always;
  // compiling is measured on a host started here, as the crate's user would.
  const h = kind === "eryx05" && !cached
    ? spawn(eryxHostBinary, ["--serve", "--runtime", column.path, "--stdlib", join(root, "dist", "python-stdlib"), ...(column.args ?? [])], { cwd: root, stdio: ["pipe", "pipe", "inherit"] })
    : null;
  if (h) {
    h.stdin.write(`${JSON.stringify({ id: 1, op: "info" })}\n`);
    const [line] = (await once(createInterface({ input: h.stdout }), "line")) as [string];
    h.stdin.end();
    await once(h, "exit");
    return (JSON.parse(line).value as { load_ms: number }).load_ms;
  }
  const host = await Host.start(loadArgs(kind, column, cached), column.path, kind);
  try {
    const info = (await host.request({ op: "info" })).value as unknown as { load_ms: number } | null;
    if (!info) throw new Error("the host has no info op");
    return info.load_ms;
  } finally {
    await host.close();
  }
}

async function measure(column: Column, kind: HostKind): Promise<Metric[]> {
  const path = column.path;
  const m: Metric[] = [];
  /** One metric; a runtime that cannot do it gets "n/a" instead of stopping the run. */
  const metric = async (name: string, unit: string, f: () => Promise<number[]>) => {
    if (!wanted(name)) return;
    try {
      m.push(stats(name, unit, await f()));
    } catch (e) {
      process.stdout.write(`[bench]   ${name}: n/a (${(e as Error).message.split("\n")[0].slice(0, 120)})\n`);
      m.push({ name, unit, median: NaN, p95: NaN, samples: 0 });
    }
  };
  m.push(stats("component size", "MiB", [statSync(path).size / 1048576]));
  await metric("component size (zstd -19)", "MiB", async () => [zstdSize(path) / 1048576]);
  if (column.dylib) {
    m.push(stats("runtime dylib size (raw)", "KiB", [statSync(column.dylib).size / 1024]));
    m.push(stats("runtime dylib size (zstd -19)", "KiB", [zstdSize(column.dylib) / 1024]));
  }
  const host = await Host.start(loadArgs(kind, column, true), path, kind);
  try {
    // Its answer means the host has loaded the component, and cached it compiled.
    await host.request({ op: "info" });
    // Compiling the component: a host without the compiled-component cache
    // (one sample: it takes seconds), then loading it from the cache. On the
    // Node host: jco transpile + compiling the core modules, then only the
    // compiling (the transpiled output is cached in build/jco). On the eryx
    // 0.5.0 host: building the sandbox from the .wasm, then from the file
    // `eryx05-host precompile` wrote (the crate's with_precompiled_file).
    for (const [name, cached] of [["compile the component (no cache)", false], ["load the compiled component from the cache", true]] as const) {
      await metric(name, "ms", async () => [await loadMs(kind, column, cached)]);
    }
    const cold: number[] = [];
    const first: number[] = [];
    const faults: number[] = [];
    const coldMetrics = ["instantiate (cold, Python init)", "instantiate → first execute(\"pass\")", "host page faults, instantiate → first result"];
    for (let i = 0; i < (coldMetrics.some(wanted) ? N : 0); i++) {
      const before = minorFaults(host.pid);
      // The eryx crate's one-shot execute does not say how long instantiating
      // took; a new session does (InProcessSession::new instantiates), then its
      // first execute.
      const session = kind === "eryx05" ? freshSession("cold") : undefined;
      const r = await host.execute("pass", session);
      if (!r.ok) throw new Error(`first execute: ${r.error}`);
      if (session) await host.request({ op: "drop", session });
      faults.push(minorFaults(host.pid) - before);
      cold.push(r.instantiate_ms ?? NaN);
      first.push((r.instantiate_ms ?? 0) + r.elapsed_ms);
      if (i === 2 && first[0] > 500) break; // no pre-initialised image: three samples of a second each are enough
    }
    await metric("instantiate (cold, Python init)", "ms", async () => cold);
    await metric("instantiate → first execute(\"pass\")", "ms", async () => first);
    await metric("host page faults, instantiate → first result", "faults", async () => faults);
    const s = freshSession("bench");
    await metric("execute(\"pass\"), warm session", "ms", () => sample(host, "pass", s));
    await metric("execute(\"x = sum(range(100))\")", "ms", () => sample(host, "x = sum(range(100))", s));
    await metric("execute(print of 1 KB)", "ms", () => sample(host, "print('k' * 1024)", s));
    await metric("one awaited callback round trip", "ms", () => sample(host, "await echo(message='x')", s));
    await metric("100 sequential awaited callbacks", "ms", () => sample(host, "for i in range(100):\n    await echo(message='x')", s, Math.ceil(N / 3)));
    await metric("asyncio.gather of 100 callbacks", "ms", () => sample(host, "import asyncio\nawait asyncio.gather(*[echo(message='x') for i in range(100)])", s, Math.ceil(N / 3)));
    await metric("asyncio.gather of three 100 ms host sleeps", "ms", () => sample(host, "import asyncio\nawait asyncio.gather(sleep(ms=100), sleep(ms=100), sleep(ms=100))", s, Math.ceil(N / 3), 1));

    // asyncio.sleep(0.05): wall time inside the sandbox and the host's CPU time meanwhile.
    const sleepCpu: number[] = [];
    await metric("await asyncio.sleep(0.05): wall time", "ms", async () => {
      const wall: number[] = [];
      for (let i = 0; i < Math.ceil(N / 3); i++) {
        const before = cpuSeconds(host.pid);
        const r = await host.execute("import asyncio, time\nt = time.monotonic()\nawait asyncio.sleep(0.05)\nprint(time.monotonic() - t)", s);
        if (!r.ok) throw new Error(r.error ?? "failed");
        sleepCpu.push((cpuSeconds(host.pid) - before) * 1000);
        wall.push(Number(r.value) * 1000);
      }
      return wall;
    });
    await metric("await asyncio.sleep(0.05): host CPU time", "ms", async () => sleepCpu.length ? sleepCpu : Promise.reject(new Error("no samples")));

    // Snapshot + restore of a state of about 1 MiB (20,000 short strings).
    await metric("snapshot + restore of a ~1 MiB state", "ms", async () => {
      const st = freshSession("state");
      await host.execute("blob = ['x' * 40 + str(i) for i in range(20000)]", st);
      const snap: number[] = [];
      let snapshotBytes = 0;
      for (let i = 0; i < Math.ceil(N / 3); i++) {
        const a = await host.request({ op: "snapshot", session: st });
        const b = await host.request({ op: "restore", session: st, hex: a.value ?? "" });
        if (!a.ok || !b.ok) throw new Error(`snapshot/restore failed: ${a.error ?? b.error}`);
        snapshotBytes = (a.value ?? "").length / 2;
        snap.push(a.elapsed_ms + b.elapsed_ms);
      }
      m.push(stats("size of that snapshot", "MiB", [snapshotBytes / 1048576]));
      return snap;
    });

    // Tracing cost on a tight loop: traced (always on) vs tracing switched
    // off: eryx-as's own switch, or, in a runtime without one (eryx's Rust
    // runtime traces with sys.settrace around every execute), sys.settrace(None)
    // at the start of the same execute.
    const loop = "n = 0\nfor i in range(1000000):\n    n += i";
    const tr = freshSession("trace");
    let traced: number[] = [];
    let untraced: number[] = [];
    await metric("10⁶-iteration loop, traced", "ms", async () => (traced = await sample(host, loop, tr, 3, 1)));
    await metric("10⁶-iteration loop, untraced", "ms", async () => {
      const off = await host.execute("import eryx_glue.tracing\neryx_glue.tracing.enabled = False", tr);
      untraced = await sample(host, off.ok ? loop : `import sys\nsys.settrace(None)\n${loop}`, tr, 3, 1);
      return untraced;
    });
    await metric("tracing slowdown on that loop", "×", async () => [stats("", "", traced).median / stats("", "", untraced).median]);

    // Memory per idle instance: linear memory the host reports after one execute,
    // and the host process's resident memory per instance with 1, 10 and 50
    // idle instances (sessions that ran "pass") alive at once.
    m.push(stats("linear memory of an idle instance", "MiB", [(await host.execute("pass")).peak_memory_bytes / 1048576]));
    for (const n of [1, 10, 50]) {
      await metric(`host resident memory per idle instance, ${n} alive`, "MiB", async () => {
        const names = Array.from({ length: n }, () => freshSession("idle"));
        const before = residentBytes(host.pid);
        try {
          for (const name of names) {
            const r = await host.execute("pass", name);
            if (!r.ok) throw new Error(r.error ?? "failed");
          }
          return [(residentBytes(host.pid) - before) / n / 1048576];
        } finally {
          for (const name of names) await host.request({ op: "drop", session: name });
        }
      });
    }
  } finally {
    await host.close();
  }
  return m;
}

interface Result { runtime: string; metrics: Metric[] }
const groups: { host: HostKind; results: Result[] }[] = [];
for (const kind of hosts) {
  const results: Result[] = [];
  for (const column of await columnsOf(kind)) {
    process.stdout.write(`[bench] ${column.name}, ${kind} host: ${column.path}\n`);
    results.push({ runtime: column.name, metrics: await measure(column, kind) });
  }
  groups.push({ host: kind, results });
}

const fmt = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(2));
const find = (r: Result, name: string) => r.metrics.find((x) => x.name === name && !Number.isNaN(x.median));

function table(results: Result[]): string {
  const header = ["metric", ...results.flatMap((r, i) => i === 0 ? [`${r.runtime} median`, "p95"] : [`${r.runtime} median`, "p95", `ratio vs ${results[0].runtime}`])];
  const lines = [`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`];
  const names = [...new Set(results.flatMap((r) => r.metrics.map((x) => `${x.name}\u0000${x.unit}`)))];
  for (const key of names) {
    const [name, unit] = key.split("\u0000");
    const cells = [`${name} (${unit})`];
    const base = find(results[0], name);
    for (const [i, r] of results.entries()) {
      const metric = find(r, name);
      cells.push(metric ? fmt(metric.median) : "n/a", metric && metric.samples > 1 ? fmt(metric.p95) : "");
      if (i > 0) cells.push(metric && base ? fmt(metric.median / base.median) : "");
    }
    lines.push(`| ${cells.join(" | ")} |`);
  }
  return lines.join("\n");
}

/**
 * Our 0.5-world component against eryx's Rust runtime, both in the eryx 0.5.0
 * host: ours ÷ theirs for every latency (target ≤ 0.8) and every size (target
 * ≤ 1/20); pre-initialised starts are compared with each other.
 */
function targets(results: Result[]): string | null {
  const column = (name: string) => results.find((r) => r.runtime === name);
  const [ours, oursPreinit, rust, rustPreinit] = [OURS, OURS_PREINIT, RUST, RUST_PREINIT].map(column);
  if (!ours || !rust) return null;
  const rows: [string, Result | undefined, Result | undefined, string, number][] = [
    ["component size", ours, rust, "MiB", 1 / 20],
    ["component size (zstd -19)", ours, rust, "MiB", 1 / 20],
    ["runtime dylib size (raw)", ours, rust, "KiB", 1 / 20],
    ["runtime dylib size (zstd -19)", ours, rust, "KiB", 1 / 20],
    ["compile the component (no cache)", ours, rust, "ms", 0.8],
    ["load the compiled component from the cache", ours, rust, "ms", 0.8],
    ["instantiate → first execute(\"pass\")", ours, rust, "ms", 0.8],
    ["instantiate → first execute(\"pass\"), pre-initialised", oursPreinit, rustPreinit, "ms", 0.8],
    ["execute(\"pass\"), warm session", ours, rust, "ms", 0.8],
    ["one awaited callback round trip", ours, rust, "ms", 0.8],
    ["100 sequential awaited callbacks", ours, rust, "ms", 0.8],
    ["asyncio.gather of 100 callbacks", ours, rust, "ms", 0.8],
    ["snapshot + restore of a ~1 MiB state", ours, rust, "ms", 0.8],
    ["10⁶-iteration loop, traced", ours, rust, "ms", 0.8],
    ["tracing slowdown on that loop", ours, rust, "×", 0.8],
    // Memory has no target: listed for the comparison.
    ["host resident memory per idle instance, 10 alive", ours, rust, "MiB", NaN],
  ];
  const lines = ["| metric | eryx-as | eryx Rust runtime | eryx-as ÷ Rust | target | met |", "|---|---|---|---|---|---|"];
  for (const [label, mine, theirs, unit, target] of rows) {
    const name = label.replace(/, pre-initialised$/, "");
    const a = mine && find(mine, name);
    const b = theirs && find(theirs, name);
    const ratio = a && b ? a.median / b.median : NaN;
    const shown = Number.isNaN(target) ? "—" : target < 0.1 ? "≤ 1/20" : `≤ ${target}`;
    const met = Number.isNaN(target) ? "—" : Number.isNaN(ratio) ? "n/a" : ratio <= target ? "yes" : "no";
    lines.push(`| ${label} (${unit}) | ${a ? fmt(a.median) : "n/a"} | ${b ? fmt(b.median) : "n/a"} | ${Number.isNaN(ratio) ? "" : fmt(ratio)} | ${shown} | ${met} |`);
  }
  return lines.join("\n");
}

const HOST_TEXT: Record<HostKind, string> = {
  rust: "the Rust reference host (wasmtime 40.0.4, host/)",
  node: "the Node host (jco 1.35.0 on Node 26.10.0, node-host/; each instance in its own worker thread)",
  eryx05: "the published eryx 0.5.0 crate (wasmtime 44.0.3, eryx-host/ `--serve`; a fresh session per cold start, since the crate's one-shot execute does not report instantiation apart)",
};
const sections: string[] = [];
for (const g of groups) {
  sections.push(`### ${HOST_TEXT[g.host].replace(/^the /, "The ")}`, "", table(g.results), "");
  const t = g.host === "eryx05" ? targets(g.results) : null;
  if (t) sections.push("Targets against eryx's Rust runtime in the same host and run (ours ÷ theirs):", "", t, "");
}
const machine = `${os.cpus()[0]?.model ?? "?"} × ${os.cpus().length}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.type()} ${os.release()}, Node ${process.version}`;
process.stdout.write(`\n${sections.join("\n")}\n`);
mkdirSync(join(root, "docs"), { recursive: true });
const date = new Date().toISOString();
writeFileSync(join(root, "docs", "benchmarks.json"), JSON.stringify({ date, machine, samples: N, groups }, null, 2) + "\n");
writeFileSync(join(root, "docs", "benchmarks.md"), [
  "# Benchmarks",
  "",
  `Measured by \`npm run bench\` on ${date.slice(0, 10)}: ${machine}. Hosts: ${groups.map((g) => HOST_TEXT[g.host]).join("; ")}. One process per component and host, the hosts one after the other; ${N} samples after warm-up unless the metric is expensive (then fewer). Times are the export call as the host measures it, median and p95; ratios are against the first column of each table.`,
  "",
  ...sections,
].join("\n"));
