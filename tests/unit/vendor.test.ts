// link/vendor.ts: content-based recognition of the vendored CPython WASI files
// and their pinned hashes.

import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ADAPTER, classify, PYTHON_LIBRARIES, sha256, STDLIB_TAR } from "../../link/vendor.ts";
import { ROOT, VENDOR } from "./paths.ts";

const lock = JSON.parse(readFileSync(join(ROOT, "link", "vendor.lock.json"), "utf8")) as { files: Record<string, string> };
const FILES = [...PYTHON_LIBRARIES, ADAPTER, STDLIB_TAR];

test("the vendored set is the four emulation libraries, libc, libc++abi, libc++, libpython, the adapter and the stdlib", () => {
  assert.deepEqual([...FILES].sort(), [
    "libc++.so", "libc++abi.so", "libc.so", "libpython3.14.so",
    "libwasi-emulated-getpid.so", "libwasi-emulated-mman.so", "libwasi-emulated-process-clocks.so", "libwasi-emulated-signal.so",
    "python-lib.tar", "wasi_snapshot_preview1.reactor.wasm",
  ]);
  assert.deepEqual(Object.keys(lock.files).sort(), [...FILES].sort(), "the lock pins exactly these files");
});

for (const name of FILES) {
  test(`classify recognises ${name} by its content, and its sha256 matches the lock`, () => {
    const data = readFileSync(join(VENDOR, name));
    assert.equal(classify(data), name);
    assert.equal(sha256(data), lock.files[name]);
  });
}

test("classify returns null for bytes that are none of them", () => {
  assert.equal(classify(new Uint8Array(randomBytes(4096))), null);
  assert.equal(classify(new Uint8Array(0)), null);
  assert.equal(classify(new Uint8Array(1024)), null, "zeros (an empty tar end)");
  // a valid wasm module with no dylink.0 and no adapter exports
  assert.equal(classify(Uint8Array.of(0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00)), null);
});

test("classify returns null for our own runtime library (a dylib it does not vendor)", () => {
  assert.equal(classify(readFileSync(join(ROOT, "build", "liberyx_runtime.so"))), null);
});

test("sha256 is the hex SHA-256", () => {
  assert.equal(sha256(new Uint8Array(0)), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  assert.equal(sha256(new TextEncoder().encode("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
});
