// `npm test`: build what the tests need (the component, the reference host),
// then run every suite: AssemblyScript unit tests (as-pect), TypeScript unit
// tests and end-to-end tests through the host (node:test). Each phase is
// timed; the times are printed at the end.

import { spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { ensureHostBuilt } from "../host/sandbox.ts";
import { ensureEryxHostBuilt } from "./e2e/eryx05.ts";
import { pinnedNode } from "../node-host/src/node-binary.ts";

const root = join(import.meta.dirname, "..");
const node = process.execPath;
const tsx = join(root, "node_modules", "tsx", "dist", "cli.mjs");

/** One step of `npm test`: a build (failing stops the run) or a suite. */
interface Phase {
  title: string;
  kind: "build" | "suite";
  /** Returns the exit status. */
  run: () => number | Promise<number>;
}

function command(args: string[], env: NodeJS.ProcessEnv = {}): () => number {
  return () => spawnSync(args[0], args.slice(1), { cwd: root, stdio: "inherit", env: { ...process.env, ...env } }).status ?? 1;
}

function nodeTest(files: string[], env: NodeJS.ProcessEnv = {}): () => number {
  return command([node, "--import", "tsx", "--test", "--test-concurrency=2", ...files], env);
}

/** The eryx 0.5 world's own suites (the image, report-output, networking, the result variable). */
const eryx05Only = [join("tests", "e2e", "eryx05.test.ts"), join("tests", "e2e", "eryx05-preinit.test.ts")];

const testFiles = ["unit", "e2e"].flatMap((dir) =>
  existsSync(join(root, "tests", dir))
    ? readdirSync(join(root, "tests", dir)).filter((f) => f.endsWith(".test.ts")).sort().map((f) => join("tests", dir, f))
    : []).filter((f) => !eryx05Only.some((e) => f.endsWith(e))); // run through the eryx crate below

/** The runtime-contract suites: they run on every image and every host. */
const contractSuites = ["execute", "callbacks", "state", "tracing", "timers", "bad-input"].map((f) => join("tests", "e2e", `${f}.test.ts`));


/**
 * eryx-host/ (the eryx 0.5.0 crate on wasmtime 44) builds in the background,
 * at the lowest priority, while the 0.1.0 world's suites run: cargo then
 * only takes the CPU the suites leave idle. It starts after the last phase
 * that runs cargo on the workspace, whose target/ lock it would hold.
 */
let eryxHostBuild: Promise<string> | null = null;

const nodeHostTests = readdirSync(join(root, "node-host", "tests")).filter((f) => f.endsWith(".test.ts")).sort().map((f) => join("node-host", "tests", f));

const phases: Phase[] = [
  // Static checks first: seconds, and they need nothing built.
  { title: "typecheck: tsc --noEmit (npm run typecheck)", kind: "suite",
    run: command([node, join(root, "node_modules", "typescript", "bin", "tsc"), "--noEmit", "-p", "tsconfig.json"]) },
  { title: "lint: biome lint (TypeScript of link/, tests/, host/, bench/, node-host/; biome.json)", kind: "suite",
    run: command([node, join(root, "node_modules", "@biomejs", "biome", "bin", "biome"), "lint", "--error-on-warnings"]) },
  { title: "lint: ruff check and format --check (Python glue and its tests; ruff.toml)", kind: "suite",
    run: command([node, tsx, join(root, "tests", "python", "lint.ts")]) },
  { title: "Python glue unit tests (tests/python, CPython 3.14 via Pyodide, stand-in _eryx)", kind: "suite",
    run: command([node, tsx, join(root, "tests", "python", "run.ts")]) },
  // One link builds dist/runtime.wasm and, from it, the pre-initialised image.
  { title: "build: npm run link -- --preinit --preimport json,re", kind: "build",
    run: command([node, tsx, join(root, "link", "cli.ts"), "--preinit", "--preimport", "json,re"]) },
  { title: "build: reference host (the Rust workspace; built by the link above unless stale)", kind: "build",
    run: async () => { await ensureHostBuilt(); return 0; } },
  { title: "Rust: cargo fmt --all --check", kind: "suite", run: command(["cargo", "fmt", "--all", "--check"]) },
  // --lib: the unit tests of host-common; --workspace keeps the features (and so the compiled dependencies) of the build above.
  { title: "Rust: cargo test --release --workspace --exclude eryx05-host --lib", kind: "suite", run: command(["cargo", "test", "--release", "--workspace", "--exclude", "eryx05-host", "--lib", "--locked"]) },
  { title: "build: eryx-host/ started in the background (nice -n 19 cargo build --release --locked -p eryx05-host)", kind: "build",
    run: () => {
      eryxHostBuild = ensureEryxHostBuilt((line) => process.stderr.write(`[eryx-host] ${line}\n`));
      eryxHostBuild.catch(() => {}); // awaited, and reported, by the phase that needs it
      return 0;
    } },
  { title: "as-pect (AssemblyScript unit tests)", kind: "suite",
    run: command([node, join(root, "node_modules", "@as-pect", "cli", "bin", "asp.js"),
      "--config", "tests/as-pect.config.js", "--as-config", "tests/assembly/as-pect.asconfig.json"]) },
  { title: "host self-check (a hand-written guest, no CPython)", kind: "suite",
    run: command([node, tsx, join(root, "host", "testdata", "check_fake_guest.ts")]) },
  { title: "node:test (TypeScript unit and end-to-end tests)", kind: "suite", run: nodeTest(testFiles) },
  { title: "fuzz: 300 inputs, seed 7 (npm run fuzz; docs/robustness.md)", kind: "suite",
    run: command([node, tsx, join(root, "tests", "fuzz", "run.ts"), "--count", "300", "--seed", "7", "--time-limit", "600"]) },
  // The runtime contract again, on the pre-initialised image.
  { title: "node:test on dist/runtime-preinit.wasm (contract suites)", kind: "suite",
    run: nodeTest(contractSuites, { ERYX_AS_E2E_RUNTIME: join(root, "dist", "runtime-preinit.wasm") }) },
  // The same contract suites on the Node host (node-host/, jco on the pinned
  // Node 26), on the pre-initialised image: on the plain one every one-shot
  // execute starts CPython in V8's baseline tier (176 s for the suites against
  // 54 s, same CI run), which would push CI past its 20-minute budget; the
  // plain image runs on the Node host in node-host/tests below.
  { title: "node:test on the Node host, dist/runtime-preinit.wasm (contract suites)", kind: "suite",
    run: nodeTest(contractSuites, { ERYX_AS_E2E_HOST: "node", ERYX_AS_E2E_RUNTIME: join(root, "dist", "runtime-preinit.wasm") }) },
  // The Node host's own tests (escape attempts, isolation, library API) run on the pinned Node 26 itself.
  { title: "Node host tests (node-host/tests, Node 26)", kind: "suite",
    run: command([pinnedNode, "--test", "--test-concurrency=1", ...nodeHostTests]) },
  { title: "Node host library tests on dist/runtime-preinit.wasm", kind: "suite",
    run: command([pinnedNode, "--test", join("node-host", "tests", "library.test.ts")], { ERYX_AS_E2E_RUNTIME: join(root, "dist", "runtime-preinit.wasm") }) },
  // The eryx 0.5 world, through the published eryx 0.5.0 crate (docs/eryx-0.5.md).
  // Its link needs nothing of eryx-host/ (the pre-initialiser is ours), so it
  // runs while the background build goes on.
  { title: "build: npm run link -- --world eryx-0.5 --preinit --preimport json,re", kind: "build",
    run: command([node, tsx, join(root, "link", "cli.ts"), "--world", "eryx-0.5", "--preinit", "--preimport", "json,re"]) },
  { title: "build: eryx-host/ (waits for the background build)", kind: "build", run: async () => { await eryxHostBuild; return 0; } },
  // On the pre-initialised image: a one-shot execute under eryx 0.5 is a fresh
  // instance, ~6 ms from the image against ~2.5 s starting CPython.
  { title: "node:test through the eryx 0.5.0 crate on dist/runtime-eryx-0.5-preinit.wasm (contract suites, eryx05, eryx05-preinit)", kind: "suite",
    run: nodeTest([...contractSuites, ...eryx05Only], { ERYX_AS_E2E_HOST: "eryx05", ERYX_AS_E2E_RUNTIME: join(root, "dist", "runtime-eryx-0.5-preinit.wasm") }) },
];

const timings: { title: string; seconds: number; status: number }[] = [];
const failures: string[] = [];
for (const phase of phases) {
  process.stdout.write(`\n[test] ${phase.title}\n`);
  const started = performance.now();
  let status: number;
  try {
    status = await phase.run();
  } catch (e) {
    process.stdout.write(`[test] ${phase.title}: ${(e as Error).message}\n`);
    status = 1;
  }
  const seconds = (performance.now() - started) / 1000;
  timings.push({ title: phase.title, seconds, status });
  process.stdout.write(`[test] ${phase.title}: exit ${status} (${seconds.toFixed(1)}s)\n`);
  if (status !== 0) {
    failures.push(phase.title);
    if (phase.kind === "build") break;
  }
}

process.stdout.write("\n[test] time per phase\n");
for (const t of timings) process.stdout.write(`[test] ${t.seconds.toFixed(1).padStart(8)}s  ${t.status === 0 ? "ok  " : "FAIL"}  ${t.title}\n`);
process.stdout.write(`[test] ${timings.reduce((s, t) => s + t.seconds, 0).toFixed(1).padStart(8)}s  total\n`);

if (failures.length) {
  process.stdout.write(`\n[test] FAILED: ${failures.join(", ")}\n`);
  process.exit(1);
}
process.stdout.write("\n[test] all suites passed\n");
