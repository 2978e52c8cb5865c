// Turns two asc builds of the same source, compiled at different memory and
// table bases, into one position-independent shared library.
//
// asc cannot tell which `i32.const` is an address, but the second build can:
// every constant that moved by exactly the memory delta is an address, every
// one that moved by the table delta is a table index, and anything else that
// differs means the builds diverged (the build fails). Then:
//
//   code     i32.const A        →  global.get $__memory_base; i32.const A-baseA; i32.add
//   data     all segments       →  one segment at __memory_base; pointer words are
//                                  fixed up by a generated __wasm_apply_data_relocs
//   globals  i32.const A init   →  set in __wasm_apply_data_relocs
//   elements i32.const tableA   →  global.get $__table_base
//   imports  env.table          →  env.__indirect_function_table, plus
//                                  env.__memory_base and env.__table_base (immutable i32)

import { Writer } from "./wasm/bytes.ts";
import { encodeDylink, DYLINK_SECTION, type Dylink } from "./wasm/dylink.ts";
import { type Instruction, instructions, Op } from "./wasm/instructions.ts";
import { countImports, encodeModule, ExternKind, I32, type Module, parseModule } from "./wasm/module.ts";
import { Reader } from "./wasm/bytes.ts";

export interface Build { bytes: Uint8Array; memoryBase: number; tableBase: number }

export interface RelocateOptions {
  /** Libraries this one needs (dylink.0 NEEDED). */
  needed: string[];
  /** Which of asc's exports to keep (others, like the runtime's helpers, are dropped). */
  keepExport: (name: string) => boolean;
  /** Keep the `name` section (function names in traps). */
  keepNames?: boolean;
  /**
   * Export of a function `() => i32.const <end of static data>`: zero-filled
   * static reservations have no data segment, so the segments alone would
   * undersize mem_info and let the next library overlap them.
   */
  staticEndExport?: string;
}

export interface RelocateReport {
  codeRelocations: number;
  dataRelocations: number;
  globalRelocations: number;
  memorySize: number;
  tableSize: number;
}

type Kind = "memory" | "table";

interface Relocation { kind: Kind; offset: number }

function classify(a: number, b: number, builds: [Build, Build], where: string): Relocation | null {
  if (a === b) return null;
  const [A, B] = builds;
  const delta = b - a;
  if (delta === B.memoryBase - A.memoryBase) return { kind: "memory", offset: a - A.memoryBase };
  if (delta === B.tableBase - A.tableBase) return { kind: "table", offset: a - A.tableBase };
  throw new Error(`${where}: constants differ between the two builds by ${delta} (neither the memory nor the table delta): the builds diverged`);
}

function constI32(expr: Uint8Array, where: string): number {
  const r = new Reader(expr);
  if (r.u8() !== Op.i32Const) throw new Error(`${where}: expected an i32.const expression`);
  const v = r.s32();
  if (!r.done) throw new Error(`${where}: expected a single i32.const`);
  return v;
}

