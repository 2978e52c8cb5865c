// The two-build relocation (link/compile.ts + link/relocate.ts) end to end:
// compile tests/fixtures/relocation/index.ts twice, relocate, then load the one
// resulting library at two different (__memory_base, __table_base) pairs in
// Node and check it behaves identically at both.

import { before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compileOnce, compileTwice, BUILD_BASES } from "../../link/compile.ts";
import { relocate, type Build, type RelocateReport } from "../../link/relocate.ts";
import { Writer } from "../../link/wasm/bytes.ts";
import { decodeDylink, findDylinkPayload } from "../../link/wasm/dylink.ts";
import { instructions, Op } from "../../link/wasm/instructions.ts";
import { encodeModule, parseModule } from "../../link/wasm/module.ts";
import { ROOT, WASM_TOOLS } from "./paths.ts";

const FIXTURE = {
  entry: "tests/fixtures/relocation/index.ts",
  runtime: "./assembly/rt/libc-runtime",
  abort: "assembly/abort/runtimeAbort",
  optimize: true,
};

const GREETING = "Hello, relocation! ✓";
const OTHER = "another static string";
const NUMBERS = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5];
const WORDS = ["alpha", "beta", "gamma", "δέλτα"];
const MARKER = 0x5eed1;

const keepExport = (name: string) => !name.startsWith("__") || name === "__wasm_apply_data_relocs";

/** A JS libc over the instance's memory: a bump allocator with a size per block. */
function makeLibc(memory: WebAssembly.Memory, heapStart: number) {
  let next = heapStart;
  const sizes = new Map<number, number>();
  const u8 = () => new Uint8Array(memory.buffer);
  const malloc = (size: number) => {
    const ptr = (next + 15) & ~15;
    const n = Math.max(size >>> 0, 1);
    if (ptr + n > memory.buffer.byteLength) return 0;
    next = ptr + n;
    sizes.set(ptr, n);
    return ptr;
  };
  const free = (ptr: number) => {
    if (ptr === 0) return;
    if (!sizes.delete(ptr)) throw new Error(`free(${ptr}): not a live block`);
  };
  return {
    live: sizes,
    malloc,
    calloc: (count: number, size: number) => {
      const n = (count >>> 0) * (size >>> 0);
      const p = malloc(n);
      if (p) u8().fill(0, p, p + n);
      return p;
    },
    realloc: (ptr: number, size: number) => {
      if (ptr === 0) return malloc(size);
      const old = sizes.get(ptr);
      if (old === undefined) throw new Error(`realloc(${ptr}): not a live block`);
      const p = malloc(size);
      if (p === 0) return 0;
      u8().copyWithin(p, ptr, ptr + Math.min(old, size >>> 0));
      free(ptr);
      return p;
    },
    free,
    abort: () => {
      throw new Error("abort() called");
    },
    write: (_fd: number, buf: number, len: number) => {
      stderr.push(new TextDecoder().decode(u8().subarray(buf, buf + len)));
      return len;
    },
  };
}

const stderr: string[] = [];

/** The fixture's exports: functions of numbers, and two globals (see tests/fixtures/relocation/). */
type FixtureExports = Record<string, (...args: number[]) => number> & Record<"ANSWER" | "GREETING_PTR", WebAssembly.Global>;

interface Loaded {
  memoryBase: number;
  tableBase: number;
  memory: WebAssembly.Memory;
  table: WebAssembly.Table;
  exports: FixtureExports;
  libc: ReturnType<typeof makeLibc>;
}

async function load(bytes: Uint8Array, memoryBase: number, tableBase: number, memorySize: number, tableSize: number): Promise<Loaded> {
  const memory = new WebAssembly.Memory({ initial: Math.ceil((memoryBase + memorySize) / 65536) + 16 });
  const table = new WebAssembly.Table({ element: "anyfunc", initial: tableBase + tableSize + 3 });
  const libc = makeLibc(memory, ((memoryBase + memorySize + 4096) & ~4095) + 4096);
  const { instance } = await WebAssembly.instantiate(bytes as Uint8Array<ArrayBuffer>, {
    env: {
      memory,
      __indirect_function_table: table,
      __memory_base: new WebAssembly.Global({ value: "i32", mutable: false }, memoryBase),
      __table_base: new WebAssembly.Global({ value: "i32", mutable: false }, tableBase),
      malloc: libc.malloc,
      calloc: libc.calloc,
      realloc: libc.realloc,
      free: libc.free,
      abort: libc.abort,
      write: libc.write,
    },
  });
  const exports = instance.exports as FixtureExports;
  exports.__wasm_apply_data_relocs();
  exports._initialize();
  return { memoryBase, tableBase, memory, table, exports, libc };
}

