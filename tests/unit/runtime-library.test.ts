// build/liberyx_runtime.so, as `npm run link` leaves it: a PIC shared library
// that the component linker can place anywhere in memory shared with libc/CPython.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { decodeDylink, findDylinkPayload, DYLINK_SECTION } from "../../link/wasm/dylink.ts";
import { instructions } from "../../link/wasm/instructions.ts";
import { customSectionName, ExternKind, I32, parseModule, readSections, SectionId } from "../../link/wasm/module.ts";
import { BINDINGS_SO, RUNTIME_SO } from "./paths.ts";
import { witDylibNames } from "./wasm-fixtures.ts";

const bytes = readFileSync(RUNTIME_SO);
const module = parseModule(bytes);

test("dylink.0 is the very first section", () => {
  const sections = readSections(bytes);
  assert.equal(sections[0].id, SectionId.custom);
  assert.equal(customSectionName(sections[0]), DYLINK_SECTION);
  assert.equal(sections.filter((s) => s.id === SectionId.custom && customSectionName(s) === DYLINK_SECTION).length, 1);
});

test("dylink.0 has mem_info and needs libc.so and libpython3.14.so", () => {
  const d = decodeDylink(findDylinkPayload(bytes)!);
  assert.ok(d.memInfo, "mem_info present");
  assert.deepEqual(d.needed, ["libc.so", "libpython3.14.so"]);
  assert.ok(d.memInfo.memorySize > 0, "the runtime has static data");
  assert.ok(d.memInfo.tableSize > 0, "and table slots");
  // The single data segment must fit in the advertised memory size.
  const dataBytes = module.data.reduce((n, seg) => n + seg.bytes.length, 0);
  assert.ok(dataBytes <= d.memInfo.memorySize, `${dataBytes} bytes of data > mem_info ${d.memInfo.memorySize}`);
  assert.equal(module.elements.reduce((n, e) => n + e.funcs.length, 0), d.memInfo.tableSize);
});

test("imports memory, the table and both bases from env", () => {
  const find = (name: string) => module.imports.find((i) => i.module === "env" && i.name === name);
  assert.equal(find("memory")?.desc.kind, ExternKind.memory);
  const table = find("__indirect_function_table");
  assert.equal(table?.desc.kind, ExternKind.table);
  for (const name of ["__memory_base", "__table_base"]) {
    const g = find(name);
    assert.ok(g, `imports env.${name}`);
    assert.deepEqual(g.desc, { kind: ExternKind.global, valType: I32, mutable: false });
  }
  assert.equal(find("table"), undefined, "asc's env.table was renamed");
});

test("defines and exports no memory or table of its own", () => {
  assert.equal(module.memories, null);
  assert.equal(module.tables, null);
  for (const e of module.exports) {
    assert.ok(e.kind !== ExternKind.memory && e.kind !== ExternKind.table, `export ${e.name} is a memory or table`);
  }
});

test("segments are placed at __memory_base and __table_base", () => {
  const memoryBase = module.imports.filter((i) => i.desc.kind === ExternKind.global).findIndex((i) => i.name === "__memory_base");
  const tableBase = module.imports.filter((i) => i.desc.kind === ExternKind.global).findIndex((i) => i.name === "__table_base");
  for (const seg of module.data) assert.deepEqual(Array.from(seg.offset), [0x23, memoryBase]);
  for (const seg of module.elements) assert.deepEqual(Array.from(seg.offset), [0x23, tableBase]);
});

test("no function ever runs memory.grow (the heap belongs to libc)", () => {
  let count = 0;
  module.bodies.forEach((body, i) => {
    for (const ins of instructions(body.code)) {
      count++;
      assert.notEqual(ins.op, 0x40, `function body ${i} has memory.grow at byte ${ins.start}`);
    }
  });
  assert.ok(count > 1000, "decoded every instruction");
});

test("exports every wit_dylib_* function the bindings import, plus the linker's entry points", () => {
  const wanted = witDylibNames(BINDINGS_SO);
  assert.equal(wanted.length, 61, "wit-dylib 1.243's bindings import 61 wit_dylib_* functions");
  const exported = new Map(module.exports.map((e) => [e.name, e.kind]));
  const missing = wanted.filter((n) => exported.get(n) !== ExternKind.func);
  assert.deepEqual(missing, []);
  assert.equal(exported.get("__wasm_apply_data_relocs"), ExternKind.func);
  assert.equal(exported.get("_initialize"), ExternKind.func);
  // Nothing else leaks out (asc's runtime helpers are dropped).
  const extra = [...exported.keys()].filter((n) => !wanted.includes(n) && n !== "__wasm_apply_data_relocs" && n !== "_initialize");
  assert.deepEqual(extra, []);
});

test("__wasm_apply_data_relocs is () -> () and has no start section", () => {
  const e = module.exports.find((x) => x.name === "__wasm_apply_data_relocs")!;
  const importedFuncs = module.imports.filter((i) => i.desc.kind === ExternKind.func).length;
  const type = module.types[module.functions[e.index - importedFuncs]];
  assert.deepEqual(type, { params: [], results: [] });
  assert.equal(module.start, null);
});
