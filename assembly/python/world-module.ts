// The built-in module `_eryx_io`: the world's synchronous imports beyond the
// three `_eryx` wraps, for the glue (python/eryx_glue/output.py and net.py).
// In the eryx 0.5 world these are `report-output` and the `eryx:net/tcp` and
// `eryx:net/tls` functions; the 0.1.0 world has none of them, so there
// `has()` answers 0 and the glue never calls (docs/eryx-0.5.md).
//
//   has(interface: str, name: str) -> int
//       1 if the world imports that synchronous function ("" for a world-level one).
//   call(interface: str, name: str, args: tuple) -> (1, result) | (0, why)
//       lowers `args` onto a cx (checked against the import's parameter types:
//       int for an integer, str for a string, bytes for list<u8>), calls the
//       import and lifts its result: an integer is an int, a string a str, a
//       list<u8> bytes, an option/result/variant a (case, payload-or-None)
//       tuple, a record or tuple a tuple. Arguments that do not fit are
//       answered (0, why): user code can import this module, and nothing it
//       passes may reach the value stack with the wrong kind (that would end
//       the instance).

import {
  decref, METH_VARARGS, newNone, PYTHON_API_VERSION, PyBytes_AsStringAndSize, PyBytes_FromStringAndSize,
  PyErr_Clear, PyList_New, PyList_SetItem, PyLong_AsUnsignedLong, PyLong_FromLong,
  PyLong_FromUnsignedLong, PyModule_Create2, PyErr_Occurred, PyTuple_GetItem, PyTuple_New, PyTuple_SetItem,
  PyTuple_Size, PyUnicode_AsUTF8AndSize, PyUnicode_FromStringAndSize,
} from "./cpython";
import {
  Cx, cxFree, cxNew, pushBytes, pushI32, pushString, Slot, SLOT_BYTES, SLOT_CASE, SLOT_FIELDS, SLOT_I32, SLOT_LIST,
  SLOT_STRING, slotAt, top,
} from "../abi/value-stack";
import { ImportFunc, metadata, TYPE_NONE, typeIndex, typeKind, KIND_LIST, KIND_STRING, KIND_U8, listType } from "../abi/metadata";
import { newMethodTable, registerBuiltinModule, setMethod } from "./module-def";

const IMPORT_FUNC_SIZE: usize = 40;
const ALIAS_SIZE: usize = 12;
const KIND_ALIAS: u32 = 27;
const MAX_PARAMS: i32 = 8;

let moduleDef: usize = 0;
const scratch = memory.data(16);

function initModule(): usize {
  return PyModule_Create2(moduleDef, PYTHON_API_VERSION);
}

/** Registers `_eryx_io` in the inittab: call before Py_InitializeEx. */
export function registerWorldModule(): void {
  let methods = newMethodTable(2, "the _eryx_io module's methods");
  setMethod(methods, 0, "has", nativeHas.index, METH_VARARGS, "has(interface, name) -> 1 if the world imports that function");
  setMethod(methods, 1, "call", nativeCall.index, METH_VARARGS, "call(interface, name, args) -> (1, result) or (0, why)");
  moduleDef = registerBuiltinModule("_eryx_io", "eryx-as runtime: the world's output and network imports", methods, initModule.index);
}

/** Whether the NUL-terminated `a` equals the `len` UTF-8 bytes at `b`. */
function cStringEqualsBytes(a: usize, b: usize, len: usize): bool {
  for (let i: usize = 0; i < len; i++) {
    if (load<u8>(a + i) != load<u8>(b + i)) return false;
  }
  return load<u8>(a + len) == 0;
}

/** The synchronous import `name` of interface `iface` ("" = world level); null when absent. */
function findImport(iface: usize, ifaceLen: usize, name: usize, nameLen: usize): ImportFunc | null {
  let w = metadata();
  for (let i: u32 = 0; i < w.numImportFuncs; i++) {
    let f = changetype<ImportFunc>(w.importFuncs + <usize>i * IMPORT_FUNC_SIZE);
    if (!f.impl) continue; // async imports (invoke) are _eryx's
    let ifaceMatches = ifaceLen == 0 ? f.iface == 0 : f.iface != 0 && cStringEqualsBytes(f.iface, iface, ifaceLen);
    if (ifaceMatches && cStringEqualsBytes(f.name, name, nameLen)) return f;
  }
  return null;
}

/** A type with its aliases (`type tcp-handle = u32`) resolved. */
function resolveAlias(ty: u32): u32 {
  for (let i = 0; i < 16 && typeKind(ty) == KIND_ALIAS; i++) {
    ty = load<u32>(metadata().aliases + <usize>typeIndex(ty) * ALIAS_SIZE + 8);
  }
  return ty;
}

function text(s: string): usize {
  let bytes = String.UTF8.encode(s);
  let obj = PyUnicode_FromStringAndSize(changetype<usize>(bytes), bytes.byteLength);
  __release(changetype<usize>(bytes));
  return obj;
}

function pair(status: i32, value: usize): usize {
  if (!value) return 0;
  let t = PyTuple_New(2);
  PyTuple_SetItem(t, 0, PyLong_FromLong(status));
  PyTuple_SetItem(t, 1, value);
  return t;
}

