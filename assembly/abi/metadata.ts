// Reader for the `wit_t` metadata that wit-dylib's bindings hand to
// `wit_dylib_initialize` (wasm-tools 1.243, WIT_CURRENT_VERSION 2; wasm32, so
// every field is 4 bytes). The pointer stays valid for the instance's life.
//
//   wit_t (124 bytes)
//   ┌─────────┬───────────────────────────────┬───────────────────────────────┬─────┐
//   │ version │ num_import_funcs import_funcs │ num_export_funcs export_funcs │ ... │  15 (count, ptr) pairs
//   └─────────┴───────────────────────────────┴───────────────────────────────┴─────┘
//
//   wit_import_func_t (40 bytes)
//   ┌───────────┬──────┬──────┬────────────┬─────────────────┬─────────┬────────┬────────┬───────────┬────────────┐
//   │ interface │ name │ impl │ async_impl │ async_lift_impl │ nparams │ params │ result │ area_size │ area_align │
//   └───────────┴──────┴──────┴────────────┴─────────────────┴─────────┴────────┴────────┴───────────┴────────────┘
//
//   wit_export_func_t (24 bytes)
//   ┌───────────┬──────┬─────────────┬─────────┬────────┬────────┐
//   │ interface │ name │ task_return │ nparams │ params │ result │
//   └───────────┴──────┴─────────────┴─────────┴────────┴────────┘

export const WIT_VERSION_SUPPORTED: u32 = 2;

// Type kinds (low 8 bits of a wit_type_t).
export const KIND_U8: u32 = 0;
export const KIND_STRING: u32 = 12;
export const KIND_RECORD: u32 = 14;
export const KIND_TUPLE: u32 = 18;
export const KIND_VARIANT: u32 = 19;
export const KIND_OPTION: u32 = 21;
export const KIND_RESULT: u32 = 22;
export const KIND_LIST: u32 = 23;
export const TYPE_NONE: u32 = 0xffffffff;

// @ts-ignore: decorator
@inline export function typeKind(ty: u32): u32 { return ty & 0xff; }
// @ts-ignore: decorator
@inline export function typeIndex(ty: u32): u32 { return ty >>> 8; }

@unmanaged export class Wit {
  version: u32;
  numImportFuncs: u32;
  importFuncs: usize;
  numExportFuncs: u32;
  exportFuncs: usize;
  numResources: u32;
  resources: usize;
  numRecords: u32;
  records: usize;
  numFlags: u32;
  flags: usize;
  numTuples: u32;
  tuples: usize;
  numVariants: u32;
  variants: usize;
  numEnums: u32;
  enums: usize;
  numOptions: u32;
  options: usize;
  numResults: u32;
  results: usize;
  numLists: u32;
  lists: usize;
  numFixedSizeLists: u32;
  fixedSizeLists: usize;
  numFutures: u32;
  futures: usize;
  numStreams: u32;
  streams: usize;
  numAliases: u32;
  aliases: usize;
}

@unmanaged export class ImportFunc {
  iface: usize;
  name: usize;
  impl: u32;
  asyncImpl: u32;
  asyncLiftImpl: u32;
  nparams: u32;
  params: usize;
  result: u32;
  asyncAbiAreaSize: u32;
  asyncAbiAreaAlign: u32;
}

@unmanaged export class ExportFunc {
  iface: usize;
  name: usize;
  taskReturn: u32;
  nparams: u32;
  params: usize;
  result: u32;
}

/** record: interface, name, nfields, fields (each field: name, ty). */
@unmanaged export class RecordType {
  iface: usize;
  name: usize;
  nfields: u32;
  fields: usize;
}

/** tuple: interface, name, ntypes, types. */
@unmanaged export class TupleType {
  iface: usize;
  name: usize;
  ntypes: u32;
  types: usize;
}

/** variant: interface, name, ncases, cases (each case: name, ty). */
@unmanaged export class VariantType {
  iface: usize;
  name: usize;
  ncases: u32;
  cases: usize;
}

/** option and list share this shape: interface, name, ty. */
@unmanaged export class ElementType {
  iface: usize;
  name: usize;
  ty: u32;
}

@unmanaged export class ResultType {
  iface: usize;
  name: usize;
  ok: u32;
  err: u32;
}

