// The embedded CPython interpreter: initialisation, the glue, and the calls
// that cross from the runtime into Python. Each call returns an `Outcome`:
// the `(status, value)` pair the glue's entry points return (see
// python/eryx_glue/codes.py), or an error text when Python itself failed.

import { GLUE_DEFLATED, GLUE_DEFLATED_SIZE, GLUE_MODULES, GLUE_OFFSETS, GLUE_PACKAGE, GLUE_SIZE } from "../generated/glue";
import {
  decref, Py_CompileStringExFlags, Py_file_input, Py_InitializeEx, PyBytes_AsStringAndSize, PyBytes_FromStringAndSize,
  PyDict_GetItemString, PyDict_SetItemString, PyErr_GetRaisedException, PyErr_Occurred, PyEval_EvalCode, PyImport_AddModule,
  PyImport_ImportModule, PyList_New, PyLong_AsLong, PyModule_GetDict, PyObject_CallObject, PyObject_CallOneArg, PyObject_Str,
  PyTuple_GetItem, PyTuple_New, PyTuple_Size, PyErr_Clear, PyTuple_SetItem, PyUnicode_AsUTF8AndSize, PyUnicode_FromStringAndSize,
  Py_IncRef,
} from "./cpython";
import { setenv, write } from "../libc";
import { registerEryxModule } from "./native-module";
import { STATUS_ERROR } from "./glue-codes";

/** The glue package's namespace: its `__init__` holds the entry points. */
let packageDict: usize = 0;
let ready = false;

/** A NUL-terminated UTF-8 copy of `s` (an AS ArrayBuffer: owned by the caller, usually kept for life). */
export function cstr(s: string): usize {
  return changetype<usize>(String.UTF8.encode(s, true));
}

/**
 * Writes the parts to stderr one after the other: no concatenation, so no
 * intermediate string is left to free. The parts stay the caller's.
 */
export function writeStderr(a: string, b: string = "", c: string = "", d: string = ""): void {
  writeText(a);
  writeText(b);
  writeText(c);
  writeText(d);
}

function writeText(text: string): void {
  if (!text.length) return;
  let bytes = String.UTF8.encode(text);
  write(2, changetype<usize>(bytes), <usize>bytes.byteLength);
  __release(changetype<usize>(bytes));
}

/** New reference. */
// @ts-ignore: decorator
@external("env", "PyObject_Repr") declare function PyObject_Repr(obj: usize): usize;
// @ts-ignore: decorator
@external("env", "PyUnicode_GetLength") declare function PyUnicode_GetLength(str: usize): isize;

/**
 * `<context>: <str(exception)>` of the pending Python exception (cleared),
 * for messages, or `<context>: <repr(exception)>` when its str is empty (a
 * bare `MemoryError()` would say nothing). `context` is a literal; the
 * result is the caller's to free (`__release`; it is `context` itself when
 * no exception is pending).
 */
export function takeErrorText(context: string): string {
  let exc = PyErr_GetRaisedException();
  if (!exc) return context;
  let text = context;
  let str = PyObject_Str(exc);
  if (str && PyUnicode_GetLength(str) == 0) {
    decref(str);
    str = PyObject_Repr(exc);
  }
  if (str) {
    let detail = utf8ToString(str);
    let prefix = context + ": ";
    text = prefix + detail;
    __release(changetype<usize>(prefix));
    __release(changetype<usize>(detail));
    decref(str);
  }
  decref(exc);
  return text;
}

/** Decodes a Python str into an AS string (for short messages only). */
function utf8ToString(str: usize): string {
  let sizeBox = memory.data(sizeof<usize>());
  let data = PyUnicode_AsUTF8AndSize(str, sizeBox);
  if (!data) return "(undecodable)";
  return String.UTF8.decodeUnsafe(data, load<usize>(sizeBox));
}

/** Sets `dict[key] = value` and releases `value` (a new reference); false on failure. */
function setItem(dict: usize, key: string, value: usize): bool {
  if (!value) return false;
  let k = cstr(key);
  let status = PyDict_SetItemString(dict, k, value);
  __release(k);
  decref(value);
  return status == 0;
}

