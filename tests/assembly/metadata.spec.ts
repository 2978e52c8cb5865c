// @ts-nocheck: AssemblyScript, compiled by asc (tsconfig.json's tests/**/*.ts would type-check it as TypeScript).
// as-pect tests of assembly/abi/metadata.ts, the reader of wit-dylib's `wit_t`.
// The fake metadata below is laid out as wit_dylib.h (wasm-tools 1.243) lays it
// out on wasm32: every field 4 bytes, type = index << 8 | kind, u32::MAX = none.

import {
  Wit, ImportFunc, ExportFunc, ResultType, ElementType, RecordType, TupleType, VariantType,
  setMetadata, hasMetadata, metadata, importFuncNamed, exportFunc, caseHasPayload, rawElementSize,
  cStringEquals, fieldCount, resultType, listType, typeKind, typeIndex, pairType,
  KIND_STRING, KIND_RECORD, KIND_TUPLE, KIND_VARIANT, KIND_OPTION, KIND_RESULT, KIND_LIST, TYPE_NONE,
} from "../../assembly/abi/metadata";

// Every part of the fake wit_t comes from this static arena.
const ARENA = memory.data(8192, 16);
let arenaNext = ARENA;

function reserve(size: usize): usize {
  let p = (arenaNext + 7) & ~7;
  arenaNext = p + size;
  if (arenaNext > ARENA + 8192) unreachable();
  memory.fill(p, 0, size);
  return p;
}

/** A NUL-terminated UTF-8 copy of `s` in the arena. */
function cstr(s: string): usize {
  let len = String.UTF8.byteLength(s);
  let p = reserve(len + 1);
  String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, p, true);
  return p;
}

function ty(kind: u32, index: u32): u32 {
  return index << 8 | kind;
}

const KIND_U8: u32 = 0;
const KIND_U32: u32 = 2;
const KIND_S16: u32 = 5;
const KIND_F64: u32 = 11;
const KIND_BOOL: u32 = 8;

// --- the fake metadata ----------------------------------------------------

const WIT_SIZE: usize = 124;
const IMPORT_SIZE: usize = 40;
const EXPORT_SIZE: usize = 24;

let witPtr: usize = 0;
let worldInvoke: usize = 0;
let exportPtr: usize = 0;

function buildWit(): usize {
  let wit = reserve(WIT_SIZE);
  store<u32>(wit, 2); // version

  // Imports: an interface-level "invoke" (must be skipped), "list-callbacks", world-level "invoke".
  let imports = reserve(3 * IMPORT_SIZE);
  let ifaceInvoke = imports;
  store<u32>(ifaceInvoke, cstr("eryx:other/api"));
  store<u32>(ifaceInvoke, cstr("invoke"), 4);
  store<u32>(ifaceInvoke, 111, 8); // impl
  let listCallbacks = imports + IMPORT_SIZE;
  store<u32>(listCallbacks, cstr("list-callbacks"), 4);
  store<u32>(listCallbacks, 222, 8);
  worldInvoke = imports + 2 * IMPORT_SIZE;
  store<u32>(worldInvoke, 0); // world-level: interface NULL
  store<u32>(worldInvoke, cstr("invoke"), 4);
  store<u32>(worldInvoke, 333, 8); // impl
  store<u32>(worldInvoke, 444, 12); // async_impl
  store<u32>(worldInvoke, 555, 16); // async_lift_impl
  let params = reserve(8);
  store<u32>(params, KIND_STRING);
  store<u32>(params, KIND_STRING, 4);
  store<u32>(worldInvoke, 2, 20); // nparams
  store<u32>(worldInvoke, params, 24);
  store<u32>(worldInvoke, ty(KIND_RESULT, 0), 28); // result<string, string>
  store<u32>(worldInvoke, 12, 32); // async_abi_area_size
  store<u32>(worldInvoke, 4, 36); // async_abi_area_align
  store<u32>(wit, 3, 4);
  store<u32>(wit, imports, 8);

  // One export: execute(code: string) -> result<_, string>.
  exportPtr = reserve(EXPORT_SIZE);
  store<u32>(exportPtr, 0);
  store<u32>(exportPtr, cstr("execute"), 4);
  store<u32>(exportPtr, 777, 8); // task_return
  store<u32>(exportPtr, 1, 12);
  store<u32>(exportPtr, params, 16);
  store<u32>(exportPtr, ty(KIND_RESULT, 1), 20);
  store<u32>(wit, 1, 12);
  store<u32>(wit, exportPtr, 16);

  // records[0] = { a: u8, b: string, c: bool }
  let fields = reserve(3 * 8);
  store<u32>(fields, cstr("a")); store<u32>(fields, KIND_U8, 4);
  store<u32>(fields, cstr("b"), 8); store<u32>(fields, KIND_STRING, 12);
  store<u32>(fields, cstr("c"), 16); store<u32>(fields, KIND_BOOL, 20);
  let record = reserve(16);
  store<u32>(record, cstr("callback-info"), 4);
  store<u32>(record, 3, 8);
  store<u32>(record, fields, 12);
  store<u32>(wit, 1, 28);
  store<u32>(wit, record, 32);

  // tuples[0] = tuple<u32, string>
  let types = reserve(8);
  store<u32>(types, KIND_U32); store<u32>(types, KIND_STRING, 4);
  let tuple = reserve(16);
  store<u32>(tuple, 2, 8);
  store<u32>(tuple, types, 12);
  store<u32>(wit, 1, 44);
  store<u32>(wit, tuple, 48);

  // variants[0] = variant { none-case, with-string(string) }
  let cases = reserve(2 * 8);
  store<u32>(cases, cstr("none-case")); store<u32>(cases, TYPE_NONE, 4);
  store<u32>(cases, cstr("with-string"), 8); store<u32>(cases, KIND_STRING, 12);
  let variant = reserve(16);
  store<u32>(variant, cstr("v"), 4);
  store<u32>(variant, 2, 8);
  store<u32>(variant, cases, 12);
  store<u32>(wit, 1, 52);
  store<u32>(wit, variant, 56);

  // results[0] = result<string, string>, results[1] = result<_, string>
  let results = reserve(2 * 16);
  store<u32>(results, KIND_STRING, 8); store<u32>(results, KIND_STRING, 12);
  store<u32>(results, TYPE_NONE, 16 + 8); store<u32>(results, KIND_STRING, 16 + 12);
  store<u32>(wit, 2, 76);
  store<u32>(wit, results, 80);

  // lists[0] = list<u8>, [1] = list<string>, [2] = list<u32>, [3] = list<f64>, [4] = list<s16>,
  // [5] = list<callback-info>, [6] = list<bool>
  let lists = reserve(7 * 12);
  store<u32>(lists, KIND_U8, 8);
  store<u32>(lists, KIND_STRING, 12 + 8);
  store<u32>(lists, KIND_U32, 24 + 8);
  store<u32>(lists, KIND_F64, 36 + 8);
  store<u32>(lists, KIND_S16, 48 + 8);
  store<u32>(lists, ty(KIND_RECORD, 0), 60 + 8);
  store<u32>(lists, KIND_BOOL, 72 + 8);
  store<u32>(wit, 7, 84);
  store<u32>(wit, lists, 88);
  return wit;
}

