// A structured view of a core WebAssembly module: enough of each section to
// rewrite a module (imports, globals, exports, elements, code, data) while
// sections we do not change stay as raw bytes. The readers of single entries
// (readFuncType, readImport, readGlobal, readExport) are also what
// link/extensions.ts reads a library's symbols with.

import { Reader, Writer } from "./bytes.ts";

export const SectionId = {
  custom: 0, type: 1, import: 2, function: 3, table: 4, memory: 5, global: 6,
  export: 7, start: 8, element: 9, code: 10, data: 11, dataCount: 12,
} as const;

export const ExternKind = { func: 0, table: 1, memory: 2, global: 3, tag: 4 } as const;

export const I32 = 0x7f;

export interface RawSection { id: number; payload: Uint8Array }

/** A constant expression's bytes, without the final `end`. */
export type ConstExpr = Uint8Array;

export type ImportDesc =
  | { kind: 0; typeIndex: number }
  | { kind: 1; elemType: number; min: number; max?: number }
  | { kind: 2; flags: number; min: number; max?: number }
  | { kind: 3; valType: number; mutable: boolean }
  /** An exception-handling tag (attribute 0: exception, with a function type). */
  | { kind: 4; attribute: number; typeIndex: number };

export interface Import { module: string; name: string; desc: ImportDesc }
export interface Global { valType: number; mutable: boolean; init: ConstExpr }
export interface Export { name: string; kind: number; index: number }
/** Only the element form AS emits: active, table 0, function indices (flag 0). */
export interface Element { offset: ConstExpr; funcs: number[] }
export interface FunctionBody { locals: Uint8Array; code: Uint8Array }
export interface DataSegment { offset: ConstExpr; bytes: Uint8Array }
export interface FuncType { params: number[]; results: number[] }

export interface Module {
  types: FuncType[];
  imports: Import[];
  functions: number[];
  tables: Uint8Array | null;
  memories: Uint8Array | null;
  globals: Global[];
  exports: Export[];
  start: number | null;
  elements: Element[];
  bodies: FunctionBody[];
  data: DataSegment[];
  customs: { name: string; payload: Uint8Array; beforeSection: number }[];
}

const MAGIC = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

export function isWasmModule(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && MAGIC.every((b, i) => bytes[i] === b);
}

export function readSections(bytes: Uint8Array): RawSection[] {
  if (!isWasmModule(bytes)) throw new Error("not a core WebAssembly module (bad magic or version)");
  const r = new Reader(bytes, 8);
  const sections: RawSection[] = [];
  while (!r.done) {
    const id = r.u8();
    const size = r.u32();
    sections.push({ id, payload: r.take(size) });
  }
  return sections;
}

export function customSectionName(section: RawSection): string {
  return new Reader(section.payload).name();
}

/** Payload of a custom section after its name. */
export function customSectionBody(section: RawSection): Uint8Array {
  const r = new Reader(section.payload);
  r.name();
  return section.payload.subarray(r.pos);
}

function readLimits(r: Reader): { flags: number; min: number; max?: number } {
  const flags = r.u8();
  const min = r.u32();
  return flags & 1 ? { flags, min, max: r.u32() } : { flags, min };
}

/** Reads a constant expression up to and including its `end` (returns it without `end`). */
export function readConstExpr(r: Reader): ConstExpr {
  const start = r.pos;
  for (;;) {
    const op = r.u8();
    if (op === 0x0b) return r.bytes.slice(start, r.pos - 1);
    if (op === 0x41 || op === 0x42) r.sleb();
    else if (op === 0x23 || op === 0xd2) r.u32();
    else if (op === 0x43) r.take(4);
    else if (op === 0x44) r.take(8);
    else if (op === 0xd0) r.u8();
    else if (op === 0x6a || op === 0x6b || op === 0x6c || op === 0x7c || op === 0x7d || op === 0x7e) continue;
    else throw new Error(`unsupported opcode 0x${op.toString(16)} in a constant expression`);
  }
}

