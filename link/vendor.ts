// Stage: vendor CPython 3.14's WASI build from the pinned componentize-py
// wheel (PyPI): the shared libraries, the preview1 adapter and the stdlib.
// Files are recognised by content, never by offset, checked against the
// sha256s pinned in vendor.lock.json, and cached; a second run only verifies.

import { createHash } from "node:crypto";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { decodeEmbeddedFrames } from "./zstd-frames.ts";
import { findDylinkPayload } from "./wasm/dylink.ts";
import { isWasmModule, readExportNames } from "./wasm/module.ts";
import { StageError } from "./log.ts";

export const WHEEL = {
  name: "componentize-py",
  version: "0.19.3",
  platform: "manylinux_2_28_x86_64",
  file: "componentize_py-0.19.3-cp39-abi3-manylinux_2_28_x86_64.whl",
  sha256: "38090c8ad642fbf754bcab9d9940ae73a9b4ca3f226eadfe48e7e9158cdf20d5",
  nativeModule: "componentize_py/componentize_py.abi3.so",
};

/** The libraries CPython needs, in the order the linker must see them (docs/toolchain.md §4). */
export const PYTHON_LIBRARIES = [
  "libwasi-emulated-process-clocks.so",
  "libwasi-emulated-signal.so",
  "libwasi-emulated-mman.so",
  "libwasi-emulated-getpid.so",
  "libc.so",
  "libc++abi.so",
  "libc++.so",
  "libpython3.14.so",
] as const;

export const ADAPTER = "wasi_snapshot_preview1.reactor.wasm";
export const STDLIB_TAR = "python-lib.tar";
const VENDORED = [...PYTHON_LIBRARIES, ADAPTER, STDLIB_TAR];

export interface Vendored {
  dir: string;
  libraries: string[];
  adapter: string;
  stdlibDir: string;
}

