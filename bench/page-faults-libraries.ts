// Where each library's static data sits in a component's linear memory, for
// bench/page-faults-report.py: one line per library, "NAME BASE SIZE", the
// base as the linker gave it (link/pipeline.ts) and the size from the
// library's dylink.0 (link/wasm/dylink.ts).
//   npx tsx bench/page-faults-libraries.ts COMPONENT LIBRARY_FILE...

import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { linkedMemoryBases } from "../link/pipeline.ts";
import { wasmToolsPath } from "../link/tools.ts";
import { decodeDylink, findDylinkPayload } from "../link/wasm/dylink.ts";

const [component, ...files] = process.argv.slice(2);
const bases = linkedMemoryBases(wasmToolsPath(join(import.meta.dirname, "..")), component);
for (const file of files) {
  const base = bases.get(basename(file));
  const payload = findDylinkPayload(readFileSync(file));
  const size = payload ? decodeDylink(payload).memInfo?.memorySize : undefined;
  if (base !== undefined && size !== undefined) process.stdout.write(`${basename(file)} ${base} ${size}\n`);
}