function textObject(s: string): usize {
  let bytes = String.UTF8.encode(s);
  let obj = PyUnicode_FromStringAndSize(changetype<usize>(bytes), bytes.byteLength);
  __release(changetype<usize>(bytes));
  return obj;
}

/** A borrowed reference to the module `name` in sys.modules, created empty (with `__name__`) if missing. */
function addModule(name: string): usize {
  let cname = cstr(name);
  let module = PyImport_AddModule(cname);
  __release(cname);
  return module;
}

/**
 * A new module `name` in sys.modules, part of the glue package: its dict, or
 * 0 with the exception set. `__builtins__` is set as an import sets it:
 * C code that imports (pickle's, for one) reads it from the calling frame's globals.
 */
function newGlueModule(name: string): usize {
  let module = addModule(name);
  let builtins = addModule("builtins");
  if (!module || !builtins) return 0;
  let dict = PyModule_GetDict(module);
  Py_IncRef(builtins); // setItem releases it
  return setItem(dict, "__package__", textObject(GLUE_PACKAGE)) && setItem(dict, "__builtins__", builtins) ? dict : 0;
}

/**
 * The glue's sources, inflated by CPython's built-in zlib (link/glue.ts
 * deflated them): a new bytes reference, or 0 with the exception set.
 * Done once, at initialisation (before the snapshot of a pre-initialised image).
 */
function inflateGlue(): usize {
  let name = cstr("zlib");
  let zlib = PyImport_ImportModule(name);
  __release(name);
  if (!zlib) return 0;
  let fnName = cstr("decompress");
  let decompress = PyDict_GetItemString(PyModule_GetDict(zlib), fnName); // borrowed
  __release(fnName);
  let packed = decompress ? PyBytes_FromStringAndSize(GLUE_DEFLATED, GLUE_DEFLATED_SIZE) : 0;
  let text = packed ? PyObject_CallOneArg(decompress, packed) : 0;
  decref(packed);
  decref(zlib);
  return text;
}

/**
 * Creates the glue package from its embedded sources, as an import would:
 * the package (with an empty `__path__`, so relative imports resolve), then
 * each submodule, run in its own namespace and bound on the package, in
 * dependency order; `__init__` last, in the package's namespace.
 */
function loadGlue(): bool {
  let text = inflateGlue();
  if (!text) return false;
  let ok = loadGlueFrom(text);
  decref(text);
  return ok;
}

function loadGlueFrom(text: usize): bool {
  let box = memory.data(2 * sizeof<usize>());
  if (PyBytes_AsStringAndSize(text, box, box + sizeof<usize>()) < 0) return false;
  let sources = load<usize>(box);
  if (load<isize>(box, sizeof<usize>()) != GLUE_SIZE) {
    writeStderr("eryx-as: the runtime glue did not inflate to its size\n");
    return false;
  }
  packageDict = newGlueModule(GLUE_PACKAGE);
  if (!packageDict || !setItem(packageDict, "__path__", PyList_New(0))) return false;
  for (let i = 0; i < GLUE_MODULES.length; i++) {
    let short = GLUE_MODULES[i];
    let isPackage = short == "__init__";
    let name = isPackage ? GLUE_PACKAGE : GLUE_PACKAGE + "." + short;
    let dict = isPackage ? packageDict : newGlueModule(name);
    if (!dict) return false;
    let filename = cstr("<" + GLUE_PACKAGE + "/" + short + ".py>");
    let code = Py_CompileStringExFlags(sources + <usize>GLUE_OFFSETS[i], filename, Py_file_input, 0, -1);
    __release(filename);
    let result = code ? PyEval_EvalCode(code, dict, dict) : 0;
    decref(code);
    if (!result) {
      let err = takeErrorText(" failed");
      writeStderr("eryx-as: the runtime glue ", name, err, "\n");
      __release(changetype<usize>(err));
      return false;
    }
    decref(result);
    if (!isPackage) {
      let module = addModule(name); // the one created above
      Py_IncRef(module);
      if (!setItem(packageDict, short, module)) return false;
    }
  }
  return true;
}