export function sha256(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** What an embedded blob is, by its content; null for blobs we do not use. */
export function classify(blob: Uint8Array): string | null {
  if (isWasmModule(blob)) {
    const exports = new Set(readExportNames(blob));
    if (!findDylinkPayload(blob)) {
      return exports.has("fd_write") && exports.has("reset_adapter_state") ? ADAPTER : null;
    }
    if (exports.has("Py_InitializeEx") && exports.has("PyRun_SimpleString")) return "libpython3.14.so";
    if (exports.has("malloc") && exports.has("__wasilibc_reset_preopens")) return "libc.so";
    const libcxx = [...exports].some((e) => /^_ZNSt3__\d/.test(e)); // std::__N:: inline namespace
    if (libcxx) return "libc++.so";
    if ([...exports].some((e) => e.startsWith("__cxa_"))) return "libc++abi.so";
    if (exports.has("mmap") && exports.has("munmap") && exports.size < 20) return "libwasi-emulated-mman.so";
    if (exports.has("getpid") && exports.size < 10) return "libwasi-emulated-getpid.so";
    if (exports.has("signal") && exports.has("raise") && exports.size < 20) return "libwasi-emulated-signal.so";
    if (exports.has("clock") && exports.has("times") && exports.size < 20) return "libwasi-emulated-process-clocks.so";
    return null;
  }
  if (isTarWithMember(blob, "encodings/__init__.py")) return STDLIB_TAR;
  return null;
}

/** Whether a tar archive lists `member` (ustar headers are 512-byte blocks). */
function isTarWithMember(blob: Uint8Array, member: string): boolean {
  const decoder = new TextDecoder();
  for (let p = 0; p + 512 <= blob.length;) {
    const header = blob.subarray(p, p + 512);
    if (header.every((b) => b === 0)) return false;
    if (decoder.decode(header.subarray(257, 262)) !== "ustar") return false;
    const name = decoder.decode(header.subarray(0, 100)).replace(/\0.*$/s, "");
    const prefix = decoder.decode(header.subarray(345, 500)).replace(/\0.*$/s, "");
    const full = (prefix ? `${prefix}/${name}` : name).replace(/^\.\//, "");
    if (full === member) return true;
    const size = parseInt(decoder.decode(header.subarray(124, 136)).replace(/\0.*$/s, "").trim() || "0", 8);
    p += 512 + Math.ceil(size / 512) * 512;
  }
  return false;
}

interface Lock { wheel: typeof WHEEL; files: Record<string, string> }

function readLock(lockPath: string): Lock | null {
  return existsSync(lockPath) ? (JSON.parse(readFileSync(lockPath, "utf8")) as Lock) : null;
}

function downloadWheel(cacheDir: string): Uint8Array {
  const wheelPath = join(cacheDir, WHEEL.file);
  if (!existsSync(wheelPath)) {
    process.stdout.write(`[link]   downloading ${WHEEL.name}==${WHEEL.version} (${WHEEL.platform}) with pip\n`);
    try {
      execFileSync("python3", ["-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--platform", WHEEL.platform,
        `${WHEEL.name}==${WHEEL.version}`, "-d", cacheDir], { stdio: ["ignore", "ignore", "pipe"] });
    } catch (e) {
      throw new StageError("vendor", `pip download of ${WHEEL.name}==${WHEEL.version} failed (python3 with pip is needed): ${(e as { stderr?: Buffer }).stderr?.toString() ?? e}`);
    }
  }
  const wheel = readFileSync(wheelPath);
  const digest = sha256(wheel);
  if (digest !== WHEEL.sha256) {
    rmSync(wheelPath);
    throw new StageError("vendor", `${WHEEL.file} has sha256 ${digest}, expected ${WHEEL.sha256}; the bad download was deleted, run again`);
  }
  return wheel;
}

function extractNativeModule(cacheDir: string): Uint8Array {
  const script = "import sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))";
  return execFileSync("python3", ["-c", script, join(cacheDir, WHEEL.file), WHEEL.nativeModule], { maxBuffer: 1 << 30 });
}

/**
 * Makes sure `cacheDir/vendor` holds every vendored file with its pinned hash
 * and `stdlibDir` holds the extracted stdlib. With `writeLock`, (re)computes
 * the lock file instead of checking against it (used once, when re-pinning).
 */
export function vendor(opts: { cacheDir: string; stdlibDir: string; lockPath: string; writeLock?: boolean }): Vendored {
  const dir = join(opts.cacheDir, "vendor");
  mkdirSync(dir, { recursive: true });
  const lock = opts.writeLock ? null : readLock(opts.lockPath);
  if (!opts.writeLock && !lock) throw new StageError("vendor", `${opts.lockPath} is missing`);

  const cachedOk = lock && VENDORED.every((f) => existsSync(join(dir, f)) && sha256(readFileSync(join(dir, f))) === lock.files[f]);
  if (!cachedOk) {
    downloadWheel(opts.cacheDir);
    const native = extractNativeModule(opts.cacheDir);
    const found = new Map<string, Uint8Array>();
    for (const frame of decodeEmbeddedFrames(native)) {
      const kind = classify(frame.data);
      if (kind && !found.has(kind)) found.set(kind, frame.data);
    }
    const missing = VENDORED.filter((f) => !found.has(f));
    if (missing.length) throw new StageError("vendor", `the wheel does not contain ${missing.join(", ")} (was it re-published?)`);
    const files: Record<string, string> = {};
    for (const [name, data] of found) {
      files[name] = sha256(data);
      if (lock && lock.files[name] !== files[name]) {
        throw new StageError("vendor", `${name} extracted from the wheel has sha256 ${files[name]}, expected ${lock.files[name]}`);
      }
      writeFileSync(join(dir, name), data);
    }
    if (opts.writeLock) writeFileSync(opts.lockPath, JSON.stringify({ wheel: WHEEL, files }, null, 2) + "\n");
  }

  extractStdlib(join(dir, STDLIB_TAR), opts.stdlibDir, (lock ?? readLock(opts.lockPath)!).files[STDLIB_TAR]);
  return {
    dir,
    libraries: PYTHON_LIBRARIES.map((f) => join(dir, f)),
    adapter: join(dir, ADAPTER),
    stdlibDir: opts.stdlibDir,
  };
}

/** Extracts the stdlib unless the marker says this exact tar is already there. */
function extractStdlib(tarPath: string, stdlibDir: string, tarSha: string): void {
  const marker = join(stdlibDir, ".eryx-as-stdlib-sha256");
  if (existsSync(marker) && readFileSync(marker, "utf8").trim() === tarSha && existsSync(join(stdlibDir, "encodings"))) return;
  rmSync(stdlibDir, { recursive: true, force: true });
  mkdirSync(stdlibDir, { recursive: true });
  execFileSync("tar", ["-xf", tarPath, "-C", stdlibDir]);
  if (!existsSync(join(stdlibDir, "encodings")) && readdirSync(stdlibDir).length === 1) {
    throw new StageError("vendor", `the stdlib tar is not flat (found only ${readdirSync(stdlibDir)[0]}/)`);
  }
  writeFileSync(marker, tarSha + "\n");
}
