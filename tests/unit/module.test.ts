// link/wasm/module.ts and instructions.ts: parse and re-encode real modules.

import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writer } from "../../link/wasm/bytes.ts";
import { instructions } from "../../link/wasm/instructions.ts";
import {
  customSectionName, encodeModule, isWasmModule, parseModule, readConstExpr, readExportNames, readSections, SectionId,
} from "../../link/wasm/module.ts";
import { Reader } from "../../link/wasm/bytes.ts";
import { readLibrarySymbols } from "../../link/extensions.ts";
import { RUNTIME_SO, WASM_TOOLS, fromHex } from "./paths.ts";

function validate(bytes: Uint8Array): void {
  const dir = mkdtempSync(join(tmpdir(), "eryx-module-"));
  try {
    writeFileSync(join(dir, "m.wasm"), bytes);
    execFileSync(WASM_TOOLS, ["validate", join(dir, "m.wasm")], { stdio: "pipe" });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const runtime = new Uint8Array(readFileSync(RUNTIME_SO));

test("parseModule → encodeModule of liberyx_runtime.so (customs kept) validates and keeps everything", () => {
  const m = parseModule(runtime);
  const out = encodeModule(m, { keepCustom: () => true });
  validate(out);
  const again = parseModule(out);
  assert.deepEqual(again.exports, m.exports);
  assert.deepEqual(readExportNames(out), m.exports.map((e) => e.name));
  assert.deepEqual(again.imports, m.imports);
  assert.deepEqual(again.types, m.types);
  assert.deepEqual(again.globals, m.globals);
  assert.deepEqual(again.bodies, m.bodies);
  assert.deepEqual(again.data, m.data);
  assert.deepEqual(again.elements, m.elements);
  assert.deepEqual(again.customs.map((c) => c.name), m.customs.map((c) => c.name));
  assert.ok(m.customs.some((c) => c.name === "dylink.0"), "dylink.0 is a kept custom section");
});

test("re-encoding is byte-identical except for where custom sections go", () => {
  // Sections the encoder writes itself come out exactly as they went in.
  const known = (bytes: Uint8Array) => readSections(bytes).filter((s) => s.id !== SectionId.custom);
  const out = encodeModule(parseModule(runtime), { keepCustom: () => true });
  assert.deepEqual(known(out), known(runtime));
});

test("leadingCustoms go first and keepCustom filters the rest", () => {
  const m = parseModule(runtime);
  const out = encodeModule(m, { leadingCustoms: [{ name: "first", payload: Uint8Array.of(1, 2, 3) }], keepCustom: () => false });
  const sections = readSections(out);
  assert.equal(sections[0].id, SectionId.custom);
  assert.equal(customSectionName(sections[0]), "first");
  assert.equal(sections.filter((s) => s.id === SectionId.custom).length, 1);
  validate(out);
});

test("readExportNames agrees with parseModule", () => {
  assert.deepEqual(readExportNames(runtime), parseModule(runtime).exports.map((e) => e.name));
});

test("isWasmModule checks magic and version", () => {
  assert.ok(isWasmModule(runtime));
  assert.ok(!isWasmModule(fromHex("00 61 73 6d 02 00 00 00")));
  assert.ok(!isWasmModule(fromHex("00 61 73")));
  assert.throws(() => readSections(fromHex("00 61 73 6d 0d 00 01 00")), /not a core WebAssembly module/);
});

test("readConstExpr reads the forms a linker emits", () => {
  const cases = ["41 e5 8e 26", "23 02", "42 7f", "41 80 80 04 23 00 6a", "d2 05", "d0 70", "43 00 00 80 3f", "44 00 00 00 00 00 00 f0 3f"];
  for (const c of cases) {
    const bytes = fromHex(c + " 0b ff");
    const r = new Reader(bytes);
    assert.deepEqual(Array.from(readConstExpr(r)), Array.from(fromHex(c)), c);
    assert.equal(r.pos, bytes.length - 1, `${c}: stops after end`);
  }
  assert.throws(() => readConstExpr(new Reader(fromHex("10 00 0b"))), /unsupported opcode 0x10/);
});

test("instructions() decodes every body of the runtime and ends each with `end`", () => {
  const m = parseModule(runtime);
  for (const [i, body] of m.bodies.entries()) {
    const all = [...instructions(body.code)];
    assert.equal(all.at(-1)!.op, 0x0b, `body ${i} ends with end`);
    assert.equal(all.at(-1)!.end, body.code.length, `body ${i} decoded to its last byte`);
    for (let k = 1; k < all.length; k++) assert.equal(all[k].start, all[k - 1].end, `body ${i}: contiguous`);
  }
});

test("instructions() reports immediates", () => {
  // i32.const -123456; global.get 3; i32.load offset=16; br_table 2 targets + default; memory.copy; end
  const code = fromHex("41 c0 bb 78 23 03 28 02 10 0e 02 00 01 02 fc 0a 00 00 0b");
  const all = [...instructions(code)];
  assert.deepEqual(all.map((i) => i.op), [0x41, 0x23, 0x28, 0x0e, 0xfc0a, 0x0b]);
  assert.equal(all[0].i32, -123456);
  assert.equal(all[1].global, 3);
  assert.equal(all[2].memOffset, 16);
  assert.deepEqual([all[3].start, all[3].end], [9, 14]);
  assert.throws(() => [...instructions(fromHex("fd 0c"))], /unsupported opcode 0xfd/);
});

test("parseModule rejects element and data forms it cannot rewrite", () => {
  const header = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  // a passive data segment (form 1)
  const passive = new Writer().bytes(header).u8(SectionId.data).sized(new Writer().u32(1).u32(1).u32(0)).finish();
  assert.throws(() => parseModule(passive), /data segment form 1 is not supported/);
});

test("tag imports (exception handling) round-trip, and readLibrarySymbols reads them with the same reader", () => {
  const dir = mkdtempSync(join(tmpdir(), "eryx-module-"));
  try {
    const file = join(dir, "tag.wasm");
    execFileSync(WASM_TOOLS, ["parse", "-", "-o", file], {
      input: '(module (type (func (param i32))) (import "env" "__cpp_exception" (tag (type 0))) (import "env" "f" (func (type 0))))',
    });
    const bytes = new Uint8Array(readFileSync(file));
    const m = parseModule(bytes);
    assert.deepEqual(m.imports.map((i) => i.desc), [{ kind: 4, attribute: 0, typeIndex: 0 }, { kind: 0, typeIndex: 0 }]);
    assert.deepEqual(encodeModule(m), bytes);
    assert.deepEqual(readLibrarySymbols(bytes).imports.map((i) => [i.name, i.type.kind]), [["__cpp_exception", "tag"], ["f", "func"]]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
