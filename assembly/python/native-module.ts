// The built-in module `_eryx`: the only way Python reaches the host. Three
// narrow functions, registered in the inittab before Py_InitializeEx:
//
//   invoke(name: str, args_json: str) -> (status, value)
//       start the async `invoke` import. status OK: value is the JSON result;
//       ERROR: value is the host's error text; PENDING: value is the subtask
//       handle, whose result arrives later through the glue's `resolve`
//       (codes: glue-codes.ts).
//   report_trace(lineno: int, event_json: str, context_json: str) -> None
//       forward one trace event (a no-op outside execute).
//   list_callbacks() -> list[tuple[str, str, str]]
//       the host's callbacks: (name, description, parameters-schema-json).
//
// The method and module tables are built by module-def.ts.

import {
  decref, METH_NOARGS, METH_VARARGS, newNone, PYTHON_API_VERSION, PyList_New, PyList_SetItem,
  PyLong_AsLong, PyLong_FromLong, PyLong_FromUnsignedLong, PyModule_Create2, PyTuple_GetItem, PyTuple_New,
  PyTuple_SetItem, PyTuple_Size, PyUnicode_AsUTF8AndSize, PyUnicode_FromStringAndSize, PyErr_Occurred,
} from "./cpython";
import { Cx, cxFree } from "../abi/value-stack";
import { callbackCount, callbackField, InvokeStart, invokeStart, listCallbacks, popInvokeResult, reportTrace } from "../abi/imports";
import { park } from "../async/subtasks";
import { newMethodTable, registerBuiltinModule, setMethod } from "./module-def";
import { STATUS_ERROR, STATUS_OK, STATUS_PENDING } from "./glue-codes";
import { registerWorldModule } from "./world-module";

let moduleDef: usize = 0;
let executeScope = false;

const scratch = memory.data(16);
const started = changetype<InvokeStart>(memory.data(offsetof<InvokeStart>()));

/** While an execute runs or resumes, invoke and report_trace reach the host. */
export function setExecuteScope(on: bool): void {
  executeScope = on;
}

function initEryxModule(): usize {
  return PyModule_Create2(moduleDef, PYTHON_API_VERSION);
}

/** Registers `_eryx` in the inittab: call before Py_InitializeEx. */
export function registerEryxModule(): void {
  let methods = newMethodTable(3, "the _eryx module's methods");
  setMethod(methods, 0, "invoke", nativeInvoke.index, METH_VARARGS, "invoke(name, args_json) -> (status, value)");
  setMethod(methods, 1, "report_trace", nativeReportTrace.index, METH_VARARGS, "report_trace(lineno, event_json, context_json)");
  setMethod(methods, 2, "list_callbacks", nativeListCallbacks.index, METH_NOARGS, "list_callbacks() -> [(name, description, schema)]");
  moduleDef = registerBuiltinModule("_eryx", "eryx-as runtime hooks (host callbacks and tracing)", methods, initEryxModule.index);
  registerWorldModule(); // _eryx_io: report-output and eryx:net (world-module.ts)
}

/** UTF-8 of tuple item `i` (a str); 0 with a Python exception set otherwise. */
function argText(args: usize, i: isize, lenOut: usize): usize {
  return PyUnicode_AsUTF8AndSize(PyTuple_GetItem(args, i), lenOut);
}

function pair(status: i32, value: usize): usize {
  if (!value) return 0;
  let t = PyTuple_New(2);
  PyTuple_SetItem(t, 0, PyLong_FromLong(status));
  PyTuple_SetItem(t, 1, value);
  return t;
}

function textObject(s: string): usize {
  let bytes = String.UTF8.encode(s);
  let obj = PyUnicode_FromStringAndSize(changetype<usize>(bytes), bytes.byteLength);
  __release(changetype<usize>(bytes));
  return obj;
}

function nativeInvoke(self: usize, args: usize): usize {
  if (PyTuple_Size(args) != 2) return pair(STATUS_ERROR, textObject("invoke() takes a callback name and an arguments JSON string"));
  if (!executeScope) {
    return pair(STATUS_ERROR, textObject("invoke() called outside of execute context - callbacks can only be called during code execution"));
  }
  let name = argText(args, 0, scratch);
  if (!name) return 0;
  let nameLen = load<usize>(scratch);
  let json = argText(args, 1, scratch);
  if (!json) return 0;
  invokeStart(name, nameLen, json, load<usize>(scratch), started);
  if (!started.returned) {
    park(started.subtask, started.cx, started.area);
    return pair(STATUS_PENDING, PyLong_FromUnsignedLong(started.subtask));
  }
  let cx = changetype<Cx>(started.cx);
  let ok = popInvokeResult(cx, scratch, scratch + 4);
  let result = pair(ok ? STATUS_OK : STATUS_ERROR, PyUnicode_FromStringAndSize(load<usize>(scratch), load<usize>(scratch + 4)));
  cxFree(cx);
  return result;
}

function nativeReportTrace(self: usize, args: usize): usize {
  if (executeScope && PyTuple_Size(args) == 3) {
    let lineno = PyLong_AsLong(PyTuple_GetItem(args, 0));
    if (lineno == -1 && PyErr_Occurred()) return 0;
    let event = argText(args, 1, scratch);
    if (!event) return 0;
    let context = argText(args, 2, scratch + 4);
    if (!context) return 0;
    reportTrace(<u32>max(lineno, 0), event, load<usize>(scratch), context, load<usize>(scratch + 4));
  }
  return newNone();
}

function nativeListCallbacks(self: usize, unused: usize): usize {
  let cx = listCallbacks();
  let n = callbackCount(cx);
  let list = PyList_New(<isize>n);
  for (let i: u32 = 0; list && i < n; i++) {
    let record = PyTuple_New(3);
    for (let f: u32 = 0; f < 3; f++) {
      let s = callbackField(cx, i, f);
      let text = PyUnicode_FromStringAndSize(<usize>s.a, <isize>s.b);
      if (!text) { decref(record); decref(list); cxFree(cx); return 0; }
      PyTuple_SetItem(record, <isize>f, text);
    }
    PyList_SetItem(list, <isize>i, record);
  }
  cxFree(cx);
  return list;
}
