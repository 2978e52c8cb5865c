// `npm run link [-- --output PATH]`: parses flags and runs the pipeline.

import { parseArgs } from "node:util";
import { resolve } from "node:path";
import { link } from "./pipeline.ts";
import { StageError } from "./log.ts";

const { values } = parseArgs({
  options: {
    output: { type: "string" },
    help: { type: "boolean", short: "h" },
  },
});

if (values.help) {
  process.stdout.write("usage: npm run link [-- --output dist/runtime.wasm]\n");
  process.exit(0);
}

const started = performance.now();
try {
  const result = await link({ root: resolve(import.meta.dirname, ".."), output: values.output ? resolve(values.output) : undefined });
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  process.stdout.write(`[link] ok in ${seconds}s: ${result.component} (${result.sizes.component} bytes), ${result.runtimeLibrary} (${result.sizes.runtimeLibrary} bytes)\n`);
} catch (e) {
  const message = e instanceof StageError ? e.message : (e as Error).stack ?? String(e);
  process.stderr.write(`[link] failed: ${message}\n`);
  process.exit(1);
}