/**
 * PYTHONHASHSEED=0 unless the host's environment sets it. With a random
 * seed per instance, str and bytes hashes differ between instances, so do the
 * collisions in every dict and set, and so the instructions (eryx 0.5's fuel)
 * that the same code costs in a fresh instance (about 0.2 % measured). A
 * pre-initialised image already gives every instance one seed, readable by
 * anyone who has the image, so a fixed seed protects nothing less.
 */
function fixHashSeed(): void {
  let name = cstr("PYTHONHASHSEED");
  let zero = cstr("0");
  setenv(name, zero, 0); // setenv copies both strings
  __release(name);
  __release(zero);
}

/**
 * Starts CPython (environment and preopens come from WASI: PYTHONHOME,
 * PYTHONPATH) and loads the glue package. Failures are reported on stderr and
 * leave `ready` false, so every execute answers with an Err.
 */
export function initializeInterpreter(): void {
  registerEryxModule();
  fixHashSeed();
  Py_InitializeEx(0);
  if (!loadGlue()) {
    if (PyErr_Occurred()) {
      let err = takeErrorText("eryx-as: cannot create the glue package");
      writeStderr(err, "\n");
      __release(changetype<usize>(err));
    }
    return;
  }
  ready = true;
}

export function interpreterReady(): bool {
  return ready;
}

/** A glue entry point (python/eryx_glue/__init__.py), kept for the instance's lifetime (0 if missing). */
export function glueFunction(name: string): usize {
  let key = cstr(name);
  let fn = PyDict_GetItemString(packageDict, key);
  __release(key);
  if (fn) Py_IncRef(fn); // kept for the instance's lifetime
  return fn;
}

/**
 * What a glue entry point answered. `value` is a new reference (or 0).
 * `error` belongs to the outcome until a consumer takes it with
 * `takeOutcomeError`; the next `callGlue` frees one nobody took.
 */
@unmanaged export class Outcome {
  status: i32;
  value: usize;
  error: string | null;
}

/** Takes the error text out of an outcome: the caller now owns it (`__release`). */
export function takeOutcomeError(o: Outcome): string {
  let e = o.error!;
  o.error = null;
  return e;
}

/**
 * Calls `fn(*args)` (args: a new tuple reference, consumed) and unpacks the
 * `(status, value)` answer. A failure of the call itself becomes an error
 * outcome with the exception text.
 */
export function callGlue(fn: usize, args: usize, out: Outcome): void {
  out.value = 0;
  if (out.error !== null) __release(changetype<usize>(takeOutcomeError(out)));
  let result = PyObject_CallObject(fn, args);
  decref(args);
  if (!result) {
    out.status = STATUS_ERROR;
    out.error = takeErrorText("eryx-as runtime error");
    return;
  }
  if (PyTuple_Size(result) != 2) {
    PyErr_Clear();
    decref(result);
    out.status = STATUS_ERROR;
    out.error = "eryx-as runtime error: a glue function did not answer (status, value)";
    return;
  }
  out.status = PyLong_AsLong(PyTuple_GetItem(result, 0));
  let value = PyTuple_GetItem(result, 1);
  if (value) Py_IncRef(value);
  out.value = value;
  decref(result);
}

export function tuple1(item: usize): usize {
  let t = PyTuple_New(1);
  PyTuple_SetItem(t, 0, item);
  return t;
}

/** A new Python str from UTF-8 bytes (0 with the exception set when invalid). */
export function newStr(ptr: usize, len: usize): usize {
  return PyUnicode_FromStringAndSize(ptr, <isize>len);
}

/** UTF-8 view of a Python str: returns the data pointer and stores the length at `lenOut`. */
export function strData(str: usize, lenOut: usize): usize {
  return PyUnicode_AsUTF8AndSize(str, lenOut);
}
