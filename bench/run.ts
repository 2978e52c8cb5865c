// `npm run bench [-- --runtime NAME=PATH ...] [--host rust|node ...] [--quick] [--only REGEX]`:
// measures each runtime component on each host (the Rust reference host and
// the Node host, node-host/), in the same run, with warm-up and repeated
// samples; prints a markdown table with ratios against the first column and
// writes docs/benchmarks.md and docs/benchmarks.json. `--only` measures just
// the metrics whose names match (sizes are always listed).

import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, statSync, writeFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import os from "node:os";
import { Host, freshSession, root } from "../tests/e2e/host.ts";

const { values } = parseArgs({ options: { runtime: { type: "string", multiple: true }, host: { type: "string", multiple: true }, quick: { type: "boolean" }, only: { type: "string" } } });
const only = values.only ? new RegExp(values.only) : null;
const wanted = (name: string) => !only || only.test(name);
const hosts = (values.host ?? ["rust", "node"]).map((h) => {
  if (h !== "rust" && h !== "node") throw new Error(`--host must be rust or node, not ${h}`);
  return h;
});
const runtimes = (values.runtime ?? [`eryx-as=${join(root, "dist", "runtime.wasm")}`]).map((spec) => {
  const [name, path] = spec.split("=");
  return { name, path };
});
const N = values.quick ? 5 : 30;

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

function zstdSize(path: string): number {
  return execFileSync("zstd", ["-19", "-c", path], { maxBuffer: 1 << 28 }).length;
}

async function measure(path: string, kind: "rust" | "node"): Promise<Metric[]> {
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
  const lib = join(root, "build", "liberyx_runtime.so");
  if (path.endsWith(join("dist", "runtime.wasm"))) {
    m.push(stats("runtime dylib size (raw)", "KiB", [statSync(lib).size / 1024]));
    m.push(stats("runtime dylib size (zstd -19)", "KiB", [zstdSize(lib) / 1024]));
  }
  const host = await Host.start([], path, kind);
  try {
    // Its answer means the host has loaded the component, and cached it compiled.
    await host.request({ op: "info" });
    // Compiling the component: a host without the compiled-component cache
    // (one sample: it takes seconds), then loading it from the cache. On the
    // Node host: jco transpile + compiling the core modules, then only the
    // compiling (the transpiled output is cached in build/jco).
    for (const [name, args] of [["compile the component (no cache)", ["--no-cache"]], ["load the compiled component from the cache", []]] as const) {
      await metric(name, "ms", async () => {
        const h = await Host.start([...args], path, kind);
        try {
          const info = (await h.request({ op: "info" })).value as unknown as { load_ms: number } | null;
          if (!info) throw new Error("the host has no info op");
          return [info.load_ms];
        } finally {
          await h.close();
        }
      });
    }
    const cold: number[] = [];
    const first: number[] = [];
    const faults: number[] = [];
    const coldMetrics = ["instantiate (cold, Python init)", "instantiate → first execute(\"pass\")", "host page faults, instantiate → first result"];
    for (let i = 0; i < (coldMetrics.some(wanted) ? N : 0); i++) {
      const before = minorFaults(host.pid);
      const r = await host.execute("pass");
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

    // Tracing cost on a tight loop: traced (always on) vs tracing switched off
    // (the switch is eryx-as's own; other runtimes get n/a for it).
    const loop = "n = 0\nfor i in range(1000000):\n    n += i";
    const tr = freshSession("trace");
    let traced: number[] = [];
    let untraced: number[] = [];
    await metric("10⁶-iteration loop, traced", "ms", async () => (traced = await sample(host, loop, tr, 3, 1)));
    await metric("10⁶-iteration loop, untraced", "ms", async () => {
      const off = await host.execute("import eryx_glue.tracing\neryx_glue.tracing.enabled = False", tr);
      if (!off.ok) throw new Error("no tracing switch");
      untraced = await sample(host, loop, tr, 3, 1);
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

const results: { runtime: string; metrics: Metric[] }[] = [];
for (const r of runtimes) {
  for (const kind of hosts) {
    const name = hosts.length > 1 ? `${r.name}, ${kind} host` : r.name;
    process.stdout.write(`[bench] ${name}: ${r.path}\n`);
    results.push({ runtime: name, metrics: await measure(r.path, kind) });
  }
}

const fmt = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(2));
const header = ["metric", ...results.flatMap((r, i) => i === 0 ? [`${r.runtime} median`, "p95"] : [`${r.runtime} median`, "p95", `ratio vs ${results[0].runtime}`])];
const lines = [`| ${header.join(" | ")} |`, `|${header.map(() => "---").join("|")}|`];
for (const base of results[0].metrics) {
  const cells = [`${base.name} (${base.unit})`];
  for (const [i, r] of results.entries()) {
    const metric = r.metrics.find((x) => x.name === base.name);
    if (!metric || Number.isNaN(metric.median)) {
      cells.push("n/a", "");
    } else {
      cells.push(fmt(metric.median), metric.samples > 1 ? fmt(metric.p95) : "");
    }
    if (i > 0) cells.push(metric && !Number.isNaN(metric.median) && !Number.isNaN(base.median) ? fmt(metric.median / base.median) : "");
  }
  lines.push(`| ${cells.join(" | ")} |`);
}
const table = lines.join("\n");
const machine = `${os.cpus()[0]?.model ?? "?"} × ${os.cpus().length}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, ${os.type()} ${os.release()}, Node ${process.version}`;
process.stdout.write(`\n${table}\n`);
mkdirSync(join(root, "docs"), { recursive: true });
const date = new Date().toISOString();
writeFileSync(join(root, "docs", "benchmarks.json"), JSON.stringify({ date, machine, samples: N, results }, null, 2) + "\n");
writeFileSync(join(root, "docs", "benchmarks.md"), [
  "# Benchmarks",
  "",
  `Measured by \`npm run bench\` on ${date.slice(0, 10)}: ${machine}. Hosts: ${hosts.map((h) => h === "rust" ? "the Rust reference host (wasmtime 40.0.4, host/)" : "the Node host (jco 1.35.0 on Node 26.10.0, node-host/; each instance in its own worker thread)").join(" and ")}, one process per runtime and host; ${N} samples after warm-up unless the metric is expensive (then fewer). Times are the export call as the host measures it, median and p95.`,
  "",
  table,
  "",
].join("\n"));
