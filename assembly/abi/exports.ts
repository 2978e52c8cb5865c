// Every `wit_dylib_*` function the generated bindings import (wasm-tools
// 1.243, wit_dylib.h). Ownership, per the header: `push_string`/adopted
// `push_list` buffers come from `cabi_realloc` and become ours; what
// `pop_string`/`pop_list` hand out stays valid until the cx is freed.
//
// Kinds this world never uses (resources, flags, enums, futures, streams)
// abort with a message instead of trapping silently.

import {
  Cx, cxDefer, listAppend, popCase, popFields, popI32, popI64, popIter, popIterNext, popList, popString,
  pushBytes, pushCase, pushEmptyList, pushFields, pushI32, pushI64, pushString, SLOT_F32, SLOT_F64, SLOT_I64,
} from "./value-stack";
import { caseHasPayload, fieldCount, rawElementSize, setMetadata } from "./metadata";
import { free } from "../libc";
import { unsupported } from "../fatal";
import { exportAsyncCall, exportAsyncCallback, exportCall, exportFinish, exportStart, initialize } from "../dispatch";

export function wit_dylib_initialize(wit: usize): void {
  if (!setMetadata(wit)) return; // already initialised (e.g. a pre-initialised image)
  initialize();
}

export function wit_dylib_dealloc_bytes(cx: usize, ptr: usize, size: usize, align: usize, defer: bool): void {
  if (size == 0 || ptr == 0) return; // zero-size blocks are dangling, never malloc'd
  if (defer) cxDefer(changetype<Cx>(cx), ptr);
  else free(ptr);
}

export function wit_dylib_export_start(which: usize): usize {
  return exportStart(<u32>which);
}

export function wit_dylib_export_call(cx: usize, which: usize): void {
  exportCall(cx, <u32>which);
}

export function wit_dylib_export_async_call(cx: usize, which: usize): u32 {
  return exportAsyncCall(cx, <u32>which);
}

export function wit_dylib_export_async_callback(event: u32, handle: u32, payload: u32, which: u32): u32 {
  return exportAsyncCallback(event, handle, payload, which);
}

export function wit_dylib_export_finish(cx: usize, which: usize): void {
  exportFinish(cx, <u32>which);
}

export function wit_dylib_resource_dtor(ty: usize, handle: usize): void {
  unsupported("resource_dtor");
}

// --- lifting (bindings push) --------------------------------------------

export function wit_dylib_push_bool(cx: usize, v: u32): void { pushI32(changetype<Cx>(cx), v ? 1 : 0); }
export function wit_dylib_push_char(cx: usize, v: u32): void { pushI32(changetype<Cx>(cx), v); }
export function wit_dylib_push_u8(cx: usize, v: u32): void { pushI32(changetype<Cx>(cx), v & 0xff); }
export function wit_dylib_push_s8(cx: usize, v: i32): void { pushI32(changetype<Cx>(cx), <u32><i8>v); }
export function wit_dylib_push_u16(cx: usize, v: u32): void { pushI32(changetype<Cx>(cx), v & 0xffff); }
export function wit_dylib_push_s16(cx: usize, v: i32): void { pushI32(changetype<Cx>(cx), <u32><i16>v); }
export function wit_dylib_push_u32(cx: usize, v: u32): void { pushI32(changetype<Cx>(cx), v); }
export function wit_dylib_push_s32(cx: usize, v: i32): void { pushI32(changetype<Cx>(cx), <u32>v); }
export function wit_dylib_push_u64(cx: usize, v: u64): void { pushI64(changetype<Cx>(cx), SLOT_I64, v); }
export function wit_dylib_push_s64(cx: usize, v: i64): void { pushI64(changetype<Cx>(cx), SLOT_I64, <u64>v); }
export function wit_dylib_push_f32(cx: usize, v: f32): void { pushI64(changetype<Cx>(cx), SLOT_F32, <u64>reinterpret<u32>(v)); }
export function wit_dylib_push_f64(cx: usize, v: f64): void { pushI64(changetype<Cx>(cx), SLOT_F64, reinterpret<u64>(v)); }

export function wit_dylib_push_string(cx: usize, ptr: usize, len: usize): void {
  pushString(changetype<Cx>(cx), ptr, len, len > 0);
}

export function wit_dylib_push_record(cx: usize, ty: usize): void {
  pushFields(changetype<Cx>(cx), fieldCount(<u32>ty << 8 | 14));
}

export function wit_dylib_push_tuple(cx: usize, ty: usize): void {
  pushFields(changetype<Cx>(cx), fieldCount(<u32>ty << 8 | 18));
}

export function wit_dylib_push_option(cx: usize, ty: usize, discr: u32): void {
  pushCase(changetype<Cx>(cx), discr, caseHasPayload(<u32>ty << 8 | 21, discr));
}

export function wit_dylib_push_result(cx: usize, ty: usize, discr: u32): void {
  pushCase(changetype<Cx>(cx), discr, caseHasPayload(<u32>ty << 8 | 22, discr));
}

