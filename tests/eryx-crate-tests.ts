// `npm run test:eryx-crate`: the published eryx 0.5.0 package's own tests
// (its tests/ directory) against our component, dist/runtime-eryx-0.5.wasm
// (docs/eryx-0.5.md, "eryx's own tests"). Not part of `npm test`: it builds
// the package's test binaries (a second wasmtime) and every test compiles the
// component anew.
//
// What it does: unpacks the pinned package (link/eryx-crates.ts) and copies
// it to .cache/eryx-crate-tests/eryx with an empty [workspace] table (it sits
// under our workspace root) and the root Cargo.lock (the versions eryx-host/
// was built with, so the build reuses the root target/); puts a link to our
// component where the tests' runtime_wasm_path() looks
// (../eryx-runtime/runtime.wasm); builds with `cargo test --release --features
// preinit --tests --no-run` (without `embedded`: tests that need a runtime
// baked in at build time compile to nothing); runs each test binary with
// ERYX_PYTHON_STDLIB=dist/python-stdlib and prints pass/fail per file.
// Arguments name test files to run (e.g. `-- tls_networking`); default: all.

import { execFileSync, spawnSync } from "node:child_process";
import { appendFileSync, copyFileSync, cpSync, existsSync, mkdirSync, rmSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { fetchEryxCrates } from "../link/eryx-crates.ts";

const root = join(import.meta.dirname, "..");
const work = join(root, ".cache", "eryx-crate-tests");
const pkg = join(work, "eryx");
const target = join(root, "target");
const runtime = join(root, "dist", "runtime-eryx-0.5.wasm");
if (!existsSync(runtime)) throw new Error(`${runtime} is missing: run npm run link -- --world eryx-0.5`);

const { dirs } = fetchEryxCrates({ cacheDir: join(root, ".cache", "eryx-crates") });
rmSync(work, { recursive: true, force: true });
mkdirSync(join(work, "eryx-runtime"), { recursive: true });
cpSync(dirs.eryx, pkg, { recursive: true });
appendFileSync(join(pkg, "Cargo.toml"), "\n# Added by eryx-as (tests/eryx-crate-tests.ts): a workspace of its own.\n[workspace]\n");
copyFileSync(join(root, "Cargo.lock"), join(pkg, "Cargo.lock"));
symlinkSync(runtime, join(work, "eryx-runtime", "runtime.wasm"));

const env = { ...process.env, CARGO_TARGET_DIR: target };
const build = ["test", "--release", "--features", "preinit", "--tests", "--no-run", "--message-format=json"];
const t0 = performance.now();
const out = execFileSync("nice", ["-n", "19", "cargo", ...build], { cwd: pkg, env, maxBuffer: 1 << 28, stdio: ["ignore", "pipe", "inherit"] }).toString();
process.stderr.write(`[eryx-crate] built the package's tests in ${((performance.now() - t0) / 1000).toFixed(1)}s\n`);

// The integration test binaries (kind "test"), by file name.
const binaries = new Map<string, string>();
for (const line of out.split("\n")) {
  if (!line.startsWith("{")) continue;
  const msg = JSON.parse(line) as { reason?: string; target?: { kind?: string[]; name?: string }; executable?: string | null };
  if (msg.reason === "compiler-artifact" && msg.target?.kind?.includes("test") && msg.executable) binaries.set(msg.target.name!, msg.executable);
}
const wanted = process.argv.slice(2);
// preinit.rs calls eryx::preinit::pre_initialize, which links and pre-initialises eryx's own Rust
// runtime (the prebuilt .so in eryx-runtime), never the component under test: run it only by name.
const NOT_OUR_COMPONENT = new Set(["preinit"]);
const files = [...binaries.keys()].sort().filter((n) => (wanted.length ? wanted.includes(n) : !NOT_OUR_COMPONENT.has(n)));

let failed = 0;
const rows: string[] = [];
for (const name of files) {
  const t = performance.now();
  const r = spawnSync(binaries.get(name)!, ["--test-threads=2"], {
    cwd: pkg,
    env: { ...process.env, CARGO_MANIFEST_DIR: pkg, ERYX_PYTHON_STDLIB: join(root, "dist", "python-stdlib") },
    encoding: "utf8",
    maxBuffer: 1 << 28,
  });
  const summary = /test result: \w+\. (\d+) passed; (\d+) failed; (\d+) ignored/.exec(r.stdout ?? "");
  const [passed, fails, ignored] = summary ? summary.slice(1).map(Number) : [0, 0, 0];
  if (r.status !== 0) failed++;
  const failing = [...(r.stdout ?? "").matchAll(/^test (\S+) \.\.\. FAILED$/gm)].map((m) => m[1]);
  rows.push(`${name.padEnd(34)} ${String(passed).padStart(3)} passed ${String(fails).padStart(3)} failed ${String(ignored).padStart(2)} ignored  ${((performance.now() - t) / 1000).toFixed(0)}s${failing.length ? `  (${failing.join(", ")})` : ""}`);
  process.stderr.write(`[eryx-crate] ${rows.at(-1)}\n`);
}
process.stdout.write(`${rows.join("\n")}\n`);
process.exit(failed ? 1 : 0);