/** One function type of the type section (other type forms are not supported). */
export function readFuncType(r: Reader): FuncType {
  const form = r.u8();
  if (form !== 0x60) throw new Error(`type form 0x${form.toString(16)} is not supported (only function types)`);
  const params = Array.from(r.take(r.u32()));
  const results = Array.from(r.take(r.u32()));
  return { params, results };
}

/** One entry of the import section. */
export function readImport(r: Reader): Import {
  const module = r.name();
  const name = r.name();
  const kind = r.u8();
  let desc: ImportDesc;
  if (kind === 0) desc = { kind, typeIndex: r.u32() };
  else if (kind === 1) { const elemType = r.u8(); const l = readLimits(r); desc = { kind, elemType, min: l.min, max: l.max }; }
  else if (kind === 2) { const l = readLimits(r); desc = { kind, flags: l.flags, min: l.min, max: l.max }; }
  else if (kind === 3) desc = { kind, valType: r.u8(), mutable: r.u8() === 1 };
  else if (kind === 4) desc = { kind, attribute: r.u8(), typeIndex: r.u32() };
  else throw new Error(`unknown import kind ${kind}`);
  return { module, name, desc };
}

/** One entry of the global section. */
export function readGlobal(r: Reader): Global {
  const valType = r.u8();
  const mutable = r.u8() === 1;
  return { valType, mutable, init: readConstExpr(r) };
}

/** One entry of the export section. */
export function readExport(r: Reader): Export {
  return { name: r.name(), kind: r.u8(), index: r.u32() };
}

export function parseModule(bytes: Uint8Array): Module {
  const m: Module = {
    types: [], imports: [], functions: [], tables: null, memories: null, globals: [], exports: [],
    start: null, elements: [], bodies: [], data: [], customs: [],
  };
  for (const s of readSections(bytes)) {
    const r = new Reader(s.payload);
    switch (s.id) {
      case SectionId.custom:
        m.customs.push({ name: r.name(), payload: s.payload.subarray(r.pos), beforeSection: nextSectionAfter(m) });
        break;
      case SectionId.type:
        for (let n = r.u32(); n > 0; n--) m.types.push(readFuncType(r));
        break;
      case SectionId.import:
        for (let n = r.u32(); n > 0; n--) m.imports.push(readImport(r));
        break;
      case SectionId.function:
        for (let n = r.u32(); n > 0; n--) m.functions.push(r.u32());
        break;
      case SectionId.table: m.tables = s.payload; break;
      case SectionId.memory: m.memories = s.payload; break;
      case SectionId.global:
        for (let n = r.u32(); n > 0; n--) m.globals.push(readGlobal(r));
        break;
      case SectionId.export:
        for (let n = r.u32(); n > 0; n--) m.exports.push(readExport(r));
        break;
      case SectionId.start: m.start = r.u32(); break;
      case SectionId.element:
        for (let n = r.u32(); n > 0; n--) {
          const flags = r.u32();
          if (flags !== 0) throw new Error(`element segment form ${flags} is not supported (expected active funcref, table 0)`);
          const offset = readConstExpr(r);
          const funcs: number[] = [];
          for (let k = r.u32(); k > 0; k--) funcs.push(r.u32());
          m.elements.push({ offset, funcs });
        }
        break;
      case SectionId.dataCount: break; // recomputed on write
      case SectionId.code:
        for (let n = r.u32(); n > 0; n--) {
          const size = r.u32();
          const end = r.pos + size;
          const body = new Reader(r.bytes, r.pos, end);
          const localsStart = body.pos;
          for (let k = body.u32(); k > 0; k--) { body.u32(); body.u8(); }
          m.bodies.push({ locals: r.bytes.slice(localsStart, body.pos), code: r.bytes.slice(body.pos, end) });
          r.pos = end;
        }
        break;
      case SectionId.data:
        for (let n = r.u32(); n > 0; n--) {
          const flags = r.u32();
          if (flags !== 0) throw new Error(`data segment form ${flags} is not supported (expected active, memory 0)`);
          const offset = readConstExpr(r);
          m.data.push({ offset, bytes: r.take(r.u32()).slice() });
        }
        break;
      default:
        throw new Error(`unknown section id ${s.id}`);
    }
  }
  return m;
}

