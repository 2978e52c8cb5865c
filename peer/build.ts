// Builds the benchmark peer: the eryx:sandbox world written in plain Python
// (peer/app.py) and componentized with componentize-py 0.19.3, the same pinned
// wheel eryx-as vendors CPython from. `npx tsx peer/build.ts` prints the path.
//
// Steps (each skipped when its output is current):
// 1. a venv under .tools/peer-venv with the pinned wheel, checked by sha256
//    (the wheel is shared with link/vendor.ts through .cache/);
// 2. `componentize-py -d wit -w sandbox componentize -p peer app`;
// 3. peer/fixup (Rust, wasm-tools 0.243; built with the Rust workspace by
//    link/cargo.ts): componentize-py 0.19.3 encodes
//    async functions the wasm-tools 0.240 way (`[async]invoke` names), which
//    wasmtime 40 refuses ("`[async]invoke` is not in kebab case"); the fixup
//    re-encodes the top level with async function types (see its header).
// The result, build/peer.wasm, is rebuilt only when an input changes
// (peer/app.py, peer/fixup, wit/, the wheel pin, this file).

import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { ensureCargoBinary } from "../link/cargo.ts";
import { WHEEL } from "../link/vendor.ts";

const root = join(import.meta.dirname, "..");
const venv = join(root, ".tools", "peer-venv");
const cacheDir = join(root, ".cache");
const buildDir = join(root, "build");
const output = join(buildDir, "peer.wasm");
const stampFile = join(buildDir, "peer.wasm.inputs");

function log(msg: string): void {
  process.stderr.write(`[peer] ${msg}\n`);
}

function run(cmd: string, args: string[], cwd = root): string {
  try {
    return execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 1 << 26 });
  } catch (e) {
    const err = e as { stderr?: string; stdout?: string; message: string };
    throw new Error(`${cmd} ${args.join(" ")} failed:\n${err.stderr || err.stdout || err.message}`);
  }
}

function sha256File(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(path));
    else out.push(path);
  }
  return out.sort();
}

/** A digest of everything the component is built from. */
function inputsDigest(): string {
  const h = createHash("sha256").update(`${WHEEL.file} ${WHEEL.sha256}\n`);
  const files = [
    join(root, "peer", "app.py"),
    join(root, "peer", "build.ts"),
    join(root, "peer", "fixup", "Cargo.toml"),
    join(root, "Cargo.lock"),
    ...filesUnder(join(root, "peer", "fixup", "src")),
    ...filesUnder(join(root, "wit")),
  ].filter(existsSync);
  for (const f of files) h.update(`${relative(root, f)}\n`).update(readFileSync(f));
  return h.digest("hex");
}

function wheelPath(): string {
  const path = join(cacheDir, WHEEL.file);
  if (!existsSync(path)) {
    mkdirSync(cacheDir, { recursive: true });
    log(`downloading ${WHEEL.name}==${WHEEL.version} (${WHEEL.platform}) with pip`);
    run("python3", ["-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--platform", WHEEL.platform,
      `${WHEEL.name}==${WHEEL.version}`, "-d", cacheDir]);
  }
  const digest = sha256File(path);
  if (digest !== WHEEL.sha256) {
    rmSync(path);
    throw new Error(`${WHEEL.file} has sha256 ${digest}, expected ${WHEEL.sha256}; the bad file was deleted, run again`);
  }
  return path;
}

/** The componentize-py executable of the project-local venv, installing it when needed. */
export function ensureComponentizePy(): string {
  const exe = join(venv, "bin", "componentize-py");
  const installed = () => existsSync(exe) && run(exe, ["--version"]).trim() === `componentize-py ${WHEEL.version}`;
  if (installed()) return exe;
  const wheel = wheelPath();
  log(`creating ${relative(root, venv)} with ${WHEEL.file}`);
  rmSync(venv, { recursive: true, force: true });
  run("python3", ["-m", "venv", venv]);
  run(join(venv, "bin", "python"), ["-m", "pip", "install", "--quiet", "--no-deps", "--no-index", wheel]);
  if (!installed()) throw new Error(`${exe} does not report version ${WHEEL.version}`);
  return exe;
}

/** Builds build/peer.wasm if any input changed; returns its path. */
export async function buildPeer(): Promise<string> {
  const digest = inputsDigest();
  if (existsSync(output) && existsSync(stampFile) && readFileSync(stampFile, "utf8").trim() === digest) return output;
  const componentizePy = ensureComponentizePy();
  const fixup = await ensureCargoBinary(root, "peer-fixup", log);
  mkdirSync(buildDir, { recursive: true });
  const raw = join(buildDir, "peer-componentize-py.wasm");
  const tmp = `${output}.tmp`;
  log("componentize-py componentize app");
  // No VIRTUAL_ENV: the component bundles peer/ only, not the venv's site-packages.
  const env = { ...process.env };
  delete env.VIRTUAL_ENV;
  try {
    execFileSync(componentizePy, ["-q", "-d", join(root, "wit"), "-w", "sandbox", "componentize", "-p", join(root, "peer"), "app", "-o", raw],
      { cwd: join(root, "peer"), env, stdio: ["ignore", "pipe", "pipe"], maxBuffer: 1 << 26 });
  } catch (e) {
    const err = e as { stderr?: Buffer; message: string };
    throw new Error(`componentize-py failed:\n${err.stderr?.toString() || err.message}`);
  }
  run(fixup, [raw, tmp]);
  renameSync(tmp, output);
  writeFileSync(stampFile, `${digest}\n`);
  log(`built ${relative(root, output)} (${(statSync(output).size / 1048576).toFixed(1)} MiB)`);
  return output;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(await buildPeer());
}
