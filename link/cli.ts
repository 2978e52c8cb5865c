// `npm run link [-- --output PATH] [--site-packages DIR]... [--extension GUEST=FILE]...`:
// parses flags and runs the pipeline (native extensions: docs/native-extensions.md).

import { parseArgs } from "node:util";
import { resolve } from "node:path";
import { isWorldName, link, WORLDS } from "./pipeline.ts";
import { formatStageTimes, StageError } from "./log.ts";
import { collectExtensions } from "./extensions.ts";
import { parsePreimports } from "./preinit.ts";

const { values } = parseArgs({
  options: {
    output: { type: "string" },
    world: { type: "string" },
    "site-packages": { type: "string", multiple: true },
    extension: { type: "string", multiple: true },
    preinit: { type: "boolean" },
    "preinit-output": { type: "string" },
    preimport: { type: "string", multiple: true },
    help: { type: "boolean", short: "h" },
  },
});

if (values.help) {
  process.stdout.write("usage: npm run link [-- --output dist/runtime.wasm] [--site-packages DIR]... [--extension GUEST_PATH=FILE]...\n" +
    `  --world NAME             the world to link for: ${Object.keys(WORLDS).join(" (default), ")} (docs/eryx-0.5.md); eryx-0.5 writes dist/runtime-eryx-0.5.wasm\n` +
    "  --site-packages DIR      link every *.cpython-314-wasm32-wasi.so / *.abi3.so under DIR; the i-th DIR is /site-packages-<i> in the guest\n" +
    "  --extension GUEST=FILE   link FILE so that dlopen(GUEST) finds it (GUEST: absolute guest path)\n" +
    "  --preinit                also write a pre-initialised copy (CPython already started; default the component's name + -preinit: dist/runtime-preinit.wasm,\n" +
    "                           dist/runtime-eryx-0.5-preinit.wasm with --world eryx-0.5; or --preinit-output PATH)\n" +
    "  --preimport A,B          with --preinit: modules imported before the snapshot (repeatable)\n");
  process.exit(0);
}

const started = performance.now();
try {
  const world = values.world ?? "eryx-0.1";
  if (!isWorldName(world)) throw new StageError("world", `unknown world ${JSON.stringify(world)}: one of ${Object.keys(WORLDS).join(", ")}`);
  const extensions = collectExtensions({ sitePackages: values["site-packages"], explicit: values.extension });
  const preimports = parsePreimports(values.preimport);
  if ((preimports.length || values["preinit-output"]) && !values.preinit) throw new StageError("preinit", "--preimport/--preinit-output need --preinit");
  const preinit = values.preinit ? { output: values["preinit-output"] ? resolve(values["preinit-output"]) : undefined, imports: preimports, sitePackages: (values["site-packages"] ?? []).map((d) => resolve(d)) } : undefined;
  const result = await link({ root: resolve(import.meta.dirname, ".."), world, output: values.output ? resolve(values.output) : undefined, extensions, preinit });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  process.stdout.write(`[link] time per stage\n${formatStageTimes()}`);
  process.stdout.write(`[link] ok in ${seconds}s: ${result.component} (${result.sizes.component} bytes), ${result.runtimeLibrary} (${result.sizes.runtimeLibrary} bytes)${extensions.length ? `, ${extensions.length} native extension(s)` : ""}${result.preinit ? `, ${result.preinit.output} (${result.preinit.size} bytes, pre-imported: ${result.preinit.imports.join(", ") || "none"})` : ""}\n`);
} catch (e) {
  const message = e instanceof StageError ? e.message : (e as Error).stack ?? String(e);
  process.stderr.write(`[link] failed: ${message}\n`);
  if (formatStageTimes()) process.stderr.write(`[link] time per finished stage\n${formatStageTimes()}`);
  process.exit(1);
}
