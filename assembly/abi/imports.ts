// Calling the world's imports through wit-dylib's adapters: make a cx, push
// the arguments (first parameter on top), call `impl`, read the results the
// bindings pushed back onto the same cx.

import { Cx, cxDefer, cxFree, cxNew, cxReset, popCase, popString, pushI32, pushString, slotAt, SLOT_FIELDS, SLOT_LIST, SLOT_STRING, Slot, top } from "./value-stack";
import { importFuncNamed, ImportFunc } from "./metadata";
import { STATUS_RETURNED } from "./intrinsics";
import { fatal } from "../fatal";
import { mallocCopy, mallocOrDie } from "../libc";

let listCallbacksFn: ImportFunc | null = null;
let reportTraceFn: ImportFunc | null = null;
let invokeFn: ImportFunc | null = null;

/** Looks the three imports up by name (eryx does not rely on their indices). */
export function resolveImports(): void {
  listCallbacksFn = importFuncNamed("list-callbacks");
  reportTraceFn = importFuncNamed("report-trace");
  invokeFn = importFuncNamed("invoke");
  if (listCallbacksFn === null || reportTraceFn === null || invokeFn === null) fatal("the world lacks invoke, list-callbacks or report-trace");
}

/**
 * Calls `list-callbacks`. Returns the cx holding the lifted list (a LIST of
 * FIELDS slots: name, description, parameters-schema-json); the caller reads
 * it with `callbackField` and frees it with `cxFree`.
 */
export function listCallbacks(): Cx {
  let cx = cxNew();
  call_indirect<void>(listCallbacksFn!.impl, changetype<usize>(cx));
  let list = top(cx);
  if (list.kind != SLOT_LIST) fatal("list-callbacks did not return a list");
  return cx;
}

/** Number of records in the list `listCallbacks` returned. */
export function callbackCount(cx: Cx): u32 {
  return top(cx).b;
}

/** Field `field` (0 name, 1 description, 2 schema) of record `i`: a STRING slot. */
export function callbackField(cx: Cx, i: u32, field: u32): Slot {
  let record = slotAt(<usize>top(cx).a, i);
  if (record.kind != SLOT_FIELDS || record.b != 3) fatal("callback-info is not a 3-field record");
  let s = slotAt(<usize>record.a, field);
  if (s.kind != SLOT_STRING) fatal("callback-info field is not a string");
  return s;
}

// One cx for every `report-trace` call (one per traced event): reset, not freed.
let traceCx: usize = 0;

/** Calls `report-trace`; the strings are only borrowed for the call. */
export function reportTrace(lineno: u32, event: usize, eventLen: usize, context: usize, contextLen: usize): void {
  if (!traceCx) traceCx = changetype<usize>(cxNew());
  let cx = changetype<Cx>(traceCx);
  pushString(cx, context, contextLen, false);
  pushString(cx, event, eventLen, false);
  pushI32(cx, lineno);
  call_indirect<void>(reportTraceFn!.impl, changetype<usize>(cx));
  cxReset(cx);
}

/** What `invokeStart` found: finished now (with a result on the cx), or a subtask to wait for. */
@unmanaged export class InvokeStart {
  cx: usize;
  area: usize;
  subtask: u32;
  returned: bool;
}

/**
 * Starts the async `invoke` import. The argument strings are copied into
 * blocks owned by the cx, and the cx and ABI area must both stay alive until
 * the subtask has returned and been lifted (the host may read the arguments
 * late, and writes the result into the area).
 */
export function invokeStart(name: usize, nameLen: usize, args: usize, argsLen: usize, out: InvokeStart): void {
  let f = invokeFn!;
  let cx = cxNew();
  let area = mallocOrDie(max<usize>(<usize>f.asyncAbiAreaSize, 8), "the ABI area of an async call");
  cxDefer(cx, area);
  pushString(cx, mallocCopy(args, argsLen), argsLen, true);
  pushString(cx, mallocCopy(name, nameLen), nameLen, true);
  let status = call_indirect<u32>(f.asyncImpl, changetype<usize>(cx), area);
  out.cx = changetype<usize>(cx);
  out.area = area;
  out.subtask = status >> 4;
  out.returned = (status & 0xf) == STATUS_RETURNED;
  if (out.returned) liftInvokeResult(changetype<usize>(cx), area);
}

/** Lifts a returned `invoke` result onto its cx (result<string,string>). */
export function liftInvokeResult(cx: usize, area: usize): void {
  call_indirect<void>(invokeFn!.asyncLiftImpl, cx, area);
}

/**
 * Pops the lifted `result<string, string>`: returns true for ok; the text
 * (owned by the cx until it is freed) is written to `*textOut`/returned length.
 */
export function popInvokeResult(cx: Cx, textOut: usize, lenOut: usize): bool {
  let discr = popCase(cx);
  store<usize>(lenOut, popString(cx, textOut));
  return discr == 0;
}