/** Every value the fixture exposes that must not depend on the load address. */
function observe(x: FixtureExports) {
  const range = (n: number) => Array.from({ length: n }, (_, i) => i);
  return {
    marker: x.marker(),
    greetingLength: x.greetingLength(),
    greeting: String.fromCharCode(...range(x.greetingLength()).map((i) => x.greetingCode(i))),
    greetingEquals: x.greetingEquals(),
    numbersSum: x.numbersSum(),
    numbersWeighted: x.numbersWeighted(),
    fixedSum: x.fixedSum(),
    words: range(x.wordCount()).map((i) => String.fromCharCode(...range(x.wordLength(i)).map((j) => x.wordCode(i, j)))),
    joinedLength: x.joinedLength(),
    calls: range(x.fnCount()).map((i) => x.callFn(i)),
    higherOrder: x.higherOrder(5),
    headName: String.fromCharCode(...range(x.headNameLength()).map((i) => x.headNameCode(i))),
    listSum: x.listSum(),
    currentLength: x.currentLength(),
    currentIsOther: x.currentIsOther(),
    swapped: [x.swapCurrent(), x.swapCurrent()],
    concat: x.concatLength(),
    answer: x.ANSWER.value,
    growStatic: x.growStatic(),
  };
}

const EXPECTED = {
  marker: MARKER,
  greetingLength: GREETING.length,
  greeting: GREETING,
  greetingEquals: 1,
  numbersSum: NUMBERS.reduce((a, b) => a + b, 0),
  numbersWeighted: NUMBERS.reduce((s, v, i) => s + v * (i + 1), 0),
  fixedSum: 100 + 200 + 300 - 400,
  words: WORDS,
  joinedLength: WORDS.join("+").length,
  calls: [1, 22, 333, GREETING.length],
  higherOrder: (5 * 3 + 1) * 3 + 1,
  headName: "head-of-the-list",
  listSum: 1 * 10 + "head-of-the-list".length + 2 * 10 + "tail".length,
  currentLength: OTHER.length,
  currentIsOther: 1,
  swapped: [GREETING.length, OTHER.length],
  concat: (GREETING + " / " + OTHER).length * 1000 + OTHER.charCodeAt(OTHER.length - 1),
  answer: 42,
  growStatic: 23 * 10000 + (10 + 20 + 30) + (20 * 21) / 2,
};

/** Reads an AS string object (UTF-16LE, byte length in the header word before it). */
function readAsString(memory: WebAssembly.Memory, ptr: number): string {
  const view = new DataView(memory.buffer);
  const byteLength = view.getUint32(ptr - 4, true);
  return String.fromCharCode(...new Uint16Array(memory.buffer.slice(ptr, ptr + byteLength)));
}

/** Replaces the first `i32.const from` in any function body of `bytes` by `i32.const to`. */
function patchConst(bytes: Uint8Array, from: number, to: number): Uint8Array {
  const m = parseModule(bytes);
  for (const body of m.bodies) {
    for (const ins of instructions(body.code)) {
      if (ins.op === Op.i32Const && ins.i32 === from) {
        const replacement = new Writer().u8(Op.i32Const).sleb(to).finish();
        const code = new Uint8Array(body.code.length - (ins.end - ins.start) + replacement.length);
        code.set(body.code.subarray(0, ins.start));
        code.set(replacement, ins.start);
        code.set(body.code.subarray(ins.end), ins.start + replacement.length);
        body.code = code;
        return encodeModule(m, { keepCustom: () => true });
      }
    }
  }
  throw new Error(`no i32.const ${from} found`);
}

/** Adds `delta` to the first little-endian i32 word equal to `from` in the data segments. */
function patchDataWord(bytes: Uint8Array, from: number, delta: number): Uint8Array {
  const m = parseModule(bytes);
  for (const seg of m.data) {
    const view = new DataView(seg.bytes.buffer, seg.bytes.byteOffset, seg.bytes.byteLength);
    for (let off = 0; off + 4 <= seg.bytes.length; off += 4) {
      if (view.getInt32(off, true) === from) {
        view.setInt32(off, from + delta, true);
        return encodeModule(m, { keepCustom: () => true });
      }
    }
  }
  throw new Error(`no data word ${from} found`);
}

