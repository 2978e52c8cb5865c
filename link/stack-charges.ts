// Stage: give CPython's C-stack checks a stack to measure (docs/robustness.md).
//
// CPython 3.14 guards C recursion (RecursionError instead of a crash) and
// deep deallocation (its "trashcan" defers frees once the stack is nearly
// used up) by comparing the machine stack pointer with limits kept in the
// thread state. In the pinned WASI build that stack pointer reads as 0, so
// the limits come out as 4 000 000 bytes below address 0 and no check ever
// fires: nested lists 2 500 deep, then `del`, or a traceback of 3 000 frames
// exhausted the wasm engine's stack (384 KiB in the reference host) and
// trapped the instance.
//
// Since the stack pointer CPython sees is a constant 0, the distance to the
// soft limit is simply `-c_stack_soft_limit`: the runtime sets it to a budget
// at start-up (assembly/python/recursion.ts), and the functions listed in
// STACK_CHARGES charge it while they run. Each body moves to a new function;
// at the original index (where every call, export and table entry points) a
// wrapper adds the charge to both limits, calls the body and takes the charge
// back. CPython's own checks then fire in time: the trashcan defers
// deallocation when less than 16 KiB of budget is left, and C recursion
// raises RecursionError when it is used up.

import { readFileSync, writeFileSync } from "node:fs";
import { Reader, Writer } from "./wasm/bytes.ts";
import { customSectionBody, customSectionName, ExternKind, readConstExpr, readExport, readFuncType, readGlobal, readImport, readSections, type RawSection, SectionId } from "./wasm/module.ts";

/**
 * Where CPython 3.14 (the pinned wasm32 build, link/vendor.lock.json) keeps
 * `c_stack_soft_limit` and `c_stack_hard_limit` in its thread state. The
 * runtime checks the layout at start-up before it sets them
 * (assembly/python/recursion.ts).
 */
export const SOFT_LIMIT_OFFSET = 712;
export const HARD_LIMIT_OFFSET = 716;

/** How a wrapper treats a call made when the budget is used up. */
type Refusal =
  | "none" // runs it anyway: deallocation, whose trashcan defers work at 16 KiB left
  | "null" // raises RecursionError and returns NULL (or 0, failure, for int functions) without running it
  | "minus1" // raises RecursionError and returns -1 without running it
  | "throw"; // `_PyEval_EvalFrameDefault(tstate, frame, throwflag)`: raises RecursionError into the frame (throwflag 1), which unwinds it cleanly

/**
 * Budget each call of these libpython functions charges (about the native
 * stack one level of recursion through it takes in wasmtime; measurements in
 * docs/robustness.md), and what happens once the budget is used up.
 */
export const STACK_CHARGES: Readonly<Record<string, { charge: number; refusal: Refusal }>> = {
  _Py_Dealloc: { charge: 1024, refusal: "none" },
  _PyEval_EvalFrameDefault: { charge: 2048, refusal: "throw" },
  PyObject_Repr: { charge: 512, refusal: "null" },
  PyObject_Str: { charge: 512, refusal: "null" },
  PyObject_RichCompare: { charge: 256, refusal: "null" },
  PyObject_Hash: { charge: 256, refusal: "minus1" },
  // The C accelerators of json and pickle recurse through their own static
  // functions (found by name in the name section).
  encoder_listencode_obj: { charge: 512, refusal: "minus1" },
  scan_once_unicode: { charge: 512, refusal: "null" },
  save: { charge: 1024, refusal: "minus1" },
  // Deeply nested source: the parser (one level of brackets goes through
  // expression_rule, atom_rule and about twenty other rules; lambdas through
  // expression_rule; unary operators recurse in factor_rule and
  // inversion_rule), the AST checks and the compiler.
  expression_rule: { charge: 1024, refusal: "null" },
  atom_rule: { charge: 2048, refusal: "null" },
  factor_rule: { charge: 512, refusal: "null" },
  inversion_rule: { charge: 512, refusal: "null" },
  validate_expr: { charge: 160, refusal: "null" },
  astfold_expr: { charge: 160, refusal: "null" },
  symtable_visit_expr: { charge: 160, refusal: "null" },
  codegen_visit_expr: { charge: 192, refusal: "minus1" },
};

const RECURSION_MESSAGE = "maximum recursion depth exceeded";

const Op = {
  if: 0x04, end: 0x0b, return: 0x0f, call: 0x10, drop: 0x1a, localGet: 0x20, localSet: 0x21, globalGet: 0x23,
  i32Load: 0x28, i32Store: 0x36, i32Const: 0x41, i32GtS: 0x4a, i32Add: 0x6a, i32Sub: 0x6b,
} as const;
const VOID = 0x40;
const I32 = 0x7f;

/** What the wrappers call and read, as indices into the module. */
interface Targets {
  getThreadState: number;
  setString: number;
  memoryBase: number; // global: libpython's __memory_base
  recursionErrorOffset: number; // PyExc_RecursionError's address, relative to __memory_base
  messageOffset: number; // RECURSION_MESSAGE in .rodata, relative to __memory_base
}

