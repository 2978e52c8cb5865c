// link/vendor.ts: content-based recognition of the vendored CPython WASI files
// and their pinned hashes.

import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ADAPTER, classify, PYTHON_LIBRARIES, sha256, STDLIB_TAR, WHEEL } from "../../link/vendor.ts";
import { decodeDylink, findDylinkPayload } from "../../link/wasm/dylink.ts";
import { ROOT, VENDOR } from "./paths.ts";

const lock = JSON.parse(readFileSync(join(ROOT, "link", "vendor.lock.json"), "utf8")) as { wheel: unknown; files: Record<string, string> };
const FILES = [...PYTHON_LIBRARIES, ADAPTER, STDLIB_TAR];

test("the lock pins the wheel vendor.ts downloads and a sha256 for exactly the files the link uses", () => {
  assert.deepEqual(lock.wheel, WHEEL, "vendor.lock.json and link/vendor.ts name the same wheel and hash");
  assert.deepEqual(Object.keys(lock.files).sort(), [...FILES].sort());
  for (const [name, digest] of Object.entries(lock.files)) assert.match(digest, /^[0-9a-f]{64}$/, name);
});

test("the vendored libraries need only each other and libdl.so (the linker's built-in libdl)", () => {
  // The component linker refuses a `needed` name that is not on its command
  // line; libdl.so is there only because the link passes --use-built-in-libdl.
  const available: readonly string[] = [...PYTHON_LIBRARIES, "libdl.so"];
  const needs = new Map<string, string[]>();
  for (const name of PYTHON_LIBRARIES) {
    const payload = findDylinkPayload(readFileSync(join(VENDOR, name)));
    assert.ok(payload, `${name} is a dylib`);
    needs.set(name, decodeDylink(payload).needed);
    for (const needed of needs.get(name)!) assert.ok(available.includes(needed), `${name} needs ${needed}, which the link does not provide`);
  }
  assert.ok(needs.get("libpython3.14.so")!.includes("libdl.so"), "libpython dlopens extension modules through libdl");
  assert.deepEqual(needs.get("libc.so"), [], "libc needs nothing");
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
