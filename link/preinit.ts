// Stage `preinit` (`npm run link -- --preinit [--preimport json,re]`): a copy of
// the component whose memory already holds an initialised CPython (and the
// pre-imported modules), made by preinit/ (eryx-as-preinit: eryx's
// pre_initialize protocol driven through component-init-transform on
// wasmtime 40; docs/contract.md §10). The tool is built with the Rust
// workspace (link/cargo.ts) on first use.

import { spawn } from "node:child_process";
import { statSync } from "node:fs";
import { CargoBuildError, cargoBinaryPath, ensureCargoBinary } from "./cargo.ts";
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

export function preinitBinary(root: string): string {
  return cargoBinaryPath(root, "eryx-as-preinit");
}

/** Builds the Rust workspace if the tool is missing or stale; returns the binary. */
export async function ensurePreinitBuilt(root: string, log: (line: string) => void): Promise<string> {
  try {
    return await ensureCargoBinary(root, "eryx-as-preinit", log);
  } catch (e) {
    if (e instanceof CargoBuildError) throw new StageError("preinit", e.message);
    throw e;
  }
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
  const binary = await ensurePreinitBuilt(options.root, log);
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