export function relocate(a: Build, b: Build, options: RelocateOptions): { bytes: Uint8Array; report: RelocateReport } {
  const ma = parseModule(a.bytes);
  const mb = parseModule(b.bytes);
  const builds: [Build, Build] = [a, b];
  const report: RelocateReport = { codeRelocations: 0, dataRelocations: 0, globalRelocations: 0, memorySize: 0, tableSize: 0 };

  if (ma.bodies.length !== mb.bodies.length || ma.globals.length !== mb.globals.length || ma.data.length !== mb.data.length) {
    throw new Error("the two builds differ in shape (functions, globals or data segments)");
  }
  if (ma.start !== null) throw new Error("the module has a start section: compile with --exportStart _initialize");

  // New global imports go after the existing imported globals, so every
  // defined global index moves up by two.
  const importedGlobals = countImports(ma, ExternKind.global);
  const memoryBaseGlobal = importedGlobals;
  const tableBaseGlobal = importedGlobals + 1;
  const shiftGlobal = (index: number) => (index >= importedGlobals ? index + 2 : index);

  const out: Module = { ...ma, imports: [], exports: [], globals: [], elements: [], bodies: [], data: [], customs: [] };

  // Imports.
  let sawTable = false;
  for (const imp of ma.imports) {
    if (imp.desc.kind === ExternKind.table) {
      if (imp.module !== "env" || imp.name !== "table") throw new Error(`unexpected table import ${imp.module}.${imp.name}`);
      sawTable = true;
      out.imports.push({ module: "env", name: "__indirect_function_table", desc: { kind: 1, elemType: 0x70, min: 0 } });
    } else if (imp.desc.kind === ExternKind.memory) {
      out.imports.push({ module: imp.module, name: imp.name, desc: { kind: 2, flags: 0, min: 0 } });
    } else {
      out.imports.push(imp);
    }
  }
  // Insert the base globals right after the last imported global (or at the end).
  const lastGlobalImport = out.imports.map((i) => i.desc.kind).lastIndexOf(ExternKind.global);
  const at = lastGlobalImport >= 0 ? lastGlobalImport + 1 : out.imports.length;
  out.imports.splice(at, 0,
    { module: "env", name: "__memory_base", desc: { kind: 3, valType: I32, mutable: false } },
    { module: "env", name: "__table_base", desc: { kind: 3, valType: I32, mutable: false } });
  if (!sawTable && ma.elements.length) throw new Error("element segments without an imported table: compile with --importTable");

  // Fix-ups run by the linker before any constructor: data pointer words and address-valued globals.
  const fixups = new Writer();
  const baseOf = (kind: Kind) => (kind === "memory" ? memoryBaseGlobal : tableBaseGlobal);
  const emitRelocatedValue = (w: Writer, rel: Relocation) =>
    w.u8(Op.globalGet).u32(baseOf(rel.kind)).u8(Op.i32Const).sleb(rel.offset).u8(Op.i32Add);

  // Globals.
  ma.globals.forEach((g, i) => {
    const gb = mb.globals[i];
    const initA = g.init;
    const initB = gb.init;
    if (g.valType === I32 && initA[0] === Op.i32Const && initB[0] === Op.i32Const) {
      const rel = classify(constI32(initA, `global ${i}`), constI32(initB, `global ${i}`), builds, `global ${i}`);
      if (rel) {
        report.globalRelocations++;
        out.globals.push({ valType: I32, mutable: true, init: Uint8Array.of(Op.i32Const, 0) });
        emitRelocatedValue(fixups, rel);
        fixups.u8(Op.globalSet).u32(shiftGlobal(importedGlobals + i));
        return;
      }
    } else if (!bytesEqual(initA, initB)) {
      throw new Error(`global ${i}: initialisers differ in form between the builds`);
    }
    out.globals.push({ ...g, init: rewriteGlobalRefs(g.init, shiftGlobal) });
  });

  // Data: one segment at __memory_base covering [memoryBase, end of last segment).
  let end = 0;
  const segA = ma.data.map((d, i) => {
    const offA = constI32(d.offset, `data segment ${i}`) - a.memoryBase;
    const offB = constI32(mb.data[i].offset, `data segment ${i}`) - b.memoryBase;
    if (offA !== offB || offA < 0) throw new Error(`data segment ${i} is not at the same place relative to the memory base in both builds`);
    end = Math.max(end, offA + d.bytes.length);
    return offA;
  });
  const imageA = new Uint8Array(end);
  const imageB = new Uint8Array(end);
  ma.data.forEach((d, i) => { imageA.set(d.bytes, segA[i]); imageB.set(mb.data[i].bytes, segA[i]); });
  for (let off = 0; off < end; off += 4) {
    let differs = false;
    for (let k = off; k < Math.min(off + 4, end); k++) differs ||= imageA[k] !== imageB[k];
    if (!differs) continue;
    if (off + 4 > end) throw new Error(`data differs between builds in a partial word at offset ${off}`);
    const va = new DataView(imageA.buffer).getInt32(off, true);
    const vb = new DataView(imageB.buffer).getInt32(off, true);
    const rel = classify(va, vb, builds, `data word at offset ${off}`)!;
    report.dataRelocations++;
    new DataView(imageA.buffer).setInt32(off, 0, true);
    fixups.u8(Op.globalGet).u32(memoryBaseGlobal).u8(Op.i32Const).sleb(off).u8(Op.i32Add);
    emitRelocatedValue(fixups, rel);
    fixups.u8(Op.i32Store).u32(2).u32(0);
  }
  if (end) out.data.push({ offset: Uint8Array.of(Op.globalGet, memoryBaseGlobal), bytes: imageA });
  const staticEnd = options.staticEndExport ? readStaticEnd(ma, options.staticEndExport) - a.memoryBase : 0;
  report.memorySize = Math.max(end, staticEnd);

  // Elements: AS emits one segment at the table base.
  if (ma.elements.length > 1) throw new Error("more than one element segment");
  for (const [i, e] of ma.elements.entries()) {
    const offA = constI32(e.offset, "element segment") - a.tableBase;
    const offB = constI32(mb.elements[i].offset, "element segment") - b.tableBase;
    if (offA !== 0 || offB !== 0) throw new Error("the element segment does not start at the table base");
    out.elements.push({ offset: Uint8Array.of(Op.globalGet, tableBaseGlobal), funcs: e.funcs });
    report.tableSize = e.funcs.length;
  }

  // Code.
  ma.bodies.forEach((body, f) => {
    const where = `function ${countImports(ma, ExternKind.func) + f}`;
    const insA = [...instructions(body.code)];
    const insB = [...instructions(mb.bodies[f].code)];
    if (insA.length !== insB.length) throw new Error(`${where}: instruction streams differ in length between the builds`);
    const w = new Writer();
    insA.forEach((ia, k) => {
      const ib = insB[k];
      checkSameInstruction(ia, ib, body.code, mb.bodies[f].code, where);
      if (ia.op === Op.i32Const) {
        const rel = classify(ia.i32!, ib.i32!, builds, `${where}, byte ${ia.start}`);
        if (rel) {
          report.codeRelocations++;
          emitRelocatedValue(w, rel);
          return;
        }
      }
      if (ia.global !== undefined) {
        w.u8(ia.op).u32(shiftGlobal(ia.global));
        return;
      }
      w.bytes(body.code.subarray(ia.start, ia.end));
    });
    out.bodies.push({ locals: body.locals, code: w.finish() });
  });

  // __wasm_apply_data_relocs: () -> ().
  let voidType = ma.types.findIndex((t) => t.params.length === 0 && t.results.length === 0);
  if (voidType < 0) { voidType = out.types.length; out.types = [...ma.types, { params: [], results: [] }]; }
  const applyIndex = countImports(ma, ExternKind.func) + ma.functions.length;
  out.functions = [...ma.functions, voidType];
  out.bodies.push({ locals: Uint8Array.of(0), code: new Writer().bytes(fixups.finish()).u8(Op.end).finish() });

  // Exports: what the caller keeps, plus the relocation entry point.
  for (const e of ma.exports) {
    if (!options.keepExport(e.name)) continue;
    if (e.kind === ExternKind.memory || e.kind === ExternKind.table) throw new Error(`export ${e.name}: a shared library may not export a memory or table`);
    out.exports.push(e.kind === ExternKind.global ? { ...e, index: shiftGlobal(e.index) } : e);
  }
  out.exports.push({ name: "__wasm_apply_data_relocs", kind: ExternKind.func, index: applyIndex });

  // Names stay valid: the only new function is appended last.
  out.customs = ma.customs;
  const dylink: Dylink = {
    memInfo: { memorySize: report.memorySize, memoryAlign: 4, tableSize: report.tableSize, tableAlign: 0 },
    needed: options.needed,
    exportInfo: [],
    importInfo: [],
  };
  const bytes = encodeModule(out, {
    leadingCustoms: [{ name: DYLINK_SECTION, payload: encodeDylink(dylink) }],
    keepCustom: (name) => name === "name" && !!options.keepNames,
  });
  return { bytes, report };
}

