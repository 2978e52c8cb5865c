// `npm run test:eryx-0.5`: the eryx 0.5 world through the published eryx 0.5.0
// crate, on the plain image (npm test runs them on the pre-initialised one).
// Builds eryx-host/ (nice -n 19; tens of minutes from nothing), links
// dist/runtime-eryx-0.5.wasm (`npm run link -- --world eryx-0.5`; skip with
// --no-link), then runs the contract suites and tests/e2e/eryx05.test.ts with
// ERYX_AS_E2E_HOST=eryx05. Extra arguments name suites to run instead
// (e.g. `npm run test:eryx-0.5 -- --no-link execute eryx05`).

import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { ensureEryxHostBuilt } from "./e2e/eryx05.ts";

const root = join(import.meta.dirname, "..");
const tsx = join(root, "node_modules", "tsx", "dist", "cli.mjs");
const SUITES = ["execute", "callbacks", "state", "tracing", "timers", "bad-input", "eryx05", "eryx05-preinit"];

const args = process.argv.slice(2);
const link = !args.includes("--no-link");
const named = args.filter((a) => !a.startsWith("--"));
const suites = named.length ? named : SUITES;

const times: [string, number][] = [];
function timed(title: string, run: () => number): number {
  const t = performance.now();
  process.stderr.write(`\n=== ${title}\n`);
  const status = run();
  times.push([title, (performance.now() - t) / 1000]);
  return status;
}

let status = 0;
const t = performance.now();
await ensureEryxHostBuilt();
times.push(["build: eryx-host/ (cargo build --release)", (performance.now() - t) / 1000]);
if (link) {
  status = timed("build: npm run link -- --world eryx-0.5", () =>
    spawnSync(process.execPath, [tsx, join(root, "link", "cli.ts"), "--world", "eryx-0.5"], { cwd: root, stdio: "inherit" }).status ?? 1);
}
if (status === 0) {
  const files = suites.map((s) => join("tests", "e2e", `${s}.test.ts`));
  status = timed(`suites through eryx 0.5.0: ${suites.join(", ")}`, () =>
    spawnSync(process.execPath, ["--import", "tsx", "--test", "--test-concurrency=1", ...files], {
      cwd: root,
      stdio: "inherit",
      env: { ...process.env, ERYX_AS_E2E_HOST: "eryx05" },
    }).status ?? 1);
}
process.stderr.write("\n");
for (const [title, s] of times) process.stderr.write(`${s.toFixed(1).padStart(8)} s  ${title}\n`);
process.exit(status);
