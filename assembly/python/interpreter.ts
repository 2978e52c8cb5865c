// The embedded CPython interpreter: initialisation, the glue, and the calls
// that cross from the runtime into Python. Each call returns an `Outcome`:
// the `(status, value)` pair the glue's entry points return (see
// python/_eryx_exec.py), or an error text when Python itself failed.

import { GLUE_NAMES, GLUE_SOURCES } from "../generated/glue";
import {
  decref, Py_CompileStringExFlags, Py_file_input, Py_InitializeEx, PyDict_GetItemString, PyErr_GetRaisedException,
  PyEval_EvalCode, PyImport_AddModule, PyLong_AsLong, PyModule_GetDict, PyObject_CallObject, PyObject_Str,
  PyTuple_GetItem, PyTuple_New, PyTuple_Size, PyErr_Clear, PyTuple_SetItem, PyUnicode_AsUTF8AndSize, PyUnicode_FromStringAndSize, Py_IncRef,
} from "./cpython";
import { write } from "../libc";
import { registerEryxModule } from "./native-module";

export const STATUS_OK: i32 = 0;
export const STATUS_ERROR: i32 = 1;
export const STATUS_PENDING: i32 = 2;

let mainDict: usize = 0;
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

/**
 * `<context>: <str(exception)>` of the pending Python exception (cleared),
 * for messages. `context` is a literal; the result is the caller's to free
 * (`__release`; it is `context` itself when no exception is pending).
 */
export function takeErrorText(context: string): string {
  let exc = PyErr_GetRaisedException();
  if (!exc) return context;
  let text = context;
  let str = PyObject_Str(exc);
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

/**
 * Starts CPython (environment and preopens come from WASI: PYTHONHOME,
 * PYTHONPATH) and runs the glue in `__main__`. Failures are reported on
 * stderr and leave `ready` false, so every execute answers with an Err.
 */
export function initializeInterpreter(): void {
  registerEryxModule();
  Py_InitializeEx(0);
  let main = PyImport_AddModule(cstr("__main__"));
  if (!main) { writeStderr("eryx-as: cannot create __main__: " + takeErrorText("") + "\n"); return; }
  mainDict = PyModule_GetDict(main);
  for (let i = 0; i < GLUE_NAMES.length; i++) {
    let name = GLUE_NAMES[i];
    let filename = cstr("<eryx:" + name + ">");
    let code = Py_CompileStringExFlags(GLUE_SOURCES[i], filename, Py_file_input, 0, -1);
    __release(filename);
    let result = code ? PyEval_EvalCode(code, mainDict, mainDict) : 0;
    decref(code);
    if (!result) {
      let err = takeErrorText(" failed");
      writeStderr("eryx-as: the runtime glue ", name, err, "\n");
      __release(changetype<usize>(err));
      return;
    }
    decref(result);
  }
  ready = true;
}

export function interpreterReady(): bool {
  return ready;
}

/** A borrowed reference to a glue function in `__main__` (0 if missing). */
export function glueFunction(name: string): usize {
  let key = cstr(name);
  let fn = PyDict_GetItemString(mainDict, key);
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
