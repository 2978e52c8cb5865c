// What native extensions cost at link time and at run time:
//   npx tsx bench/extensions-link.ts [runs=3]
// Needs `npm run link` first (uses build/liberyx_runtime.so and the bindings).
// Links the component without and with the two demo extensions (the
// `component link` stage alone, `runs` times each, plus the whole `link()`
// pipeline once each), then instantiates each in the reference host.
// Prints a table and writes build/ext-bench/results.json.

import { copyFileSync, mkdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { checkExtensionSymbols, collectExtensions, inspectExtension } from "../link/extensions.ts";
import { BINDINGS_LIBRARY, link, linkComponent, RUNTIME_LIBRARY } from "../link/pipeline.ts";
import { wasmToolsPath } from "../link/tools.ts";
import { vendor } from "../link/vendor.ts";
import { Host } from "../tests/e2e/host.ts";
import { AS_DEMO_FILE, buildDemoExtensions, C_DEMO_FILE } from "../tests/fixtures/demo-extensions.ts";

const root = join(import.meta.dirname, "..");
const runs = Number(process.argv[2] ?? 3);
const dir = join(root, "build", "ext-bench");
rmSync(dir, { recursive: true, force: true });
const sitePackages = join(dir, "site-packages");
mkdirSync(join(sitePackages, "demo_pkg"), { recursive: true });

const t0 = performance.now();
const built = await buildDemoExtensions(join(dir, "built"));
const buildSeconds = (performance.now() - t0) / 1000;
copyFileSync(built.asDemo, join(sitePackages, AS_DEMO_FILE));
copyFileSync(built.cDemo, join(sitePackages, "demo_pkg", C_DEMO_FILE));
writeFileSync(join(sitePackages, "demo_pkg", "__init__.py"), "");

const wasmTools = wasmToolsPath(root);
const vendored = vendor({ cacheDir: join(root, ".cache"), stdlibDir: join(root, "dist", "python-stdlib"), lockPath: join(root, "link", "vendor.lock.json") });
const libs = { runtime: join(root, "build", RUNTIME_LIBRARY), bindings: join(root, "build", BINDINGS_LIBRARY) };
const extensions = collectExtensions({ sitePackages: [sitePackages] });

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const time = (fn: () => void) => { const s = performance.now(); fn(); return (performance.now() - s) / 1000; };

let checkSeconds = 0;
checkSeconds = time(() => {
  const inspected = extensions.map(inspectExtension);
  checkExtensionSymbols(inspected, [...vendored.libraries.map((file) => ({ name: file.split("/").pop()!, file })), { name: RUNTIME_LIBRARY, file: libs.runtime }, { name: BINDINGS_LIBRARY, file: libs.bindings }]);
});

const without = join(dir, "runtime-without.wasm");
const withExt = join(dir, "runtime-with.wasm");
const linkWithout: number[] = [];
const linkWith: number[] = [];
for (let i = 0; i < runs; i++) {
  linkWithout.push(time(() => linkComponent(wasmTools, vendored, libs, without)));
  linkWith.push(time(() => linkComponent(wasmTools, vendored, libs, withExt, extensions)));
}

// The whole pipeline (asc ×2 for the runtime included), once each, in separate build dirs.
let s = performance.now();
await link({ root, buildDir: join(dir, "pipeline-without"), output: join(dir, "pipeline-without.wasm") });
const pipelineWithout = (performance.now() - s) / 1000;
s = performance.now();
await link({ root, buildDir: join(dir, "pipeline-with"), output: join(dir, "pipeline-with.wasm"), extensions });
const pipelineWith = (performance.now() - s) / 1000;

async function instantiate(component: string, code: string): Promise<{ instantiateMs: number[]; executeMs: number[]; peak: number }> {
  const host = await Host.start(["--site-packages", sitePackages], component);
  try {
    const instantiateMs: number[] = [];
    const executeMs: number[] = [];
    let peak = 0;
    for (let i = 0; i < runs + 1; i++) {
      const r = await host.execute(code);
      if (r.error) throw new Error(r.error);
      if (i === 0) continue; // the first one includes compiling the component
      instantiateMs.push(r.instantiate_ms ?? NaN);
      executeMs.push(r.elapsed_ms);
      peak = Math.max(peak, r.peak_memory_bytes);
    }
    return { instantiateMs, executeMs, peak };
  } finally {
    await host.close();
  }
}

const importBoth = "import eryx_as_demo\nfrom demo_pkg import c_demo\nprint(eryx_as_demo.add(1, 2), c_demo.add(1, 2))";
const plain = await instantiate(without, "print(1 + 2)");
const ext = await instantiate(withExt, "print(1 + 2)");
const extImport = await instantiate(withExt, importBoth);

const results = {
  runs,
  extensionFiles: { [AS_DEMO_FILE]: statSync(built.asDemo).size, [C_DEMO_FILE]: statSync(built.cDemo).size },
  buildBothExtensionsSeconds: buildSeconds,
  checkSymbolsSeconds: checkSeconds,
  componentBytes: { without: statSync(without).size, with: statSync(withExt).size },
  componentLinkSeconds: { without: median(linkWithout), with: median(linkWith), allWithout: linkWithout, allWith: linkWith },
  pipelineSeconds: { without: pipelineWithout, with: pipelineWith },
  instantiateMsMedian: { without: median(plain.instantiateMs), with: median(ext.instantiateMs) },
  executeMsMedian: { withoutPrint: median(plain.executeMs), withPrint: median(ext.executeMs), withImportBoth: median(extImport.executeMs) },
  peakMemoryBytes: { without: plain.peak, with: ext.peak, withImportBoth: extImport.peak },
};
writeFileSync(join(dir, "results.json"), JSON.stringify(results, null, 2) + "\n");

const row = (what: string, a: string, b: string) => process.stdout.write(`| ${what} | ${a} | ${b} |\n`);
process.stdout.write(`\nextensions: ${AS_DEMO_FILE} ${results.extensionFiles[AS_DEMO_FILE]} B, ${C_DEMO_FILE} ${results.extensionFiles[C_DEMO_FILE]} B (built in ${buildSeconds.toFixed(1)}s); symbol check ${(checkSeconds * 1000).toFixed(0)} ms\n\n`);
row("", "without extensions", "with both");
row("---", "---", "---");
row("component bytes", String(results.componentBytes.without), `${results.componentBytes.with} (+${results.componentBytes.with - results.componentBytes.without})`);
row(`component link, median of ${runs} (s)`, results.componentLinkSeconds.without.toFixed(2), results.componentLinkSeconds.with.toFixed(2));
row("whole npm run link pipeline, once (s)", pipelineWithout.toFixed(1), pipelineWith.toFixed(1));
row("instantiate, median (ms)", results.instantiateMsMedian.without.toFixed(0), results.instantiateMsMedian.with.toFixed(0));
row("execute print(1 + 2), median (ms)", results.executeMsMedian.withoutPrint.toFixed(1), results.executeMsMedian.withPrint.toFixed(1));
row("execute importing both + 2 calls, median (ms)", "-", results.executeMsMedian.withImportBoth.toFixed(1));
row("peak memory (bytes)", String(results.peakMemoryBytes.without), `${results.peakMemoryBytes.with} / ${results.peakMemoryBytes.withImportBoth} after importing both`);
process.stdout.write(`\nwritten: ${join(dir, "results.json")}\n`);
