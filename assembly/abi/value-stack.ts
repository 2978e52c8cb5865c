// The canonical-ABI value stack behind wit-dylib's opaque `cx`.
//
// The generated bindings lift a WIT value by pushing its parts (scalars,
// strings, then `push_record`/`push_result`/... to compose) and lower one by
// popping (`pop_result` returns the discriminant and leaves the payload on
// top; `pop_record` replaces a record by its fields, first field on top).
// This file owns that stack and every byte it holds: when a cx is freed, all
// values still on it, every string handed out by `pop_string`, and every
// block registered with `dealloc_bytes(defer=1)` are freed with libc `free`.
//
//   Cx (malloc'd)                             Slot (16 bytes)
//   ┌───────┬─────┬─────┬──────────┬──────┬──────┐   ┌──────┬─────┬─────┬─────┐
//   │ slots │ len │ cap │ deferred │ dlen │ dcap │   │ kind │  a  │  b  │  c  │
//   └───────┴─────┴─────┴──────────┴──────┴──────┘   └──────┴─────┴─────┴─────┘
//
//   kind      a              b               c
//   I32       value          -               -
//   I64/F64   -              low word        high word   (8 bytes at offset 8)
//   F32       bits           -               -
//   STRING    ptr            byte length     1 = owned by this cx
//   BYTES     ptr            element count   1 = owned   (list in canonical layout)
//   LIST      Slot array     count           capacity    (list of composite values)
//   FIELDS    Slot array     count           -           (record or tuple)
//   CASE      discriminant   payload Slot*   -           (option, result, variant)
//   ITER      Slot array     count           next index  (a LIST being lowered)

import { free, mallocOrDie, realloc } from "../libc";
import { fatal, outOfMemory } from "../fatal";

export const SLOT_I32: u32 = 1;
export const SLOT_I64: u32 = 2;
export const SLOT_F32: u32 = 3;
export const SLOT_F64: u32 = 4;
export const SLOT_STRING: u32 = 5;
export const SLOT_BYTES: u32 = 6;
export const SLOT_LIST: u32 = 7;
export const SLOT_FIELDS: u32 = 8;
export const SLOT_CASE: u32 = 9;
export const SLOT_ITER: u32 = 10;

export const SLOT_SIZE: usize = 16;

@unmanaged export class Slot {
  kind: u32;
  a: u32;
  b: u32;
  c: u32;
}

@unmanaged export class Cx {
  slots: usize;
  len: u32;
  cap: u32;
  deferred: usize;
  dlen: u32;
  dcap: u32;
}

function checkedMalloc(size: usize): usize {
  return mallocOrDie(size, "the value stack");
}

function checkedRealloc(ptr: usize, size: usize): usize {
  let p = realloc(ptr, size);
  if (p == 0) outOfMemory(size, "the value stack");
  return p;
}

/** Misuse of the stack by the bindings (or by us): a runtime bug, never user input. */
function misuse(what: string): void {
  fatal("value stack: " + what);
}

function expectKind(s: Slot, kind: u32, op: string): void {
  if (s.kind != kind) misuse(op + " expects " + kindName(kind) + " on top, found " + kindName(s.kind));
}

function kindName(kind: u32): string {
  switch (kind) {
    case SLOT_I32: return "an i32";
    case SLOT_I64: return "an i64";
    case SLOT_F32: return "an f32";
    case SLOT_F64: return "an f64";
    case SLOT_STRING: return "a string";
    case SLOT_BYTES: return "a byte list";
    case SLOT_LIST: return "a list";
    case SLOT_FIELDS: return "a record or tuple";
    case SLOT_CASE: return "an option/result/variant";
    case SLOT_ITER: return "a list iterator";
    default: return "an empty slot";
  }
}

export function cxNew(): Cx {
  let cx = changetype<Cx>(checkedMalloc(offsetof<Cx>()));
  cx.slots = 0;
  cx.len = 0;
  cx.cap = 0;
  cx.deferred = 0;
  cx.dlen = 0;
  cx.dcap = 0;
  return cx;
}

/** Registers a malloc block to be freed with the cx (zero pointers are ignored). */
export function cxDefer(cx: Cx, ptr: usize): void {
  if (ptr == 0) return;
  if (cx.dlen == cx.dcap) {
    cx.dcap = cx.dcap ? cx.dcap * 2 : 8;
    cx.deferred = checkedRealloc(cx.deferred, <usize>cx.dcap * sizeof<usize>());
  }
  store<usize>(cx.deferred + <usize>cx.dlen * sizeof<usize>(), ptr);
  cx.dlen++;
}

export function cxFree(cx: Cx): void {
  for (let i: u32 = 0; i < cx.len; i++) slotRelease(slotAt(cx.slots, i));
  free(cx.slots);
  for (let i: u32 = 0; i < cx.dlen; i++) free(load<usize>(cx.deferred + <usize>i * sizeof<usize>()));
  free(cx.deferred);
  free(changetype<usize>(cx));
}

