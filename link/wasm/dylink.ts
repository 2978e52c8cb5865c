// The `dylink.0` custom section of the WebAssembly dynamic-linking convention
// (tool-conventions/DynamicLinking.md): what a shared library tells the linker
// about its static data, its table slots and the libraries it needs.
//
//   dylink.0 := subsection*
//   subsection := id:u8 size:u32 payload
//     1 MEM_INFO    memory_size:u32 memory_align:u32 table_size:u32 table_align:u32  (alignments are log2)
//     2 NEEDED      vec(name)
//     3 EXPORT_INFO vec(name flags:u32)
//     4 IMPORT_INFO vec(module name flags:u32)

import { Reader, Writer } from "./bytes.ts";
import { customSectionBody, customSectionName, readSections, SectionId } from "./module.ts";

export const DYLINK_SECTION = "dylink.0";

export const Subsection = { memInfo: 1, needed: 2, exportInfo: 3, importInfo: 4 } as const;

export interface MemInfo { memorySize: number; memoryAlign: number; tableSize: number; tableAlign: number }

export interface Dylink {
  memInfo?: MemInfo;
  needed: string[];
  exportInfo: { name: string; flags: number }[];
  importInfo: { module: string; name: string; flags: number }[];
}

export function decodeDylink(payload: Uint8Array): Dylink {
  const result: Dylink = { needed: [], exportInfo: [], importInfo: [] };
  const r = new Reader(payload);
  while (!r.done) {
    const id = r.u8();
    const size = r.u32();
    const sub = new Reader(payload, r.pos, r.pos + size);
    switch (id) {
      case Subsection.memInfo:
        result.memInfo = { memorySize: sub.u32(), memoryAlign: sub.u32(), tableSize: sub.u32(), tableAlign: sub.u32() };
        break;
      case Subsection.needed:
        for (let n = sub.u32(); n > 0; n--) result.needed.push(sub.name());
        break;
      case Subsection.exportInfo:
        for (let n = sub.u32(); n > 0; n--) result.exportInfo.push({ name: sub.name(), flags: sub.u32() });
        break;
      case Subsection.importInfo:
        for (let n = sub.u32(); n > 0; n--) result.importInfo.push({ module: sub.name(), name: sub.name(), flags: sub.u32() });
        break;
      default:
        throw new Error(`unknown dylink.0 subsection id ${id}`);
    }
    if (sub.pos !== sub.end) throw new Error(`dylink.0 subsection ${id} has ${sub.end - sub.pos} trailing bytes`);
    r.pos += size;
  }
  return result;
}

/** Encodes subsections in id order, omitting empty ones (as LLVM's wasm-ld does). */
export function encodeDylink(d: Dylink): Uint8Array {
  const w = new Writer();
  if (d.memInfo) {
    const m = d.memInfo;
    w.u8(Subsection.memInfo).sized(new Writer().u32(m.memorySize).u32(m.memoryAlign).u32(m.tableSize).u32(m.tableAlign));
  }
  if (d.needed.length) {
    const s = new Writer().u32(d.needed.length);
    for (const n of d.needed) s.name(n);
    w.u8(Subsection.needed).sized(s);
  }
  if (d.exportInfo.length) {
    const s = new Writer().u32(d.exportInfo.length);
    for (const e of d.exportInfo) s.name(e.name).u32(e.flags);
    w.u8(Subsection.exportInfo).sized(s);
  }
  if (d.importInfo.length) {
    const s = new Writer().u32(d.importInfo.length);
    for (const i of d.importInfo) s.name(i.module).name(i.name).u32(i.flags);
    w.u8(Subsection.importInfo).sized(s);
  }
  return w.finish();
}

/** The raw `dylink.0` payload of a module, or null when it has none. */
export function findDylinkPayload(module: Uint8Array): Uint8Array | null {
  for (const s of readSections(module)) {
    if (s.id === SectionId.custom && customSectionName(s) === DYLINK_SECTION) return customSectionBody(s);
  }
  return null;
}
