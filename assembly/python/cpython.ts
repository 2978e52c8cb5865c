// The CPython 3.14 C API functions the runtime calls (resolved against
// libpython3.14.so's exports). PyObject* is `usize`; every function that
// returns a new reference says so, and the caller releases it with `decref`.

// @ts-ignore: decorator
@external("env", "Py_InitializeEx") export declare function Py_InitializeEx(initsigs: i32): void;
// @ts-ignore: decorator
@external("env", "Py_IsInitialized") export declare function Py_IsInitialized(): i32;
/** New reference. */
// @ts-ignore: decorator
@external("env", "PyImport_ImportModule") export declare function PyImport_ImportModule(name: usize): usize;
/** Borrowed reference. */
// @ts-ignore: decorator
@external("env", "PyImport_AddModule") export declare function PyImport_AddModule(name: usize): usize;
/** Borrowed reference. */
// @ts-ignore: decorator
@external("env", "PyModule_GetDict") export declare function PyModule_GetDict(module: usize): usize;
/** New reference. */
// @ts-ignore: decorator
@external("env", "Py_CompileStringExFlags") export declare function Py_CompileStringExFlags(source: usize, filename: usize, start: i32, flags: usize, optimize: i32): usize;
/** New reference. */
// @ts-ignore: decorator
@external("env", "PyEval_EvalCode") export declare function PyEval_EvalCode(code: usize, globals: usize, locals: usize): usize;
/** New reference. */
// @ts-ignore: decorator
@external("env", "PyUnicode_FromStringAndSize") export declare function PyUnicode_FromStringAndSize(utf8: usize, size: isize): usize;
/** Borrowed buffer, valid while the object lives. */
// @ts-ignore: decorator
@external("env", "PyUnicode_AsUTF8AndSize") export declare function PyUnicode_AsUTF8AndSize(obj: usize, size: usize): usize;
/** New reference. */
// @ts-ignore: decorator
@external("env", "PyBytes_FromStringAndSize") export declare function PyBytes_FromStringAndSize(data: usize, size: isize): usize;
// @ts-ignore: decorator
@external("env", "PyBytes_AsStringAndSize") export declare function PyBytes_AsStringAndSize(obj: usize, buffer: usize, length: usize): i32;
/** New reference. */
// @ts-ignore: decorator
@external("env", "PyObject_CallOneArg") export declare function PyObject_CallOneArg(callable: usize, arg: usize): usize;
/** New reference. */
// @ts-ignore: decorator
@external("env", "PyObject_CallObject") export declare function PyObject_CallObject(callable: usize, args: usize): usize;
/** Borrowed reference (no exception set when missing). */
// @ts-ignore: decorator
@external("env", "PyDict_GetItemString") export declare function PyDict_GetItemString(dict: usize, key: usize): usize;
/** Does not steal `value`; 0 on success. */
// @ts-ignore: decorator
@external("env", "PyDict_SetItemString") export declare function PyDict_SetItemString(dict: usize, key: usize, value: usize): i32;
/** Borrowed reference. */
// @ts-ignore: decorator
@external("env", "PyTuple_GetItem") export declare function PyTuple_GetItem(tuple: usize, index: isize): usize;
/** New reference. */
// @ts-ignore: decorator
@external("env", "PyTuple_New") export declare function PyTuple_New(size: isize): usize;
/** Steals `item`. */
// @ts-ignore: decorator
@external("env", "PyTuple_SetItem") export declare function PyTuple_SetItem(tuple: usize, index: isize, item: usize): i32;
/** New reference. */
// @ts-ignore: decorator
@external("env", "PyLong_FromLong") export declare function PyLong_FromLong(v: i32): usize;
// @ts-ignore: decorator
@external("env", "PyLong_FromUnsignedLong") export declare function PyLong_FromUnsignedLong(v: u32): usize;
// @ts-ignore: decorator
@external("env", "PyLong_AsLong") export declare function PyLong_AsLong(obj: usize): i32;
// @ts-ignore: decorator
@external("env", "PyLong_AsUnsignedLong") export declare function PyLong_AsUnsignedLong(obj: usize): u32;
/** New reference. */
// @ts-ignore: decorator
@external("env", "PyObject_Str") export declare function PyObject_Str(obj: usize): usize;
/** New reference (or 0 with no exception). */
// @ts-ignore: decorator
@external("env", "PyErr_GetRaisedException") export declare function PyErr_GetRaisedException(): usize;
// @ts-ignore: decorator
@external("env", "PyErr_Occurred") export declare function PyErr_Occurred(): usize;
// @ts-ignore: decorator
@external("env", "PyErr_Clear") export declare function PyErr_Clear(): void;
// @ts-ignore: decorator
@external("env", "Py_DecRef") export declare function Py_DecRef(obj: usize): void;
// @ts-ignore: decorator
@external("env", "Py_IncRef") export declare function Py_IncRef(obj: usize): void;
/** New reference; Py_CONSTANT_NONE = 0. */
// @ts-ignore: decorator
@external("env", "Py_GetConstant") export declare function Py_GetConstant(which: u32): usize;

export const Py_file_input: i32 = 257;

// @ts-ignore: decorator
@inline export function decref(obj: usize): void {
  if (obj) Py_DecRef(obj);
}
/** New reference. */
// @ts-ignore: decorator
@external("env", "PyList_New") export declare function PyList_New(size: isize): usize;
/** Steals `item`. */
// @ts-ignore: decorator
@external("env", "PyList_SetItem") export declare function PyList_SetItem(list: usize, index: isize, item: usize): i32;
// @ts-ignore: decorator
@external("env", "PyTuple_Size") export declare function PyTuple_Size(tuple: usize): isize;
// @ts-ignore: decorator
@external("env", "PyList_Size") export declare function PyList_Size(list: usize): isize;
/** Borrowed reference. */
// @ts-ignore: decorator
@external("env", "PyList_GetItem") export declare function PyList_GetItem(list: usize, index: isize): usize;
// @ts-ignore: decorator
@external("env", "PyImport_AppendInittab") export declare function PyImport_AppendInittab(name: usize, initfunc: u32): i32;
/** New reference. */
// @ts-ignore: decorator
@external("env", "PyModule_Create2") export declare function PyModule_Create2(def: usize, apiVersion: i32): usize;
// @ts-ignore: decorator
@external("env", "PyErr_SetString") export declare function PyErr_SetString(type: usize, message: usize): void;

export const PYTHON_API_VERSION: i32 = 1013;
/**
 * `ob_refcnt` (offset 0 of every object on wasm32) of a heap object made
 * immortal: `_Py_IMMORTAL_INITIAL_REFCNT` of CPython 3.14's 32-bit builds
 * (5 << 28; anything from 1 << 30 on counts as immortal, and from 6 << 28 on
 * as statically allocated, which heap objects must not claim).
 */
export const Py_IMMORTAL_INITIAL_REFCNT: i32 = 5 << 28;
export const METH_VARARGS: i32 = 0x0001;
export const METH_NOARGS: i32 = 0x0004;

/** New reference to None. */
export function newNone(): usize {
  return Py_GetConstant(0); // Py_CONSTANT_NONE
}