describe("relocation of an asc build to a PIC library", { timeout: 120_000 }, () => {
  let a: Build;
  let b: Build;
  let bytes: Uint8Array;
  let report: RelocateReport;
  const BASES = [
    { memoryBase: 4096, tableBase: 0 },
    { memoryBase: 1 << 20, tableBase: 17 },
    { memoryBase: 0x10000, tableBase: 1 }, // build A's own bases
    { memoryBase: 0x400000, tableBase: 1000 }, // 4 MiB: wider LEB128 addresses than in either build
  ];
  const loaded: Loaded[] = [];

  before(async () => {
    process.chdir(ROOT);
    [a, b] = await compileTwice(FIXTURE);
    ({ bytes, report } = relocate(a, b, { needed: ["libc.so"], keepExport }));
    for (const base of BASES) loaded.push(await load(bytes, base.memoryBase, base.tableBase, report.memorySize, report.tableSize));
  });

  test("the builds really are at different bases", () => {
    assert.equal(a.memoryBase, BUILD_BASES[0].memoryBase);
    assert.equal(b.memoryBase, BUILD_BASES[1].memoryBase);
    assert.notDeepEqual(a.bytes, b.bytes);
  });

  test("the report counts code, data and global relocations and the table size", () => {
    assert.ok(report.codeRelocations > 10, `code relocations: ${report.codeRelocations}`);
    // WORDS holds 4 string addresses and FNS 4 Function objects (table indices),
    // besides the array headers' buffer pointers.
    assert.ok(report.dataRelocations >= 8, `data relocations: ${report.dataRelocations}`);
    assert.ok(report.globalRelocations >= 1, "GREETING_PTR is an address-valued global");
    assert.ok(report.tableSize >= 5, "four named functions and one arrow function in the table");
    assert.ok(report.memorySize > GREETING.length * 2);
  });

  test("the result is a valid dylib with dylink.0 first", () => {
    const d = decodeDylink(findDylinkPayload(bytes)!);
    assert.deepEqual(d.needed, ["libc.so"]);
    assert.deepEqual(d.memInfo, { memorySize: report.memorySize, memoryAlign: 4, tableSize: report.tableSize, tableAlign: 0 });
    const dir = mkdtempSync(join(tmpdir(), "eryx-reloc-"));
    try {
      writeFileSync(join(dir, "fixture.so"), bytes);
      execFileSync(WASM_TOOLS, ["validate", join(dir, "fixture.so")], { stdio: "pipe" });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("every observable value is right at every base", () => {
    for (const l of loaded) {
      assert.deepEqual(observe(l.exports), EXPECTED, `at memory base ${l.memoryBase}, table base ${l.tableBase}`);
    }
  });

  test("static addresses move by exactly the memory base difference", () => {
    const [first, ...rest] = loaded;
    const addr0 = first.exports.greetingAddress() >>> 0;
    assert.ok(addr0 >= first.memoryBase && addr0 < first.memoryBase + report.memorySize, "inside the library's static data");
    for (const l of rest) {
      const addr = l.exports.greetingAddress() >>> 0;
      assert.equal(addr - addr0, l.memoryBase - first.memoryBase);
    }
    for (const l of loaded) {
      const addr = l.exports.greetingAddress() >>> 0;
      assert.equal(readAsString(l.memory, addr), GREETING, "the string is really at that address");
      assert.equal(l.exports.GREETING_PTR.value >>> 0, addr, "the address-valued global was relocated too");
    }
  });

  test("table indices move by exactly the table base difference", () => {
    const [first, ...rest] = loaded;
    const count = first.exports.fnCount();
    const idx0 = Array.from({ length: count }, (_, i) => first.exports.fnTableIndex(i) >>> 0);
    for (const i of idx0) assert.ok(i >= first.tableBase && i < first.tableBase + report.tableSize);
    for (const l of rest) {
      const idx = Array.from({ length: count }, (_, i) => l.exports.fnTableIndex(i) >>> 0);
      assert.deepEqual(idx.map((v, i) => v - idx0[i]), idx.map(() => l.tableBase - first.tableBase));
      // and the slots hold callable functions that give the right answers
      assert.deepEqual(idx.map((i) => (l.table.get(i) as () => number)()), EXPECTED.calls);
    }
  });

  test("nothing is written outside the library's static data and the heap", () => {
    for (const l of loaded) {
      const mem = new Uint8Array(l.memory.buffer);
      const firstWritten = mem.subarray(0, l.memoryBase).findIndex((v) => v !== 0);
      assert.equal(firstWritten, -1, `memory below __memory_base ${l.memoryBase} was written`);
      for (let i = 0; i < l.tableBase; i++) assert.equal(l.table.get(i), null, `table slot ${i} below __table_base was set`);
    }
    assert.deepEqual(stderr, [], "nothing printed through write()");
  });

  test("relocate refuses a code constant that moved by neither delta", () => {
    const patched: Build = { ...b, bytes: patchConst(b.bytes, MARKER, MARKER + 7) };
    assert.throws(
      () => relocate(a, patched, { needed: [], keepExport }),
      /function \d+, byte \d+: constants differ between the two builds by 7 \(neither the memory nor the table delta\): the builds diverged/,
    );
  });

  test("relocate refuses a data word that moved by neither delta", () => {
    const patched: Build = { ...b, bytes: patchDataWord(b.bytes, 300, 5) };
    assert.throws(
      () => relocate(a, patched, { needed: [], keepExport }),
      /data word at offset \d+: constants differ between the two builds by 5 \(neither the memory nor the table delta\)/,
    );
  });

  test("relocate refuses builds of different sources", async () => {
    const other = await compileOnce({ ...FIXTURE, entry: "tests/fixtures/relocation/other.ts" }, BUILD_BASES[1]);
    assert.throws(() => relocate(a, other, { needed: [], keepExport }), /the two builds differ in shape/);
  });
});
