// Stage `preinit` (`npm run link -- --preinit [--preimport json,re]`): a copy of
// the component whose memory already holds an initialised CPython (and the
// pre-imported modules), made by preinit/ (eryx-as-preinit: eryx's
// pre_initialize protocol driven through component-init-transform on
// wasmtime 40; docs/contract.md §10). The tool is built with cargo on first use.

import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync, utimesSync } from "node:fs";
import { join } from "node:path";
import { StageError } from "./log.ts";

export interface PreinitOptions {
  root: string;
  /** The linked component (e.g. dist/runtime.wasm); left unchanged. */
  input: string;
  /** The pre-initialised component (e.g. dist/runtime-preinit.wasm). */
  output: string;
  /** The flat CPython stdlib, mounted at /python-stdlib during pre-init. */
  stdlib: string;
  /** Mounted at /site-packages-<i> (as the host does), so pre-imports can come from them. */
  sitePackages?: string[];
  /** Modules imported once before the snapshot (`import a\nimport b…`); an import error fails the stage. */
  imports?: string[];
  /** Progress lines (cargo build, tool log); default: stdout with a `[link]   ` prefix. */
  log?: (line: string) => void;
}

export interface PreinitResult {
  output: string;
  size: number;
  imports: string[];
  seconds: number;
}

export function preinitDir(root: string): string {
  return join(root, "preinit");
}

export function preinitBinary(root: string): string {
  return join(preinitDir(root), "target", "release", "eryx-as-preinit");
}

function newestMtime(path: string): number {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

/** True when the tool is missing or older than its sources or the WIT world. */
export function preinitNeedsBuild(root: string): boolean {
  const binary = preinitBinary(root);
  if (!existsSync(binary)) return true;
  const built = statSync(binary).mtimeMs;
  const dir = preinitDir(root);
  return [join(dir, "src"), join(dir, "Cargo.toml"), join(dir, "Cargo.lock"), join(root, "wit")].some((p) => newestMtime(p) > built);
}

/** `cargo build --release --manifest-path preinit/Cargo.toml` when needed; returns the binary. */
export function ensurePreinitBuilt(root: string, log: (line: string) => void): string {
  const binary = preinitBinary(root);
  if (!preinitNeedsBuild(root)) return binary;
  log("building preinit/ (cargo build --release; the first build takes several minutes)...");
  const r = spawnSync("cargo", ["build", "--release", "--manifest-path", join(preinitDir(root), "Cargo.toml")], {
    cwd: root,
    stdio: ["ignore", 2, 2],
  });
  if (r.error) throw new Error(`cannot run cargo: ${r.error.message}`);
  if (r.status !== 0 || !existsSync(binary)) throw new StageError("preinit", `cargo build --release --manifest-path preinit/Cargo.toml failed (exit ${r.status})`);
  // Cargo leaves the binary untouched when nothing needed relinking.
  const now = new Date();
  utimesSync(binary, now, now);
  return binary;
}

const MODULE_NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/** `--preimport json,re --preimport csv` → ["json", "re", "csv"] (checked dotted names). */
export function parsePreimports(values: string[] | undefined): string[] {
  const modules = (values ?? []).flatMap((v) => v.split(",")).map((m) => m.trim()).filter((m) => m.length > 0);
  for (const m of modules) {
    if (!MODULE_NAME.test(m)) throw new StageError("preinit", `--preimport: not a module name: ${JSON.stringify(m)}`);
  }
  return modules;
}

/** dist/runtime.wasm → dist/runtime-preinit.wasm */
export function defaultPreinitOutput(component: string): string {
  return component.endsWith(".wasm") ? `${component.slice(0, -".wasm".length)}-preinit.wasm` : `${component}-preinit`;
}

/** Run the pre-initialiser on `input`, writing `output` (atomically). Rejects with the tool's error text. */
export async function preinitialize(options: PreinitOptions): Promise<PreinitResult> {
  const log = options.log ?? ((line: string) => process.stdout.write(`[link]   ${line}\n`));
  const imports = options.imports ?? [];
  const binary = ensurePreinitBuilt(options.root, log);
  const args = ["--input", options.input, "--output", options.output, "--stdlib", options.stdlib];
  for (const sp of options.sitePackages ?? []) args.push("--site-packages", sp);
  if (imports.length) args.push("--import", imports.join(","));
  const started = performance.now();
  const stderr: string[] = [];
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn(binary, args, { cwd: options.root, stdio: ["ignore", "ignore", "pipe"] });
    let partial = "";
    child.stderr.on("data", (chunk) => {
      const text = partial + String(chunk);
      const lines = text.split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) {
        stderr.push(line);
        if (line.startsWith("[preinit]")) log(line);
      }
    });
    child.on("error", (e) => reject(new Error(`cannot run ${binary}: ${e.message}`)));
    child.on("exit", (c, signal) => {
      if (partial) stderr.push(partial);
      resolve(c ?? (signal ? 128 : 1));
    });
  });
  if (code !== 0) {
    const detail = stderr.filter((l) => !l.startsWith("[preinit]")).join("\n").trim();
    throw new StageError("preinit", `eryx-as-preinit failed (exit ${code}): ${detail || "(no output)"}`);
  }
  return { output: options.output, size: statSync(options.output).size, imports, seconds: (performance.now() - started) / 1000 };
}