/** `ts.field += delta` (or `-=`) for both limits, when `ts` (local `tsLocal`) is not null. */
function adjustLimits(code: Writer, tsLocal: number, charge: number, add: boolean): void {
  code.u8(Op.localGet).u32(tsLocal).u8(Op.if).u8(VOID);
  for (const offset of [SOFT_LIMIT_OFFSET, HARD_LIMIT_OFFSET]) {
    code.u8(Op.localGet).u32(tsLocal);
    code.u8(Op.localGet).u32(tsLocal).u8(Op.i32Load).u32(2).u32(offset);
    code.u8(Op.i32Const).sleb(charge).u8(add ? Op.i32Add : Op.i32Sub);
    code.u8(Op.i32Store).u32(2).u32(offset);
  }
  code.u8(Op.end);
}

/** `PyErr_SetString(PyExc_RecursionError, RECURSION_MESSAGE)`. */
function raiseRecursionError(code: Writer, t: Targets): void {
  code.u8(Op.globalGet).u32(t.memoryBase).u8(Op.i32Const).sleb(t.recursionErrorOffset).u8(Op.i32Add).u8(Op.i32Load).u32(2).u32(0);
  code.u8(Op.globalGet).u32(t.memoryBase).u8(Op.i32Const).sleb(t.messageOffset).u8(Op.i32Add);
  code.u8(Op.call).u32(t.setString);
}

/**
 * The body of a wrapper: `ts = PyThreadState_GetUnchecked(); charge(ts);`
 * then, if the budget is used up (soft limit above 0, the stack pointer
 * CPython sees), the refusal; else `result = callee(params…)`; then
 * `refund(ts); return result`.
 */
function wrapperBody(paramCount: number, resultCount: number, t: Targets, callee: number, charge: number, refusal: Refusal): Uint8Array {
  const ts = paramCount; // the one extra local
  const code = new Writer().u32(1).u32(1).u8(I32);
  code.u8(Op.call).u32(t.getThreadState).u8(Op.localSet).u32(ts);
  adjustLimits(code, ts, charge, true);
  const usedUp = () => {
    code.u8(Op.localGet).u32(ts).u8(Op.if).u8(I32);
    code.u8(Op.localGet).u32(ts).u8(Op.i32Load).u32(2).u32(SOFT_LIMIT_OFFSET).u8(Op.i32Const).sleb(0).u8(Op.i32GtS);
    code.u8(0x05).u8(Op.i32Const).sleb(0).u8(Op.end); // else 0
  };
  if (refusal === "null" || refusal === "minus1") {
    if (resultCount !== 1) throw new Error("stack charges: a NULL or -1 refusal needs a function with one result");
    usedUp();
    code.u8(Op.if).u8(VOID);
    raiseRecursionError(code, t);
    adjustLimits(code, ts, charge, false);
    code.u8(Op.i32Const).sleb(refusal === "null" ? 0 : -1).u8(Op.return);
    code.u8(Op.end);
  }
  if (refusal === "throw") {
    if (paramCount !== 3) throw new Error("stack charges: a throw refusal needs (tstate, frame, throwflag)");
    usedUp();
    code.u8(Op.if).u8(VOID);
    raiseRecursionError(code, t);
    code.u8(Op.i32Const).sleb(1).u8(Op.localSet).u32(2);
    code.u8(Op.end);
  }
  for (let i = 0; i < paramCount; i++) code.u8(Op.localGet).u32(i);
  code.u8(Op.call).u32(callee);
  adjustLimits(code, ts, charge, false);
  code.u8(Op.end);
  return code.finish();
}

/** The value of an exported data symbol's global (`i32.const offset`): its address relative to __memory_base. */
function dataSymbolOffset(sections: RawSection[], importedGlobals: number, index: number | undefined): number {
  const globals = sections.find((x) => x.id === SectionId.global);
  if (index === undefined || !globals || index < importedGlobals) throw new Error("stack charges: PyExc_RecursionError is not an exported data symbol");
  const { count, items } = vector(globals.payload);
  for (let i = 0; i < count; i++) {
    const g = readGlobal(items);
    if (i === index - importedGlobals) {
      if (g.init[0] !== 0x41) throw new Error("stack charges: PyExc_RecursionError's global is not an i32.const");
      return new Reader(g.init, 1).s32();
    }
  }
  throw new Error("stack charges: PyExc_RecursionError's global is missing");
}

/** Where `text` (NUL-terminated) is in the data segment placed at __memory_base. */
function rodataOffset(sections: RawSection[], memoryBase: number, text: string): number {
  const data = sections.find((x) => x.id === SectionId.data);
  if (!data) throw new Error("stack charges: the module has no data");
  const { count, items } = vector(data.payload);
  const needle = Buffer.from(`${text}\0`);
  for (let i = 0; i < count; i++) {
    const flags = items.u32();
    if (flags !== 0) throw new Error(`stack charges: data segment ${i} is not an active segment of memory 0`);
    const expr = readConstExpr(items);
    const bytes = items.take(items.u32());
    if (expr.length === 2 && expr[0] === 0x23 && expr[1] === memoryBase) {
      const at = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).indexOf(needle);
      if (at >= 0) return at;
    }
  }
  throw new Error(`stack charges: "${text}" is not in the module's data`);
}