describe("metadata", () => {
  it("matches wit_dylib.h's struct sizes and field offsets", () => {
    expect<usize>(offsetof<Wit>()).toBe(WIT_SIZE);
    expect<usize>(offsetof<Wit>("results")).toBe(80);
    expect<usize>(offsetof<Wit>("lists")).toBe(88);
    expect<usize>(offsetof<Wit>("aliases")).toBe(120);
    expect<usize>(offsetof<ImportFunc>()).toBe(IMPORT_SIZE);
    expect<usize>(offsetof<ImportFunc>("result")).toBe(28);
    expect<usize>(offsetof<ExportFunc>()).toBe(EXPORT_SIZE);
    expect<usize>(offsetof<ExportFunc>("result")).toBe(20);
    expect<usize>(offsetof<ResultType>()).toBe(16);
    expect<usize>(offsetof<ElementType>()).toBe(12);
    expect<usize>(offsetof<RecordType>()).toBe(16);
    expect<usize>(offsetof<TupleType>()).toBe(16);
    expect<usize>(offsetof<VariantType>()).toBe(16);
  });

  it("setMetadata accepts the first wit_t only", () => {
    expect<bool>(hasMetadata()).toBe(false);
    witPtr = buildWit();
    expect<bool>(setMetadata(witPtr)).toBe(true);
    expect<bool>(hasMetadata()).toBe(true);
    expect<usize>(changetype<usize>(metadata())).toBe(witPtr);
    expect<bool>(setMetadata(witPtr + 4)).toBe(false);
    expect<usize>(changetype<usize>(metadata())).toBe(witPtr); // unchanged
    expect<u32>(metadata().version).toBe(2);
    expect<u32>(metadata().numImportFuncs).toBe(3);
  });

  it("importFuncNamed finds the world-level import and skips interface ones", () => {
    let f = importFuncNamed("invoke");
    expect<bool>(f !== null).toBe(true);
    expect<usize>(changetype<usize>(f)).toBe(worldInvoke);
    let g = changetype<ImportFunc>(worldInvoke);
    expect<u32>(g.impl).toBe(333);
    expect<u32>(g.asyncImpl).toBe(444);
    expect<u32>(g.asyncLiftImpl).toBe(555);
    expect<u32>(g.nparams).toBe(2);
    expect<u32>(g.result).toBe(ty(KIND_RESULT, 0));
    expect<u32>(g.asyncAbiAreaSize).toBe(12);
    expect<u32>(g.asyncAbiAreaAlign).toBe(4);
  });

  it("importFuncNamed matches whole names only", () => {
    expect<usize>(changetype<usize>(importFuncNamed("list-callbacks"))).toBe(worldInvoke - IMPORT_SIZE);
    expect<bool>(importFuncNamed("invok") === null).toBe(true);
    expect<bool>(importFuncNamed("invoke2") === null).toBe(true);
    expect<bool>(importFuncNamed("") === null).toBe(true);
    expect<bool>(importFuncNamed("report-trace") === null).toBe(true);
  });

  it("exportFunc returns the export by index and null past the end", () => {
    let e = exportFunc(0);
    expect<usize>(changetype<usize>(e)).toBe(exportPtr);
    expect<bool>(cStringEquals(e!.name, "execute")).toBe(true);
    expect<u32>(e!.taskReturn).toBe(777);
    expect<u32>(e!.nparams).toBe(1);
    expect<u32>(e!.result).toBe(ty(KIND_RESULT, 1));
    expect<bool>(exportFunc(1) === null).toBe(true);
    expect<bool>(exportFunc(0xffffffff) === null).toBe(true);
  });

  it("caseHasPayload for results reads ok/err, none = u32::MAX", () => {
    expect<u32>(resultType(0).ok).toBe(KIND_STRING);
    expect<bool>(caseHasPayload(ty(KIND_RESULT, 0), 0)).toBe(true); // ok(string)
    expect<bool>(caseHasPayload(ty(KIND_RESULT, 0), 1)).toBe(true); // err(string)
    expect<bool>(caseHasPayload(ty(KIND_RESULT, 1), 0)).toBe(false); // ok(_)
    expect<bool>(caseHasPayload(ty(KIND_RESULT, 1), 1)).toBe(true); // err(string)
  });

  it("caseHasPayload for options: none has no payload, some has one", () => {
    expect<bool>(caseHasPayload(ty(KIND_OPTION, 0), 0)).toBe(false);
    expect<bool>(caseHasPayload(ty(KIND_OPTION, 0), 1)).toBe(true);
  });

  it("caseHasPayload for variants reads the case type and rejects out-of-range cases", () => {
    expect<bool>(caseHasPayload(ty(KIND_VARIANT, 0), 0)).toBe(false);
    expect<bool>(caseHasPayload(ty(KIND_VARIANT, 0), 1)).toBe(true);
    expect<bool>(caseHasPayload(ty(KIND_VARIANT, 0), 2)).toBe(false);
    expect<bool>(caseHasPayload(KIND_STRING, 0)).toBe(false); // not a case type
  });

  it("rawElementSize: list<u8> is raw bytes, composite lists are not", () => {
    expect<u32>(listType(0).ty).toBe(KIND_U8);
    expect<u32>(rawElementSize(ty(KIND_LIST, 0))).toBe(1); // list<u8>
    expect<u32>(rawElementSize(ty(KIND_LIST, 1))).toBe(0); // list<string>
    expect<u32>(rawElementSize(ty(KIND_LIST, 2))).toBe(4); // list<u32>
    expect<u32>(rawElementSize(ty(KIND_LIST, 3))).toBe(8); // list<f64>
    expect<u32>(rawElementSize(ty(KIND_LIST, 4))).toBe(2); // list<s16>
    expect<u32>(rawElementSize(ty(KIND_LIST, 5))).toBe(0); // list<record>
    expect<u32>(rawElementSize(ty(KIND_LIST, 6))).toBe(1); // list<bool>
  });

  it("fieldCount counts record fields and tuple types", () => {
    expect<u32>(fieldCount(ty(KIND_RECORD, 0))).toBe(3);
    expect<u32>(fieldCount(ty(KIND_TUPLE, 0))).toBe(2);
    expect<u32>(fieldCount(KIND_STRING)).toBe(0);
  });

  it("pairType reads the type of a record field", () => {
    let r = changetype<RecordType>(load<u32>(witPtr, 32));
    expect<u32>(pairType(r.fields, 0)).toBe(KIND_U8);
    expect<u32>(pairType(r.fields, 1)).toBe(KIND_STRING);
    expect<u32>(pairType(r.fields, 2)).toBe(KIND_BOOL);
  });

  it("typeKind and typeIndex split a wit_type_t", () => {
    expect<u32>(typeKind(0x1234_17)).toBe(KIND_LIST);
    expect<u32>(typeIndex(0x1234_17)).toBe(0x1234);
    expect<u32>(typeKind(TYPE_NONE)).toBe(0xff);
  });
});

describe("cStringEquals", () => {
  it("compares a NUL-terminated string with an AS string", () => {
    let p = cstr("invoke");
    expect<bool>(cStringEquals(p, "invoke")).toBe(true);
    expect<bool>(cStringEquals(p, "invok")).toBe(false); // shorter: the C string goes on
    expect<bool>(cStringEquals(p, "invoked")).toBe(false); // longer: hits the NUL
    expect<bool>(cStringEquals(p, "Invoke")).toBe(false);
    expect<bool>(cStringEquals(p, "")).toBe(false);
  });

  it("handles the empty C string", () => {
    let p = cstr("");
    expect<bool>(cStringEquals(p, "")).toBe(true);
    expect<bool>(cStringEquals(p, "a")).toBe(false);
  });
});
