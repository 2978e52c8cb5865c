// The dylink.0 codec (link/wasm/dylink.ts) against real LLVM-produced libraries.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { decodeDylink, encodeDylink, findDylinkPayload, type Dylink } from "../../link/wasm/dylink.ts";
import { Writer } from "../../link/wasm/bytes.ts";
import { VENDOR, fromHex, hex } from "./paths.ts";

const LIBRARIES = ["libpython3.14.so", "libc.so", "libc++.so", "libc++abi.so", "libwasi-emulated-mman.so"];

for (const name of LIBRARIES) {
  test(`dylink.0 of ${name} decodes and re-encodes byte for byte`, () => {
    const payload = findDylinkPayload(readFileSync(join(VENDOR, name)));
    assert.ok(payload, `${name} has a dylink.0 section`);
    const decoded = decodeDylink(payload);
    assert.ok(decoded.memInfo, "has MEM_INFO");
    assert.deepEqual(encodeDylink(decoded), new Uint8Array(payload));
  });
}

test("libpython3.14.so needs libc.so and has sane mem_info", () => {
  const d = decodeDylink(findDylinkPayload(readFileSync(join(VENDOR, "libpython3.14.so")))!);
  assert.ok(d.needed.includes("libc.so"), `needed: ${d.needed.join(", ")}`);
  assert.ok(d.memInfo!.memorySize > 1_000_000, "CPython has megabytes of static data");
  assert.ok(d.memInfo!.tableSize > 1000, "and thousands of table slots");
  assert.ok(d.memInfo!.memoryAlign <= 16);
});

test("libc.so needs nothing; libc++.so needs libc++abi.so and libc.so", () => {
  const libc = decodeDylink(findDylinkPayload(readFileSync(join(VENDOR, "libc.so")))!);
  assert.deepEqual(libc.needed, []);
  const libcxx = decodeDylink(findDylinkPayload(readFileSync(join(VENDOR, "libc++.so")))!);
  assert.ok(libcxx.needed.includes("libc++abi.so"));
  assert.ok(libcxx.needed.includes("libc.so"));
});

test("a module without dylink.0 gives null", () => {
  const adapter = readFileSync(join(VENDOR, "wasi_snapshot_preview1.reactor.wasm"));
  assert.equal(findDylinkPayload(adapter), null);
});

test("every subsection kind round-trips", () => {
  const d: Dylink = {
    memInfo: { memorySize: 624485, memoryAlign: 4, tableSize: 17, tableAlign: 0 },
    needed: ["libc.so", "libpython3.14.so"],
    exportInfo: [{ name: "__tls_base", flags: 1 }],
    importInfo: [{ module: "env", name: "weak_thing", flags: 2 }],
  };
  const bytes = encodeDylink(d);
  assert.deepEqual(decodeDylink(bytes), d);
  // MEM_INFO first, with the spec's LEB128 sizes
  assert.equal(hex(bytes.subarray(0, 8)), "01 06 e5 8e 26 04 11 00");
});

test("empty subsections are omitted and memInfo is optional", () => {
  assert.equal(encodeDylink({ needed: [], exportInfo: [], importInfo: [] }).length, 0);
  const onlyNeeded = encodeDylink({ needed: ["a"], exportInfo: [], importInfo: [] });
  assert.equal(hex(onlyNeeded), "02 03 01 01 61");
  assert.deepEqual(decodeDylink(onlyNeeded), { needed: ["a"], exportInfo: [], importInfo: [] });
});

test("decodeDylink rejects unknown subsections and trailing bytes", () => {
  assert.throws(() => decodeDylink(fromHex("09 00")), /unknown dylink.0 subsection id 9/);
  // NEEDED with count 0 but a size of 2: one trailing byte
  assert.throws(() => decodeDylink(fromHex("02 02 00 00")), /trailing bytes/);
  // a MEM_INFO whose declared size runs past the payload
  assert.throws(() => decodeDylink(new Writer().u8(1).u32(16).u32(1).finish()), /unexpected end|trailing bytes/);
});