/** Function names from the "name" custom section (subsection 1); a name given twice maps to neither. */
function functionNames(sections: RawSection[]): Map<string, number> {
  const names = new Map<string, number>();
  const duplicates = new Set<string>();
  const section = sections.find((x) => x.id === SectionId.custom && customSectionName(x) === "name");
  if (!section) return names;
  const r = new Reader(customSectionBody(section));
  while (!r.done) {
    const id = r.u8();
    const end = r.u32() + r.pos;
    if (id === 1) {
      for (let n = r.u32(); n > 0; n--) {
        const index = r.u32();
        const name = r.name();
        if (names.has(name)) duplicates.add(name);
        names.set(name, index);
      }
    }
    r.pos = end;
  }
  for (const name of duplicates) names.delete(name);
  return names;
}

function vector(payload: Uint8Array): { count: number; items: Reader } {
  const r = new Reader(payload);
  return { count: r.u32(), items: r };
}

function section(id: number, payload: Uint8Array): Uint8Array {
  const head = new Writer().u8(id).u32(payload.length).finish();
  return Buffer.concat([head, payload]);
}

/** Returns `module` with the exported functions in `charges` wrapped so that they charge CPython's stack budget. */
export function addStackCharges(module: Uint8Array, charges: typeof STACK_CHARGES = STACK_CHARGES): Uint8Array {
  const sections = readSections(module);
  const find = (id: number): RawSection => {
    const s = sections.find((x) => x.id === id);
    if (!s) throw new Error(`stack charges: the module has no section ${id}`);
    return s;
  };

  const types = vector(find(SectionId.type).payload);
  const funcTypeList = Array.from({ length: types.count }, () => readFuncType(types.items));

  let importedFuncs = 0;
  let importedGlobals = 0;
  let memoryBase = -1;
  const imports = vector(find(SectionId.import).payload);
  for (let i = 0; i < imports.count; i++) {
    const imp = readImport(imports.items);
    if (imp.desc.kind === ExternKind.func) importedFuncs++;
    if (imp.desc.kind === ExternKind.global) {
      if (imp.module === "env" && imp.name === "__memory_base") memoryBase = importedGlobals;
      importedGlobals++;
    }
  }
  if (memoryBase < 0) throw new Error("stack charges: the module does not import env.__memory_base");

  const functions = vector(find(SectionId.function).payload);
  const funcTypes = Array.from({ length: functions.count }, () => functions.items.u32());

  const exportIndex = new Map<string, number>();
  const globalExports = new Map<string, number>();
  const exports = vector(find(SectionId.export).payload);
  for (let i = 0; i < exports.count; i++) {
    const e = readExport(exports.items);
    if (e.kind === ExternKind.func) exportIndex.set(e.name, e.index);
    if (e.kind === ExternKind.global) globalExports.set(e.name, e.index);
  }

  const code = vector(find(SectionId.code).payload);
  const bodies: Uint8Array[] = [];
  for (let i = 0; i < code.count; i++) {
    const size = code.items.u32();
    bodies.push(code.items.take(size));
  }

  const names = functionNames(sections);
  const exported = (name: string): number => {
    const index = exportIndex.get(name) ?? names.get(name);
    if (index === undefined || index < importedFuncs) throw new Error(`stack charges: ${name} is not a function defined by the module (neither exported nor named)`);
    return index;
  };
  const targets: Targets = {
    getThreadState: exported("PyThreadState_GetUnchecked"),
    setString: exported("PyErr_SetString"),
    memoryBase,
    recursionErrorOffset: dataSymbolOffset(sections, importedGlobals, globalExports.get("PyExc_RecursionError")),
    messageOffset: rodataOffset(sections, memoryBase, RECURSION_MESSAGE),
  };
  for (const [name, { charge, refusal }] of Object.entries(charges)) {
    const defined = exported(name) - importedFuncs;
    const moved = importedFuncs + bodies.length; // the original body's new index
    const type = funcTypeList[funcTypes[defined]];
    bodies.push(bodies[defined]);
    funcTypes.push(funcTypes[defined]);
    bodies[defined] = wrapperBody(type.params.length, type.results.length, targets, moved, charge, refusal);
  }

  const functionSection = new Writer().u32(funcTypes.length);
  for (const t of funcTypes) functionSection.u32(t);
  const codeHead = new Writer().u32(bodies.length).finish();
  const codeParts: Uint8Array[] = [codeHead];
  for (const body of bodies) codeParts.push(new Writer().u32(body.length).finish(), body);

  const out: Uint8Array[] = [module.subarray(0, 8)];
  for (const s of sections) {
    if (s.id === SectionId.function) out.push(section(s.id, functionSection.finish()));
    else if (s.id === SectionId.code) out.push(section(s.id, Buffer.concat(codeParts)));
    else out.push(section(s.id, s.payload));
  }
  return Buffer.concat(out);
}

/** Writes a copy of the library at `from` with stack charges to `to`. */
export function writeWithStackCharges(from: string, to: string): void {
  writeFileSync(to, addStackCharges(readFileSync(from)));
}