/**
 * Empties a cx for reuse: frees what its values and deferred blocks own, as
 * `cxFree` does, but keeps the cx and its arrays (no allocation next time).
 */
export function cxReset(cx: Cx): void {
  for (let i: u32 = 0; i < cx.len; i++) slotRelease(slotAt(cx.slots, i));
  cx.len = 0;
  for (let i: u32 = 0; i < cx.dlen; i++) free(load<usize>(cx.deferred + <usize>i * sizeof<usize>()));
  cx.dlen = 0;
}

// @ts-ignore: decorator
@inline export function slotAt(array: usize, i: u32): Slot {
  return changetype<Slot>(array + <usize>i * SLOT_SIZE);
}

/** Frees what a slot owns (not the slot's own memory). */
export function slotRelease(s: Slot): void {
  let kind = s.kind;
  if ((kind == SLOT_STRING || kind == SLOT_BYTES) && s.c) {
    free(<usize>s.a);
  } else if (kind == SLOT_LIST || kind == SLOT_FIELDS || kind == SLOT_ITER) {
    for (let i: u32 = kind == SLOT_ITER ? s.c : 0; i < s.b; i++) slotRelease(slotAt(<usize>s.a, i));
    free(<usize>s.a);
  } else if (kind == SLOT_CASE && s.b) {
    slotRelease(changetype<Slot>(<usize>s.b));
    free(<usize>s.b);
  }
  s.kind = 0;
}

/** Reserves a new slot on top and returns it (contents to be filled by the caller). */
export function pushSlot(cx: Cx): Slot {
  if (cx.len == cx.cap) {
    cx.cap = cx.cap ? cx.cap * 2 : 8;
    cx.slots = checkedRealloc(cx.slots, <usize>cx.cap * SLOT_SIZE);
  }
  let s = slotAt(cx.slots, cx.len++);
  s.kind = 0;
  s.a = 0;
  s.b = 0;
  s.c = 0;
  return s;
}

export function top(cx: Cx): Slot {
  if (cx.len == 0) misuse("pop from an empty stack (more values popped than pushed)");
  return slotAt(cx.slots, cx.len - 1);
}

/** Removes the top slot, copying it into `out` (the caller now owns its contents). */
export function popInto(cx: Cx, out: Slot): void {
  let s = top(cx);
  memory.copy(changetype<usize>(out), changetype<usize>(s), SLOT_SIZE);
  cx.len--;
}

/** Moves `count` slots from the top of the stack into a fresh array (bottom-most first). */
export function takeTop(cx: Cx, count: u32): usize {
  if (count > cx.len) misuse("a record or tuple of " + count.toString() + " fields, but only " + cx.len.toString() + " value(s) on the stack");
  let array = checkedMalloc(<usize>max<u32>(count, 1) * SLOT_SIZE);
  cx.len -= count;
  memory.copy(array, cx.slots + <usize>cx.len * SLOT_SIZE, <usize>count * SLOT_SIZE);
  return array;
}

/** Pushes the slots of `array[0..count)` so that `array[0]` ends on top. */
export function spreadReversed(cx: Cx, array: usize, count: u32): void {
  for (let i = <i32>count - 1; i >= 0; i--) {
    let s = pushSlot(cx);
    memory.copy(changetype<usize>(s), changetype<usize>(slotAt(array, <u32>i)), SLOT_SIZE);
  }
}

export function pushI32(cx: Cx, v: u32): void {
  let s = pushSlot(cx);
  s.kind = SLOT_I32;
  s.a = v;
}

export function pushI64(cx: Cx, kind: u32, v: u64): void {
  let s = pushSlot(cx);
  s.kind = kind;
  store<u64>(changetype<usize>(s) + 8, v);
}

/** A STRING or BYTES slot over a buffer; with `owned`, the malloc block is freed with the cx. */
function pushBuffer(cx: Cx, kind: u32, ptr: usize, length: usize, owned: bool): void {
  let s = pushSlot(cx);
  s.kind = kind;
  s.a = <u32>ptr;
  s.b = <u32>length;
  s.c = owned ? 1 : 0;
}

/** Pushes a UTF-8 string of `len` bytes. */
export function pushString(cx: Cx, ptr: usize, len: usize, owned: bool): void {
  pushBuffer(cx, SLOT_STRING, ptr, len, owned);
}

/** Pushes a list already in canonical layout (`count` elements). */
export function pushBytes(cx: Cx, ptr: usize, count: usize, owned: bool): void {
  pushBuffer(cx, SLOT_BYTES, ptr, count, owned);
}

