// @ts-nocheck: AssemblyScript, compiled by asc (tsconfig.json's tests/**/*.ts would type-check it as TypeScript).
// as-pect tests of assembly/abi/value-stack.ts, the canonical-ABI value stack.
// libc comes from tests/as-pect.config.js: a JS allocator that tracks every block,
// so each test can check that what the stack malloc'd is freed exactly once.

import {
  Cx, Slot, cxNew, cxFree, cxDefer, slotAt, top,
  pushI32, popI32, pushI64, popI64, pushString, popString, pushBytes,
  pushCase, popCase, pushFields, popFields, pushEmptyList, listAppend,
  popList, popIterNext, popIter,
  SLOT_I32, SLOT_I64, SLOT_F32, SLOT_F64, SLOT_STRING, SLOT_BYTES, SLOT_LIST, SLOT_FIELDS, SLOT_CASE, SLOT_ITER, SLOT_SIZE,
} from "../../assembly/abi/value-stack";
import { malloc } from "../../assembly/libc";

// @ts-ignore: decorator
@external("testlibc", "setHeap") declare function setHeap(ptr: usize, size: usize): void;
// @ts-ignore: decorator
@external("testlibc", "liveBlocks") declare function liveBlocks(): i32;
// @ts-ignore: decorator
@external("testlibc", "mallocCount") declare function mallocCount(): i32;
// @ts-ignore: decorator
@external("testlibc", "freeCount") declare function freeCount(): i32;
// @ts-ignore: decorator
@external("testlibc", "badFreeCount") declare function badFreeCount(): i32;
// @ts-ignore: decorator
@external("testlibc", "isLive") declare function isLive(ptr: usize): i32;
// @ts-ignore: decorator
@external("testlibc", "stderrIncludes") declare function stderrIncludes(ptr: usize, len: usize): i32;

/** Whether the runtime's last failure message (on stderr) contains `text`. */
function reported(text: string): bool {
  let bytes = String.UTF8.encode(text);
  return stderrIncludes(changetype<usize>(bytes), bytes.byteLength) != 0;
}

setHeap(memory.data(1 << 20, 16), 1 << 20);

/** A malloc'd copy of `text` (the bindings hand over cabi_realloc buffers like this). */
function mallocString(text: string): usize {
  let bytes = String.UTF8.encode(text);
  let len = <usize>bytes.byteLength;
  let p = malloc(len);
  memory.copy(p, changetype<usize>(bytes), len);
  return p;
}

function bytesAt(ptr: usize, len: usize): string {
  return String.UTF8.decodeUnsafe(ptr, len);
}

/** Out-parameter word for popString/popList. */
const OUT = memory.data(8, 8);

// Globals for the closures passed to toThrow (AS closures cannot capture locals).
let g: Cx = changetype<Cx>(0);

let mallocsBefore = 0;
let freesBefore = 0;