function readStaticEnd(m: Module, exportName: string): number {
  const e = m.exports.find((x) => x.name === exportName && x.kind === ExternKind.func);
  if (!e) throw new Error(`export ${exportName} not found: the runtime must export it`);
  const body = m.bodies[e.index - countImports(m, ExternKind.func)];
  const ins = [...instructions(body.code)];
  if (ins.length !== 2 || ins[0].op !== Op.i32Const || ins[1].op !== Op.end) throw new Error(`${exportName} must be a single i32.const`);
  return ins[0].i32!;
}

function checkSameInstruction(a: Instruction, b: Instruction, codeA: Uint8Array, codeB: Uint8Array, where: string): void {
  if (a.op !== b.op) throw new Error(`${where}: instruction streams diverge at byte ${a.start} (0x${a.op.toString(16)} vs 0x${b.op.toString(16)})`);
  if (a.op === Op.i32Const) return;
  if (a.memOffset !== undefined && a.memOffset !== b.memOffset) {
    throw new Error(`${where}: a load/store offset differs between builds (an address folded into a memarg), which cannot be relocated`);
  }
  if (!bytesEqual(codeA.subarray(a.start, a.end), codeB.subarray(b.start, b.end))) {
    throw new Error(`${where}: immediates of opcode 0x${a.op.toString(16)} differ at byte ${a.start}`);
  }
}

function bytesEqual(x: Uint8Array, y: Uint8Array): boolean {
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

function rewriteGlobalRefs(expr: Uint8Array, shift: (i: number) => number): Uint8Array {
  if (expr[0] !== Op.globalGet) return expr;
  const r = new Reader(expr, 1);
  return new Writer().u8(Op.globalGet).u32(shift(r.u32())).bytes(expr.subarray(r.pos)).finish();
}