/** Wraps the value on top (if `hasPayload`) into an option/result/variant case. */
export function pushCase(cx: Cx, discr: u32, hasPayload: bool): void {
  let payload: usize = 0;
  if (hasPayload) {
    payload = checkedMalloc(SLOT_SIZE);
    popInto(cx, changetype<Slot>(payload));
  }
  let s = pushSlot(cx);
  s.kind = SLOT_CASE;
  s.a = discr;
  s.b = <u32>payload;
}

export function pushFields(cx: Cx, count: u32): void {
  let array = takeTop(cx, count);
  let s = pushSlot(cx);
  s.kind = SLOT_FIELDS;
  s.a = <u32>array;
  s.b = count;
}

export function pushEmptyList(cx: Cx): void {
  let s = pushSlot(cx);
  s.kind = SLOT_LIST;
}

/** Pops the element on top and appends it to the LIST just below it. */
export function listAppend(cx: Cx): void {
  if (cx.len < 2) misuse("list_append needs an element on a list, but the stack holds " + cx.len.toString() + " value(s)");
  let element = top(cx);
  let list = slotAt(cx.slots, cx.len - 2);
  if (list.kind != SLOT_LIST) misuse("list_append expects a list below the element, found " + kindName(list.kind));
  if (list.b == list.c) {
    list.c = list.c ? list.c * 2 : 4;
    list.a = <u32>checkedRealloc(<usize>list.a, <usize>list.c * SLOT_SIZE);
  }
  memory.copy(changetype<usize>(slotAt(<usize>list.a, list.b)), changetype<usize>(element), SLOT_SIZE);
  list.b++;
  cx.len--;
}

/**
 * Pops a string. Its bytes stay valid until the cx is freed (the bindings
 * copy them after popping), so an owned buffer moves to the deferred list.
 */
export function popString(cx: Cx, outPtr: usize): usize {
  let s = top(cx);
  expectKind(s, SLOT_STRING, "pop_string");
  let ptr = <usize>s.a;
  let len = <usize>s.b;
  if (s.c) cxDefer(cx, ptr);
  cx.len--;
  if (outPtr) store<usize>(outPtr, ptr);
  return len;
}

export function popI32(cx: Cx): u32 {
  let s = top(cx);
  expectKind(s, SLOT_I32, "popping a 32-bit scalar");
  cx.len--;
  return s.a;
}

export function popI64(cx: Cx): u64 {
  let s = top(cx);
  if (s.kind != SLOT_I64 && s.kind != SLOT_F64 && s.kind != SLOT_F32) misuse("popping a 64-bit or float scalar, found " + kindName(s.kind));
  cx.len--;
  return load<u64>(changetype<usize>(s) + 8);
}

/** Pops a case and leaves its payload (if any) on top; returns the discriminant. */
export function popCase(cx: Cx): u32 {
  let s = top(cx);
  expectKind(s, SLOT_CASE, "pop_option/pop_result/pop_variant");
  let discr = s.a;
  let payload = <usize>s.b;
  cx.len--;
  if (payload) {
    let p = pushSlot(cx);
    memory.copy(changetype<usize>(p), payload, SLOT_SIZE);
    free(payload);
  }
  return discr;
}

/** Replaces a record/tuple on top by its fields, first field on top. */
export function popFields(cx: Cx): void {
  let s = top(cx);
  expectKind(s, SLOT_FIELDS, "pop_record/pop_tuple");
  let array = <usize>s.a;
  let count = s.b;
  cx.len--;
  spreadReversed(cx, array, count);
  free(array);
}

/**
 * Pops a list. Raw byte lists are handed over in place (`*out` = data, kept
 * alive with the cx); lists of composite values become an ITER slot and
 * `*out` = 0, so the bindings pull elements with `pop_iter_next`.
 */
export function popList(cx: Cx, outPtr: usize): usize {
  let s = top(cx);
  if (s.kind == SLOT_BYTES) {
    let ptr = <usize>s.a;
    let count = <usize>s.b;
    if (s.c) cxDefer(cx, ptr);
    cx.len--;
    store<usize>(outPtr, ptr ? ptr : 1); // a non-NULL pointer even for an empty list
    return count;
  }
  if (s.kind != SLOT_LIST) misuse("pop_list expects a list on top, found " + kindName(s.kind));
  s.kind = SLOT_ITER;
  s.c = 0;
  store<usize>(outPtr, 0);
  return <usize>s.b;
}

export function popIterNext(cx: Cx): void {
  let it = top(cx);
  expectKind(it, SLOT_ITER, "pop_iter_next");
  if (it.c >= it.b) misuse("pop_iter_next past the end of a list of " + it.b.toString() + " element(s)");
  let element = slotAt(<usize>it.a, it.c++);
  let s = pushSlot(cx);
  memory.copy(changetype<usize>(s), changetype<usize>(element), SLOT_SIZE);
}

export function popIter(cx: Cx): void {
  let it = top(cx);
  expectKind(it, SLOT_ITER, "pop_iter");
  slotRelease(it);
  cx.len--;
}
