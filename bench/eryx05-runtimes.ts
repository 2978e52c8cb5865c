// What the benchmark's eryx 0.5.0 host (eryx-host/, `eryx05-host --serve`)
// runs: our 0.5-world component and eryx's published Rust runtime, linked by
// the eryx-runtime crate's own linker (its prebuilt liberyx_runtime.so with
// the crate's CPython libraries) and pre-initialised by the crate's own
// pre_initialize, plus each one compiled ahead into the e2e hosts' cache
// (eryx05Precompiled in tests/e2e/eryx05.ts): the crate keeps no
// compiled-component cache of its own, so without this every host start
// would compile the component again.
// All three get the same standard library: ours (dist/python-stdlib) plus
// `dill` from the standard library the eryx crate package ships, because the
// Rust runtime's snapshot_state pickles with dill (the crate's embedded
// standard library has it; ours does not).

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, utimesSync } from "node:fs";
import { basename, join } from "node:path";
import { ERYX_05_CRATES, fetchEryxCrates } from "../link/eryx-crates.ts";
import { ensureEryxHostBuilt, eryx05Precompiled, eryx05Runtime } from "../tests/e2e/eryx05.ts";

const root = join(import.meta.dirname, "..");
const out = join(root, "build", "eryx05-bench");

export interface Eryx05Runtime {
  name: string;
  /** The component the host is started on (`--runtime`). */
  path: string;
  /** The guest runtime's dynamic library, when the component has one of its own. */
  dylib?: string;
  /** Extra `--serve` arguments (the standard library with dill). */
  args: string[];
}

/** The column names (bench/run.ts compares by them). */
export const OURS = "eryx-as (0.5 world)";
export const OURS_PREINIT = "eryx-as (0.5 world), pre-initialised";
export const RUST = "eryx Rust runtime";
export const RUST_PREINIT = "eryx Rust runtime, pre-initialised";

const log = (line: string) => process.stdout.write(`[bench] ${line}\n`);

/** Newer than every input: the file exists and no input was written after it. */
function fresh(file: string, inputs: string[]): boolean {
  if (!existsSync(file)) return false;
  const t = statSync(file).mtimeMs;
  return inputs.every((i) => statSync(i).mtimeMs <= t);
}

/**
 * The Cargo.lock entry that the host is built from must be the crate we pin:
 * the Rust runtime column is then the published eryx-runtime 0.5.0, byte for byte.
 */
function checkLockedPin(): void {
  const lock = readFileSync(join(root, "Cargo.lock"), "utf8");
  for (const c of ERYX_05_CRATES) {
    const entry = new RegExp(`name = "${c.name}"\\nversion = "${c.version.replace(/\./g, "\\.")}"\\nsource = "[^"]+"\\nchecksum = "([0-9a-f]{64})"`).exec(lock);
    if (!entry) throw new Error(`Cargo.lock has no ${c.name} ${c.version} from a registry`);
    if (entry[1] !== c.sha256) throw new Error(`Cargo.lock's ${c.name} ${c.version} checksum ${entry[1]} is not the pinned ${c.sha256}`);
  }
}

function run(binary: string, args: string[]): void {
  execFileSync("nice", ["-n", "5", binary, ...args], { cwd: root, stdio: ["ignore", "ignore", "inherit"] });
}

/** Builds the host if needed and prepares the three components; cheap when nothing changed. */
export async function prepareEryx05Runtimes(): Promise<Eryx05Runtime[]> {
  checkLockedPin();
  const host = await ensureEryxHostBuilt(log);
  mkdirSync(out, { recursive: true });
  if (!existsSync(eryx05Runtime)) throw new Error(`${eryx05Runtime} is missing: run \`npm run link -- --world eryx-0.5\` first`);
  const crates = fetchEryxCrates({ cacheDir: join(root, ".cache", "eryx-crates") });

  // Our standard library (hard links) with dill from the eryx package's own.
  const ours = join(root, "dist", "python-stdlib");
  const stdlib = join(out, "python-stdlib");
  const eryxStdlib = join(crates.dirs.eryx, "python-stdlib.tar.gz");
  if (!fresh(join(stdlib, "dill", "__init__.py"), [ours, eryxStdlib])) {
    rmSync(stdlib, { recursive: true, force: true });
    execFileSync("cp", ["-al", ours, stdlib]);
    execFileSync("tar", ["-xzf", eryxStdlib, "-C", stdlib, "--strip-components=1", "python-stdlib/dill"]);
    utimesSync(join(stdlib, "dill", "__init__.py"), new Date(), new Date());
  }

  // The Rust runtime's own library, from the pinned crate package (for the size rows).
  const rustDylib = join(out, "liberyx_runtime-rust.so");
  const packed = join(crates.dirs["eryx-runtime"], "prebuilt", "liberyx_runtime.so.zst");
  if (!fresh(rustDylib, [packed])) execFileSync("zstd", ["-d", "-q", "-f", packed, "-o", rustDylib]);

  const rust = join(out, "eryx-rust-runtime.wasm");
  const rustPreinit = join(out, "eryx-rust-runtime-preinit.wasm");
  if (!fresh(rust, [host])) {
    log("linking the Rust runtime (eryx05-host link-rust-runtime)");
    run(host, ["link-rust-runtime", rust]);
  }
  if (!fresh(rustPreinit, [host, stdlib])) {
    log("pre-initialising the Rust runtime (eryx05-host link-rust-runtime --preinit)");
    run(host, ["link-rust-runtime", rustPreinit, "--preinit", stdlib]);
  }
  // The crate's 30 s execution timeout is shorter than the Rust runtime's traced 10⁶ loop.
  const args = ["--stdlib", stdlib, "--execution-timeout-secs", "600"];
  const runtimes: Eryx05Runtime[] = [
    { name: OURS, path: eryx05Runtime, dylib: join(root, "build", "eryx-0.5", "liberyx_runtime.so"), args },
  ];
  // Our pre-initialised image for this world, when `npm run link -- --world eryx-0.5 --preinit` wrote one.
  const oursPreinit = join(root, "dist", "runtime-eryx-0.5-preinit.wasm");
  if (existsSync(oursPreinit)) runtimes.push({ name: OURS_PREINIT, path: oursPreinit, args });
  runtimes.push(
    { name: RUST, path: rust, dylib: rustDylib, args },
    { name: RUST_PREINIT, path: rustPreinit, args },
  );
  // Compiled ahead once, into the same cache the e2e hosts load from (tests/e2e/eryx05.ts).
  for (const r of runtimes) {
    log(`compiling ${basename(r.path)} ahead unless cached (eryx05-host precompile)`);
    eryx05Precompiled(r.path);
  }
  return runtimes;
}