const IMPORT_FUNC_SIZE: usize = 40;
const EXPORT_FUNC_SIZE: usize = 24;
const FIELD_SIZE: usize = 8;

let wit: Wit | null = null;

export function setMetadata(ptr: usize): bool {
  if (wit !== null) return false;
  wit = changetype<Wit>(ptr);
  return true;
}

export function metadata(): Wit {
  return changetype<Wit>(changetype<usize>(wit));
}

export function hasMetadata(): bool {
  return wit !== null;
}

export function exportFunc(which: u32): ExportFunc | null {
  let w = metadata();
  if (which >= w.numExportFuncs) return null;
  return changetype<ExportFunc>(w.exportFuncs + <usize>which * EXPORT_FUNC_SIZE);
}

/** Finds a world-level import by its NUL-terminated name; null when absent. */
export function importFuncNamed(name: string): ImportFunc | null {
  let w = metadata();
  for (let i: u32 = 0; i < w.numImportFuncs; i++) {
    let f = changetype<ImportFunc>(w.importFuncs + <usize>i * IMPORT_FUNC_SIZE);
    if (f.iface == 0 && cStringEquals(f.name, name)) return f;
  }
  return null;
}

export function recordType(index: u32): RecordType {
  return changetype<RecordType>(metadata().records + <usize>index * offsetof<RecordType>());
}

export function tupleType(index: u32): TupleType {
  return changetype<TupleType>(metadata().tuples + <usize>index * offsetof<TupleType>());
}

export function variantType(index: u32): VariantType {
  return changetype<VariantType>(metadata().variants + <usize>index * offsetof<VariantType>());
}

export function optionType(index: u32): ElementType {
  return changetype<ElementType>(metadata().options + <usize>index * offsetof<ElementType>());
}

export function listType(index: u32): ElementType {
  return changetype<ElementType>(metadata().lists + <usize>index * offsetof<ElementType>());
}

export function resultType(index: u32): ResultType {
  return changetype<ResultType>(metadata().results + <usize>index * offsetof<ResultType>());
}

/** Type of field `i` of a record, or of case `i` of a variant (both are {name, ty} pairs). */
export function pairType(pairs: usize, i: u32): u32 {
  return load<u32>(pairs + <usize>i * FIELD_SIZE + 4);
}

/** Number of fields a record or tuple type has. */
export function fieldCount(ty: u32): u32 {
  let kind = typeKind(ty);
  if (kind == KIND_RECORD) return recordType(typeIndex(ty)).nfields;
  if (kind == KIND_TUPLE) return tupleType(typeIndex(ty)).ntypes;
  return 0;
}

/** Whether case `discr` of an option/result/variant type carries a payload. */
export function caseHasPayload(ty: u32, discr: u32): bool {
  let kind = typeKind(ty);
  let index = typeIndex(ty);
  if (kind == KIND_OPTION) return discr == 1;
  if (kind == KIND_RESULT) {
    let r = resultType(index);
    return (discr == 0 ? r.ok : r.err) != TYPE_NONE;
  }
  if (kind == KIND_VARIANT) {
    let v = variantType(index);
    return discr < v.ncases && pairType(v.cases, discr) != TYPE_NONE;
  }
  return false;
}

/** Element byte size of a list type whose canonical layout we can hand over as raw bytes; 0 otherwise. */
export function rawElementSize(listTy: u32): u32 {
  let elem = listType(typeIndex(listTy)).ty;
  let kind = typeKind(elem);
  if (kind == KIND_U8 || kind == 4 /* s8 */ || kind == 8 /* bool */) return 1;
  if (kind == 1 || kind == 5) return 2; // u16, s16
  if (kind == 2 || kind == 6 || kind == 9 || kind == 10) return 4; // u32, s32, char, f32
  if (kind == 3 || kind == 7 || kind == 11) return 8; // u64, s64, f64
  return 0;
}

export function cStringEquals(ptr: usize, s: string): bool {
  let n = s.length;
  for (let i = 0; i < n; i++) {
    if (<i32>load<u8>(ptr + <usize>i) != s.charCodeAt(i)) return false;
  }
  return load<u8>(ptr + <usize>n) == 0;
}