function nextSectionAfter(m: Module): number {
  // Custom sections are re-emitted in place relative to the known sections.
  if (m.data.length) return SectionId.dataCount + 100;
  if (m.bodies.length) return SectionId.data;
  return 0;
}

export function countImports(m: Module, kind: number): number {
  return m.imports.filter((i) => i.desc.kind === kind).length;
}

function writeLimits(w: Writer, flags: number, min: number, max?: number): void {
  w.u8(max === undefined ? flags & ~1 : flags | 1).u32(min);
  if (max !== undefined) w.u32(max);
}

export interface EncodeOptions {
  /** Custom sections to put first (e.g. `dylink.0`, which must be the first section). */
  leadingCustoms?: { name: string; payload: Uint8Array }[];
  keepCustom?: (name: string) => boolean;
}

export function encodeModule(m: Module, options: EncodeOptions = {}): Uint8Array {
  const out = new Writer().bytes(MAGIC);
  const section = (id: number, body: Writer | Uint8Array) => out.u8(id).sized(body);
  const vec = <T>(items: T[], each: (w: Writer, item: T) => void) => {
    const w = new Writer().u32(items.length);
    for (const item of items) each(w, item);
    return w;
  };
  const custom = (name: string, payload: Uint8Array) => section(0, new Writer().name(name).bytes(payload));

  for (const c of options.leadingCustoms ?? []) custom(c.name, c.payload);
  if (m.types.length) section(1, vec(m.types, (w, t) => w.u8(0x60).u32(t.params.length).bytes(t.params).u32(t.results.length).bytes(t.results)));
  if (m.imports.length) section(2, vec(m.imports, (w, imp) => {
    w.name(imp.module).name(imp.name).u8(imp.desc.kind);
    const d = imp.desc;
    if (d.kind === 0) w.u32(d.typeIndex);
    else if (d.kind === 1) { w.u8(d.elemType); writeLimits(w, 0, d.min, d.max); }
    else if (d.kind === 2) writeLimits(w, d.flags, d.min, d.max);
    else if (d.kind === 3) w.u8(d.valType).u8(d.mutable ? 1 : 0);
    else w.u8(d.attribute).u32(d.typeIndex);
  }));
  if (m.functions.length) section(3, vec(m.functions, (w, f) => w.u32(f)));
  if (m.tables) section(4, m.tables);
  if (m.memories) section(5, m.memories);
  if (m.globals.length) section(6, vec(m.globals, (w, g) => w.u8(g.valType).u8(g.mutable ? 1 : 0).bytes(g.init).u8(0x0b)));
  if (m.exports.length) section(7, vec(m.exports, (w, e) => w.name(e.name).u8(e.kind).u32(e.index)));
  if (m.start !== null) section(8, new Writer().u32(m.start));
  if (m.elements.length) section(9, vec(m.elements, (w, e) => { w.u32(0).bytes(e.offset).u8(0x0b); w.u32(e.funcs.length); for (const f of e.funcs) w.u32(f); }));
  if (m.bodies.length) section(10, vec(m.bodies, (w, b) => w.sized(new Writer().bytes(b.locals).bytes(b.code))));
  if (m.data.length) section(11, vec(m.data, (w, d) => w.u32(0).bytes(d.offset).u8(0x0b).u32(d.bytes.length).bytes(d.bytes)));
  for (const c of m.customs) if (options.keepCustom?.(c.name)) custom(c.name, c.payload);
  return out.finish();
}

/** Export names of a module, reading only its export section (fast on large libraries). */
export function readExportNames(bytes: Uint8Array): string[] {
  const names: string[] = [];
  for (const s of readSections(bytes)) {
    if (s.id !== SectionId.export) continue;
    const r = new Reader(s.payload);
    for (let n = r.u32(); n > 0; n--) names.push(readExport(r).name);
  }
  return names;
}
