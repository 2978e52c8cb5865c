// Decodes function bodies instruction by instruction: the opcodes asc and
// binaryen emit with AssemblyScript's default features (MVP, sign-ext,
// mutable-globals, nontrapping-f2i, bulk-memory). Anything else is an error,
// so a new feature cannot slip past the relocation diff unnoticed.

import { Reader } from "./bytes.ts";

export interface Instruction {
  /** Opcode; for 0xFC-prefixed instructions `0xfc00 + subop`. */
  op: number;
  /** Byte range of the whole instruction in the body's code. */
  start: number;
  end: number;
  /** Value of an `i32.const` (undefined otherwise). */
  i32?: number;
  /** Index immediate of `global.get`/`global.set`. */
  global?: number;
  /** Memory offset immediate of a load or store. */
  memOffset?: number;
}

export const Op = {
  i32Const: 0x41,
  i32Add: 0x6a,
  globalGet: 0x23,
  globalSet: 0x24,
  end: 0x0b,
  i32Store: 0x36,
} as const;

function blockType(r: Reader): void {
  const b = r.bytes[r.pos];
  if (b === 0x40 || (b >= 0x6f && b <= 0x7f)) r.pos++;
  else r.sleb();
}

function memarg(r: Reader): number {
  const align = r.u32();
  if (align & 0x40) r.u32(); // multi-memory index
  return r.u32();
}

export function* instructions(code: Uint8Array): Generator<Instruction> {
  const r = new Reader(code);
  while (!r.done) {
    const start = r.pos;
    const op = r.u8();
    const ins: Instruction = { op, start, end: 0 };
    if (op === 0x02 || op === 0x03 || op === 0x04) blockType(r);
    else if (op === 0x0c || op === 0x0d || op === 0x10 || op === 0x12 || (op >= 0x20 && op <= 0x22) || op === 0x25 || op === 0x26 || op === 0xd2) r.u32();
    else if (op === 0x23 || op === 0x24) ins.global = r.u32();
    else if (op === 0x0e) { for (let n = r.u32(); n >= 0; n--) r.u32(); }
    else if (op === 0x11 || op === 0x13) { r.u32(); r.u32(); }
    else if (op === 0x1c) { for (let n = r.u32(); n > 0; n--) r.u8(); }
    else if (op >= 0x28 && op <= 0x3e) ins.memOffset = memarg(r);
    else if (op === 0x3f || op === 0x40) r.u8();
    else if (op === 0x41) ins.i32 = r.s32();
    else if (op === 0x42) r.sleb();
    else if (op === 0x43) r.take(4);
    else if (op === 0x44) r.take(8);
    else if (op === 0xd0) r.u8();
    else if (op === 0xfc) {
      const sub = r.u32();
      ins.op = 0xfc00 + sub;
      if (sub <= 7) { /* saturating truncations: no immediates */ }
      else if (sub === 8) { r.u32(); r.u8(); }
      else if (sub === 9 || sub === 13 || sub === 15 || sub === 16 || sub === 17) r.u32();
      else if (sub === 10 || sub === 12 || sub === 14) { r.u32(); r.u32(); }
      else if (sub === 11) r.u8();
      else throw new Error(`unsupported instruction 0xfc ${sub} at byte ${start}`);
    } else if (
      op === 0x00 || op === 0x01 || op === 0x05 || op === 0x0b || op === 0x0f || op === 0x1a || op === 0x1b ||
      (op >= 0x45 && op <= 0xc4) || op === 0xd1
    ) { /* no immediates */ }
    else throw new Error(`unsupported opcode 0x${op.toString(16)} at byte ${start}`);
    ins.end = r.pos;
    yield ins;
  }
}