export function wit_dylib_push_variant(cx: usize, ty: usize, discr: u32): void {
  pushCase(changetype<Cx>(cx), discr, caseHasPayload(<u32>ty << 8 | 19, discr));
}

export function wit_dylib_push_list(cx: usize, ty: usize, ptr: usize, len: usize): u32 {
  let c = changetype<Cx>(cx);
  if (rawElementSize(<u32>ty << 8 | 23)) {
    pushBytes(c, ptr, len, len > 0); // adopt the canonical buffer as is
    return 1;
  }
  pushEmptyList(c); // the bindings append element by element, then free the buffer
  return 0;
}

export function wit_dylib_list_append(cx: usize, ty: usize): void {
  listAppend(changetype<Cx>(cx));
}

export function wit_dylib_push_flags(cx: usize, ty: usize, v: u32): void { unsupported("push_flags"); }
export function wit_dylib_push_enum(cx: usize, ty: usize, v: u32): void { unsupported("push_enum"); }
export function wit_dylib_push_borrow(cx: usize, ty: usize, v: u32): void { unsupported("push_borrow"); }
export function wit_dylib_push_own(cx: usize, ty: usize, v: u32): void { unsupported("push_own"); }
export function wit_dylib_push_future(cx: usize, ty: usize, v: u32): void { unsupported("push_future"); }
export function wit_dylib_push_stream(cx: usize, ty: usize, v: u32): void { unsupported("push_stream"); }

// --- lowering (bindings pop) --------------------------------------------

export function wit_dylib_pop_u8(cx: usize): u32 { return popI32(changetype<Cx>(cx)) & 0xff; }
export function wit_dylib_pop_u16(cx: usize): u32 { return popI32(changetype<Cx>(cx)) & 0xffff; }
export function wit_dylib_pop_u32(cx: usize): u32 { return popI32(changetype<Cx>(cx)); }
export function wit_dylib_pop_s8(cx: usize): i32 { return <i32><i8>popI32(changetype<Cx>(cx)); }
export function wit_dylib_pop_s16(cx: usize): i32 { return <i32><i16>popI32(changetype<Cx>(cx)); }
export function wit_dylib_pop_s32(cx: usize): i32 { return <i32>popI32(changetype<Cx>(cx)); }
export function wit_dylib_pop_bool(cx: usize): u32 { return popI32(changetype<Cx>(cx)) ? 1 : 0; }
export function wit_dylib_pop_char(cx: usize): u32 { return popI32(changetype<Cx>(cx)); }
export function wit_dylib_pop_u64(cx: usize): u64 { return popI64(changetype<Cx>(cx)); }
export function wit_dylib_pop_s64(cx: usize): i64 { return <i64>popI64(changetype<Cx>(cx)); }
export function wit_dylib_pop_f32(cx: usize): f32 { return reinterpret<f32>(<u32>popI64(changetype<Cx>(cx))); }
export function wit_dylib_pop_f64(cx: usize): f64 { return reinterpret<f64>(popI64(changetype<Cx>(cx))); }

export function wit_dylib_pop_string(cx: usize, out: usize): usize {
  return popString(changetype<Cx>(cx), out);
}

export function wit_dylib_pop_option(cx: usize, ty: usize): u32 { return popCase(changetype<Cx>(cx)); }
export function wit_dylib_pop_result(cx: usize, ty: usize): u32 { return popCase(changetype<Cx>(cx)); }
export function wit_dylib_pop_variant(cx: usize, ty: usize): u32 { return popCase(changetype<Cx>(cx)); }
export function wit_dylib_pop_record(cx: usize, ty: usize): void { popFields(changetype<Cx>(cx)); }
export function wit_dylib_pop_tuple(cx: usize, ty: usize): void { popFields(changetype<Cx>(cx)); }

export function wit_dylib_pop_list(cx: usize, ty: usize, out: usize): usize {
  return popList(changetype<Cx>(cx), out);
}

export function wit_dylib_pop_iter_next(cx: usize, ty: usize): void { popIterNext(changetype<Cx>(cx)); }
export function wit_dylib_pop_iter(cx: usize, ty: usize): void { popIter(changetype<Cx>(cx)); }

export function wit_dylib_pop_flags(cx: usize, ty: usize): u32 { unsupported("pop_flags"); return 0; }
export function wit_dylib_pop_enum(cx: usize, ty: usize): u32 { unsupported("pop_enum"); return 0; }
export function wit_dylib_pop_borrow(cx: usize, ty: usize): u32 { unsupported("pop_borrow"); return 0; }
export function wit_dylib_pop_own(cx: usize, ty: usize): u32 { unsupported("pop_own"); return 0; }
export function wit_dylib_pop_future(cx: usize, ty: usize): u32 { unsupported("pop_future"); return 0; }
export function wit_dylib_pop_stream(cx: usize, ty: usize): u32 { unsupported("pop_stream"); return 0; }