describe("value-stack", () => {
  beforeEach(() => {
    mallocsBefore = mallocCount();
    freesBefore = freeCount();
  });
  afterEach(() => {
    // Every test leaves the allocator as it found it: no leaks, no double frees.
    expect<i32>(liveBlocks()).toBe(0, "blocks still live after the test");
    expect<i32>(mallocCount() - mallocsBefore).toBe(freeCount() - freesBefore, "mallocs and frees balance");
    expect<i32>(badFreeCount()).toBe(0, "no free of a pointer that was not malloc'd");
  });

  it("cxNew starts empty and cxFree releases the cx itself", () => {
    let cx = cxNew();
    expect<u32>(cx.len).toBe(0);
    expect<u32>(cx.dlen).toBe(0);
    expect<i32>(isLive(changetype<usize>(cx))).toBe(1);
    cxFree(cx);
    expect<i32>(isLive(changetype<usize>(cx))).toBe(0);
  });

  it("pushes and pops i32 values, last in first out", () => {
    let cx = cxNew();
    pushI32(cx, 0);
    pushI32(cx, 42);
    pushI32(cx, 0xffffffff);
    expect<u32>(cx.len).toBe(3);
    expect<u32>(top(cx).kind).toBe(SLOT_I32);
    expect<u32>(popI32(cx)).toBe(0xffffffff);
    expect<u32>(popI32(cx)).toBe(42);
    expect<u32>(popI32(cx)).toBe(0);
    expect<u32>(cx.len).toBe(0);
    cxFree(cx);
  });

  it("pushes and pops i64 values with all 64 bits", () => {
    let cx = cxNew();
    pushI64(cx, SLOT_I64, 0x123456789abcdef0);
    pushI64(cx, SLOT_I64, <u64>-1);
    pushI64(cx, SLOT_I64, <u64>i64.MIN_VALUE);
    expect<u32>(top(cx).kind).toBe(SLOT_I64);
    // 8 bytes at offset 8 of the slot (b = low word, c = high word)
    expect<u32>(top(cx).b).toBe(0);
    expect<u32>(top(cx).c).toBe(0x80000000);
    expect<u64>(popI64(cx)).toBe(<u64>i64.MIN_VALUE);
    expect<u64>(popI64(cx)).toBe(<u64>-1);
    expect<u64>(popI64(cx)).toBe(0x123456789abcdef0);
    cxFree(cx);
  });

  it("pushes and pops f64 values bit for bit", () => {
    let cx = cxNew();
    pushI64(cx, SLOT_F64, reinterpret<u64>(3.141592653589793));
    pushI64(cx, SLOT_F64, reinterpret<u64>(-0.0));
    pushI64(cx, SLOT_F64, reinterpret<u64>(f64.MIN_VALUE));
    expect<u32>(top(cx).kind).toBe(SLOT_F64);
    expect<f64>(reinterpret<f64>(popI64(cx))).toBe(f64.MIN_VALUE);
    expect<u64>(popI64(cx)).toBe(0x8000000000000000); // -0.0 keeps its sign bit
    expect<f64>(reinterpret<f64>(popI64(cx))).toBe(3.141592653589793);
    cxFree(cx);
  });

  it("stores an f32 (as wit_dylib_push_f32 does) as its bits in the low word at offset 8", () => {
    // Only the push side: popping it back with popI64 aborts today, see the report
    // (popI64 accepts SLOT_I64 and SLOT_F64 but not SLOT_F32).
    let cx = cxNew();
    pushI64(cx, SLOT_F32, <u64>reinterpret<u32>(<f32>-1.5));
    let s = top(cx);
    expect<u32>(s.kind).toBe(SLOT_F32);
    expect<u32>(s.b).toBe(reinterpret<u32>(<f32>-1.5));
    expect<u32>(s.c).toBe(0);
    cxFree(cx);
  });

  it("keeps values when the slot array grows past its first capacity", () => {
    let cx = cxNew();
    for (let i: u32 = 0; i < 100; i++) pushI32(cx, i * 3);
    expect<u32>(cx.len).toBe(100);
    expect<bool>(cx.cap >= 100).toBe(true);
    for (let i: i32 = 99; i >= 0; i--) expect<u32>(popI32(cx)).toBe(<u32>i * 3);
    cxFree(cx);
  });

  it("aborts when popping from an empty stack", () => {
    g = cxNew();
    expect(() => { popI32(g); }).toThrow();
    expect<bool>(reported("eryx-as runtime: value stack: pop from an empty stack")).toBe(true, "the abort names its condition");
    cxFree(g);
  });

  it("aborts when the top slot has another kind", () => {
    g = cxNew();
    pushI64(g, SLOT_I64, 1);
    expect(() => { popI32(g); }).toThrow();
    expect<bool>(reported("expects an i32 on top, found an i64")).toBe(true);
    pushI32(g, 1);
    expect(() => { popI64(g); }).toThrow();
    expect(() => { popString(g, OUT); }).toThrow();
    expect<bool>(reported("pop_string expects a string on top, found an i32")).toBe(true);
    expect(() => { popCase(g); }).toThrow();
    expect(() => { popFields(g); }).toThrow();
    expect(() => { popList(g, OUT); }).toThrow();
    expect(() => { popIter(g); }).toThrow();
    expect(() => { popIterNext(g); }).toThrow();
    expect<u32>(g.len).toBe(2); // a failed pop leaves the stack alone
    cxFree(g);
  });

  it("popString returns ptr and length and moves an owned buffer to the deferred list", () => {
    let cx = cxNew();
    let p = mallocString("héllo");
    pushString(cx, p, 6, true);
    expect<u32>(top(cx).kind).toBe(SLOT_STRING);
    expect<u32>(top(cx).c).toBe(1);
    store<usize>(OUT, 0);
    expect<usize>(popString(cx, OUT)).toBe(6);
    expect<usize>(load<usize>(OUT)).toBe(p);
    expect<u32>(cx.len).toBe(0);
    // still valid after the pop: the bindings copy it afterwards
    expect<i32>(isLive(p)).toBe(1);
    expect<string>(bytesAt(p, 6)).toBe("héllo");
    expect<u32>(cx.dlen).toBe(1);
    expect<usize>(load<usize>(cx.deferred)).toBe(p);
    cxFree(cx);
    expect<i32>(isLive(p)).toBe(0);
  });

  it("popString of a borrowed string defers nothing and accepts a NULL out pointer", () => {
    let cx = cxNew();
    let s = "static";
    pushString(cx, changetype<usize>(s), 12, false);
    pushString(cx, changetype<usize>(s), 12, false);
    expect<usize>(popString(cx, 0)).toBe(12);
    store<usize>(OUT, 0);
    expect<usize>(popString(cx, OUT)).toBe(12);
    expect<usize>(load<usize>(OUT)).toBe(changetype<usize>(s));
    expect<u32>(cx.dlen).toBe(0);
    cxFree(cx);
  });

  it("pushCase with a payload wraps the top value; popCase leaves the payload on top", () => {
    let cx = cxNew();
    pushI32(cx, 1234);
    let owned = mallocString("ok text");
    pushString(cx, owned, 7, true);
    pushCase(cx, 1, true);
    expect<u32>(cx.len).toBe(2);
    let s = top(cx);
    expect<u32>(s.kind).toBe(SLOT_CASE);
    expect<u32>(s.a).toBe(1);
    let payload = <usize>s.b;
    expect<i32>(isLive(payload)).toBe(1);
    expect<u32>(changetype<Slot>(payload).kind).toBe(SLOT_STRING);

    expect<u32>(popCase(cx)).toBe(1);
    expect<i32>(isLive(payload)).toBe(0); // the payload slot's block is freed
    expect<u32>(cx.len).toBe(2);
    expect<u32>(top(cx).kind).toBe(SLOT_STRING);
    expect<usize>(popString(cx, OUT)).toBe(7);
    expect<usize>(load<usize>(OUT)).toBe(owned);
    expect<u32>(popI32(cx)).toBe(1234); // the value below was not disturbed
    cxFree(cx);
  });

  it("pushCase without a payload leaves the value below alone", () => {
    let cx = cxNew();
    pushI32(cx, 99);
    pushCase(cx, 0, false);
    expect<u32>(cx.len).toBe(2);
    expect<u32>(top(cx).kind).toBe(SLOT_CASE);
    expect<u32>(top(cx).b).toBe(0);
    expect<u32>(popCase(cx)).toBe(0);
    expect<u32>(cx.len).toBe(1);
    expect<u32>(popI32(cx)).toBe(99);
    cxFree(cx);
  });

  it("nests cases (option<result<u32, _>>)", () => {
    let cx = cxNew();
    pushI32(cx, 77);
    pushCase(cx, 0, true); // ok(77)
    pushCase(cx, 1, true); // some(ok(77))
    expect<u32>(cx.len).toBe(1);
    expect<u32>(popCase(cx)).toBe(1);
    expect<u32>(popCase(cx)).toBe(0);
    expect<u32>(popI32(cx)).toBe(77);
    expect<u32>(cx.len).toBe(0);
    cxFree(cx);
  });

  it("pushFields packs the top values; popFields puts the first field on top", () => {
    let cx = cxNew();
    pushI32(cx, 500); // below the record
    pushI32(cx, 1); // first field
    pushI32(cx, 2);
    pushI32(cx, 3); // last field
    pushFields(cx, 3);
    expect<u32>(cx.len).toBe(2);
    expect<u32>(top(cx).kind).toBe(SLOT_FIELDS);
    expect<u32>(top(cx).b).toBe(3);
    let array = <usize>top(cx).a;
    expect<u32>(slotAt(array, 0).a).toBe(1); // bottom-most first
    expect<u32>(slotAt(array, 2).a).toBe(3);

    popFields(cx);
    expect<i32>(isLive(array)).toBe(0);
    expect<u32>(cx.len).toBe(4);
    expect<u32>(popI32(cx)).toBe(1);
    expect<u32>(popI32(cx)).toBe(2);
    expect<u32>(popI32(cx)).toBe(3);
    expect<u32>(popI32(cx)).toBe(500);
    cxFree(cx);
  });

  it("handles an empty record", () => {
    let cx = cxNew();
    pushI32(cx, 8);
    pushFields(cx, 0);
    expect<u32>(cx.len).toBe(2);
    expect<u32>(top(cx).kind).toBe(SLOT_FIELDS);
    popFields(cx);
    expect<u32>(cx.len).toBe(1);
    expect<u32>(popI32(cx)).toBe(8);
    cxFree(cx);
  });

  it("aborts when pushFields asks for more values than the stack has", () => {
    g = cxNew();
    pushI32(g, 1);
    expect(() => { pushFields(g, 2); }).toThrow();
    cxFree(g);
  });

  it("builds a list with pushEmptyList + listAppend and lowers it with popList/popIterNext/popIter", () => {
    let cx = cxNew();
    pushEmptyList(cx);
    for (let i: u32 = 0; i < 10; i++) { // past the first capacity of 4
      pushI32(cx, 100 + i);
      listAppend(cx);
    }
    expect<u32>(cx.len).toBe(1);
    expect<u32>(top(cx).kind).toBe(SLOT_LIST);
    expect<u32>(top(cx).b).toBe(10);

    store<usize>(OUT, 0xdead);
    expect<usize>(popList(cx, OUT)).toBe(10);
    expect<usize>(load<usize>(OUT)).toBe(0); // composite list: iterate
    expect<u32>(top(cx).kind).toBe(SLOT_ITER);
    for (let i: u32 = 0; i < 10; i++) {
      popIterNext(cx);
      expect<u32>(cx.len).toBe(2);
      expect<u32>(popI32(cx)).toBe(100 + i);
    }
    expect<u32>(cx.len).toBe(1);
    popIter(cx);
    expect<u32>(cx.len).toBe(0);
    cxFree(cx);
  });

  it("popIterNext aborts past the last element", () => {
    g = cxNew();
    pushEmptyList(g);
    pushI32(g, 5);
    listAppend(g);
    popList(g, OUT);
    popIterNext(g);
    expect<u32>(popI32(g)).toBe(5);
    expect(() => { popIterNext(g); }).toThrow();
    popIter(g);
    cxFree(g);
  });

  it("lowers an empty composite list", () => {
    let cx = cxNew();
    pushEmptyList(cx);
    store<usize>(OUT, 0xdead);
    expect<usize>(popList(cx, OUT)).toBe(0);
    expect<usize>(load<usize>(OUT)).toBe(0);
    popIter(cx);
    expect<u32>(cx.len).toBe(0);
    cxFree(cx);
  });

  it("popIter frees the elements that were not pulled", () => {
    let cx = cxNew();
    pushEmptyList(cx);
    let a = mallocString("first");
    let b = mallocString("second");
    let c = mallocString("third");
    pushString(cx, a, 5, true); listAppend(cx);
    pushString(cx, b, 6, true); listAppend(cx);
    pushString(cx, c, 5, true); listAppend(cx);
    expect<usize>(popList(cx, OUT)).toBe(3);
    popIterNext(cx);
    expect<usize>(popString(cx, OUT)).toBe(5);
    expect<usize>(load<usize>(OUT)).toBe(a);
    popIter(cx);
    expect<i32>(isLive(a)).toBe(1); // handed out: deferred until cxFree
    expect<i32>(isLive(b)).toBe(0);
    expect<i32>(isLive(c)).toBe(0);
    cxFree(cx);
    expect<i32>(isLive(a)).toBe(0);
  });

  it("listAppend aborts when the slot below is not a list", () => {
    g = cxNew();
    pushI32(g, 1);
    expect(() => { listAppend(g); }).toThrow(); // only one slot
    pushI32(g, 2);
    expect(() => { listAppend(g); }).toThrow(); // below is an i32
    cxFree(g);
  });

  it("pushBytes/popList hands over the raw pointer and defers an owned buffer", () => {
    let cx = cxNew();
    let p = malloc(4);
    store<u32>(p, 0x04030201);
    pushBytes(cx, p, 4, true);
    expect<u32>(top(cx).kind).toBe(SLOT_BYTES);
    store<usize>(OUT, 0);
    expect<usize>(popList(cx, OUT)).toBe(4);
    expect<usize>(load<usize>(OUT)).toBe(p);
    expect<u32>(cx.len).toBe(0);
    expect<u32>(cx.dlen).toBe(1);
    expect<i32>(isLive(p)).toBe(1);
    expect<u8>(load<u8>(p + 3)).toBe(4);
    cxFree(cx);
    expect<i32>(isLive(p)).toBe(0);
  });

  it("popList of an empty byte list gives a non-NULL pointer", () => {
    let cx = cxNew();
    pushBytes(cx, 0, 0, false);
    store<usize>(OUT, 0);
    expect<usize>(popList(cx, OUT)).toBe(0);
    expect<usize>(load<usize>(OUT)).not.toBe(0);
    expect<u32>(cx.dlen).toBe(0);
    cxFree(cx);
  });

  it("popList of a borrowed byte list defers nothing", () => {
    let cx = cxNew();
    let data = memory.data<u8>([9, 8, 7]);
    pushBytes(cx, data, 3, false);
    expect<usize>(popList(cx, OUT)).toBe(3);
    expect<usize>(load<usize>(OUT)).toBe(data);
    expect<u32>(cx.dlen).toBe(0);
    cxFree(cx);
  });

  it("cxDefer ignores NULL and grows its list", () => {
    let cx = cxNew();
    cxDefer(cx, 0);
    expect<u32>(cx.dlen).toBe(0);
    for (let i = 0; i < 20; i++) cxDefer(cx, malloc(3));
    expect<u32>(cx.dlen).toBe(20);
    cxFree(cx);
  });

  it("cxFree frees everything still on the stack, nested or deferred", () => {
    let mallocs = mallocCount();
    let frees = freeCount();
    let cx = cxNew();
    // owned string
    pushString(cx, mallocString("loose"), 5, true);
    // borrowed string (never freed)
    pushString(cx, changetype<usize>("borrowed"), 16, false);
    // owned bytes
    pushBytes(cx, malloc(16), 16, true);
    // a list of records, each with an owned string and a case with an owned payload
    pushEmptyList(cx);
    for (let i = 0; i < 6; i++) {
      pushString(cx, mallocString("field"), 5, true);
      pushString(cx, mallocString("payload"), 7, true);
      pushCase(cx, 0, true);
      pushFields(cx, 2);
      listAppend(cx);
    }
    // a partly consumed list: one element pulled (and left on the stack)
    pushEmptyList(cx);
    for (let i = 0; i < 3; i++) {
      pushString(cx, mallocString("it"), 2, true);
      listAppend(cx);
    }
    popList(cx, OUT);
    popIterNext(cx);
    // a popped string handed out to the bindings (deferred)
    pushString(cx, mallocString("handed out"), 10, true);
    popString(cx, OUT);
    // a block registered with dealloc_bytes(defer=1)
    cxDefer(cx, malloc(32));
    expect<i32>(liveBlocks()).toBeGreaterThan(20);

    cxFree(cx);
    expect<i32>(liveBlocks()).toBe(0);
    expect<i32>(mallocCount() - mallocs).toBe(freeCount() - frees);
    expect<i32>(badFreeCount()).toBe(0);
  });

  it("the slot layout is 16 bytes: kind, a, b, c", () => {
    expect<usize>(SLOT_SIZE).toBe(16);
    expect<usize>(offsetof<Slot>()).toBe(16);
    expect<usize>(offsetof<Slot>("kind")).toBe(0);
    expect<usize>(offsetof<Slot>("a")).toBe(4);
    expect<usize>(offsetof<Slot>("b")).toBe(8);
    expect<usize>(offsetof<Slot>("c")).toBe(12);
  });
});