function refuse(why: string): usize {
  if (PyErr_Occurred()) PyErr_Clear();
  return pair(0, text(why));
}

/** Reads (iface, name) from the args tuple; the ImportFunc or null (with a reason in `why`). */
function lookup(args: usize): ImportFunc | null {
  if (PyTuple_Size(args) < 2) return null;
  let iface = PyUnicode_AsUTF8AndSize(PyTuple_GetItem(args, 0), scratch);
  if (!iface) { PyErr_Clear(); return null; }
  let ifaceLen = load<usize>(scratch);
  let name = PyUnicode_AsUTF8AndSize(PyTuple_GetItem(args, 1), scratch);
  if (!name) { PyErr_Clear(); return null; }
  return findImport(iface, ifaceLen, name, load<usize>(scratch));
}

function nativeHas(self: usize, args: usize): usize {
  return PyLong_FromLong(lookup(args) !== null ? 1 : 0);
}

function nativeCall(self: usize, args: usize): usize {
  if (PyTuple_Size(args) != 3) return refuse("call() takes an interface, a function name and an argument tuple");
  let f = lookup(args);
  if (f === null) return refuse("this world does not import that function");
  let values = PyTuple_GetItem(args, 2);
  let n = PyTuple_Size(values);
  if (n < 0) return refuse("call() needs its arguments as a tuple");
  if (<u32>n != f.nparams || n > MAX_PARAMS) return refuse("wrong number of arguments");
  let cx = cxNew();
  // The first parameter ends on top: push the last one first.
  for (let i = <i32>n - 1; i >= 0; i--) {
    let why = pushArg(cx, resolveAlias(load<u32>(f.params + <usize>i * 4)), PyTuple_GetItem(values, i));
    if (why !== null) { cxFree(cx); return refuse(why); }
  }
  call_indirect<void>(f.impl, changetype<usize>(cx));
  let result = f.result == TYPE_NONE ? newNone() : lift(top(cx), 0);
  cxFree(cx);
  if (!result) return refuse("the import's result could not be converted");
  return pair(1, result);
}

/** Pushes one argument of type `ty`; null, or why it does not fit. Strings and bytes are borrowed (the args tuple keeps them alive). */
function pushArg(cx: Cx, ty: u32, value: usize): string | null {
  let kind = typeKind(ty);
  if (kind == KIND_STRING) {
    let ptr = PyUnicode_AsUTF8AndSize(value, scratch);
    if (!ptr) return "a str argument is not a str (or cannot be encoded as UTF-8)";
    pushString(cx, ptr, load<usize>(scratch), false);
    return null;
  }
  if (kind == KIND_LIST && typeKind(listType(typeIndex(ty)).ty) == KIND_U8) {
    if (PyBytes_AsStringAndSize(value, scratch, scratch + 4) < 0) return "a bytes argument is not bytes";
    pushBytes(cx, load<usize>(scratch), load<usize>(scratch + 4), false);
    return null;
  }
  if (kind <= 2) { // u8, u16, u32
    let v = PyLong_AsUnsignedLong(value);
    if (v == 0xffffffff && PyErr_Occurred()) return "an integer argument is not an int in range";
    let max: u32 = kind == 0 ? 0xff : kind == 1 ? 0xffff : 0xffffffff;
    if (v > max) return "an integer argument is out of range";
    pushI32(cx, v);
    return null;
  }
  return "this function takes a parameter type _eryx_io does not lower";
}

/** A new reference for the value in `s` (0 with a Python error if it cannot be built). */
function lift(s: Slot, depth: u32): usize {
  if (depth > 16) return newNone();
  let kind = s.kind;
  if (kind == SLOT_I32) return PyLong_FromUnsignedLong(s.a);
  if (kind == SLOT_STRING) {
    let str = PyUnicode_FromStringAndSize(<usize>s.a, <isize>s.b);
    if (!str) { PyErr_Clear(); str = PyUnicode_FromStringAndSize(0, 0); }
    return str;
  }
  if (kind == SLOT_BYTES) return PyBytes_FromStringAndSize(<usize>s.a, <isize>s.b);
  if (kind == SLOT_CASE) {
    let payload = s.b ? lift(changetype<Slot>(<usize>s.b), depth + 1) : newNone();
    if (!payload) return 0;
    let t = PyTuple_New(2);
    PyTuple_SetItem(t, 0, PyLong_FromUnsignedLong(s.a));
    PyTuple_SetItem(t, 1, payload);
    return t;
  }
  if (kind == SLOT_FIELDS || kind == SLOT_LIST) {
    let n = s.b;
    let out = kind == SLOT_FIELDS ? PyTuple_New(<isize>n) : PyList_New(<isize>n);
    if (!out) return 0;
    for (let i: u32 = 0; i < n; i++) {
      let item = lift(slotAt(<usize>s.a, i), depth + 1);
      if (!item) { decref(out); return 0; }
      if (kind == SLOT_FIELDS) PyTuple_SetItem(out, <isize>i, item);
      else PyList_SetItem(out, <isize>i, item);
    }
    return out;
  }
  return newNone();
}
