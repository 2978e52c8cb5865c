// `npm test`: build what the tests need (the component, the reference host),
// then run every suite: AssemblyScript unit tests (as-pect), TypeScript unit
// tests and end-to-end tests through the host (node:test).

import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { ensureHostBuilt } from "../host/sandbox.ts";

const root = join(import.meta.dirname, "..");

function step(title: string, command: string, args: string[]): number {
  process.stdout.write(`\n[test] ${title}\n`);
  const started = performance.now();
  const r = spawnSync(command, args, { cwd: root, stdio: "inherit" });
  process.stdout.write(`[test] ${title}: exit ${r.status} (${((performance.now() - started) / 1000).toFixed(1)}s)\n`);
  return r.status ?? 1;
}

const node = process.execPath;
const tsx = join(root, "node_modules", "tsx", "dist", "cli.mjs");

// One link builds dist/runtime.wasm and, from it, the pre-initialised image.
if (step("build: npm run link -- --preinit --preimport json,re", node, [tsx, join(root, "link", "cli.ts"), "--preinit", "--preimport", "json,re"]) !== 0) process.exit(1);

process.stdout.write("\n[test] build: reference host (cargo build --release, several minutes the first time)\n");
await ensureHostBuilt();

const failures: string[] = [];
if (step("as-pect (AssemblyScript unit tests)", node, [join(root, "node_modules", "@as-pect", "cli", "bin", "asp.js"),
  "--config", "tests/as-pect.config.js", "--as-config", "tests/assembly/as-pect.asconfig.json"]) !== 0) failures.push("as-pect");

if (step("host self-check (a hand-written guest, no CPython)", node, [tsx, join(root, "host", "testdata", "check_fake_guest.ts")]) !== 0) failures.push("host self-check");

const files = ["unit", "e2e"].flatMap((dir) =>
  existsSync(join(root, "tests", dir)) ? readdirSync(join(root, "tests", dir)).filter((f) => f.endsWith(".test.ts")).sort().map((f) => join("tests", dir, f)) : []);
if (step("node:test (TypeScript unit and end-to-end tests)", node, ["--import", "tsx", "--test", "--test-concurrency=2", ...files]) !== 0) failures.push("node:test");

// The runtime contract again, on the pre-initialised image (issue 5: it must pass the suite).
const contract = ["execute", "callbacks", "state", "tracing", "timers", "bad-input"].map((f) => join("tests", "e2e", `${f}.test.ts`));
const preinitRun = spawnSync(node, ["--import", "tsx", "--test", "--test-concurrency=2", ...contract], {
  cwd: root, stdio: "inherit", env: { ...process.env, ERYX_AS_E2E_RUNTIME: join(root, "dist", "runtime-preinit.wasm") },
});
process.stdout.write(`[test] node:test on dist/runtime-preinit.wasm: exit ${preinitRun.status}\n`);
if (preinitRun.status !== 0) failures.push("node:test (pre-initialised image)");

if (failures.length) {
  process.stdout.write(`\n[test] FAILED: ${failures.join(", ")}\n`);
  process.exit(1);
}
process.stdout.write("\n[test] all suites passed\n");
