// Export dispatch: which world export runs for which metadata index, and how
// its result is handed back (the callback ABI for the async exports).
//
// eryx hard-codes the export indices: execute=0, snapshot-state=1,
// restore-state=2, clear-state=3, finalize-preinit=4 (sync); the eryx 0.5
// world adds set-result-variable=5 and answers execute with the
// execute-output record (docs/eryx-0.5.md). Which world this is, the
// bindings' metadata says.

import { Cx, cxFree, cxNew, popList, popString, pushBytes, pushCase, pushFields, pushString } from "./abi/value-stack";
import { exportFunc, KIND_RECORD, KIND_RESULT, resultType, typeIndex, typeKind } from "./abi/metadata";
import { CALLBACK_EXIT, CALLBACK_POLL, CALLBACK_WAIT, CALLBACK_YIELD, EVENT_NONE, EVENT_SUBTASK, resetAdapterState, STATUS_RETURNED, waitableSetPoll } from "./abi/intrinsics";
import { liftInvokeResult, popInvokeResult, resolveImports } from "./abi/imports";
import { currentWaitableSet, pendingSubtasks, releaseWaitableSet, unpark } from "./async/subtasks";
import { setExecuteScope } from "./python/native-module";
import { readyImage } from "./image";
import { malloc, mallocCopy, wasilibcResetPreopens } from "./libc";
import { takeOutcomeError } from "./python/interpreter";
import { fatal } from "./fatal";
import { installRecursionLimits } from "./python/recursion";
import {
  callGlue, glueFunction, initializeInterpreter, interpreterReady, newStr, Outcome, strData, takeErrorText, tuple1,
} from "./python/interpreter";
import { MODE_POLL, MODE_WAIT, STATUS_ERROR, STATUS_OK, STATUS_PENDING } from "./python/glue-codes";
import {
  decref, Py_IncRef, PyBytes_AsStringAndSize, PyErr_Clear, PyBytes_FromStringAndSize, PyLong_AsLong, PyLong_FromLong, PyLong_FromUnsignedLong, PyTuple_New,
  PyTuple_GetItem, PyTuple_SetItem, PyUnicode_FromStringAndSize,
} from "./python/cpython";

const EXPORT_EXECUTE: u32 = 0;
const EXPORT_SNAPSHOT_STATE: u32 = 1;
const EXPORT_RESTORE_STATE: u32 = 2;
const EXPORT_CLEAR_STATE: u32 = 3;
const EXPORT_FINALIZE_PREINIT: u32 = 4;
const EXPORT_SET_RESULT_VARIABLE: u32 = 5;
const EXECUTE_OUTPUT_FIELDS: u32 = 4; // stdout, stderr, result-json, result-error

const RESULT_OK: u32 = 0;
const RESULT_ERR: u32 = 1;

let execFn: usize = 0;
let snapshotFn: usize = 0;
let restoreFn: usize = 0;
let clearFn: usize = 0;
let resumeFn: usize = 0;
let wakeFn: usize = 0;
let setResultVariableFn: usize = 0;
// The eryx 0.5 world: execute returns result<execute-output, string>.
let outputRecord = false;

// The one export that may be suspended at a time (eryx serialises calls).
let suspendedCx: usize = 0;
let suspendedWhich: u32 = 0;

const outcome = changetype<Outcome>(memory.data(offsetof<Outcome>()));
const scratch = memory.data(8);

export function initialize(): void {
  resolveImports();
  initializeInterpreter();
  if (!interpreterReady()) return;
  installRecursionLimits();
  execFn = glueFunction("execute");
  snapshotFn = glueFunction("snapshot");
  restoreFn = glueFunction("restore");
  clearFn = glueFunction("clear");
  resumeFn = glueFunction("resume");
  wakeFn = glueFunction("wake");
  setResultVariableFn = glueFunction("set_result_variable");
  outputRecord = executeReturnsRecord();
  if (outputRecord) {
    callGlue(glueFunction("use_output_record"), PyTuple_New(0), outcome);
    decref(outcome.value);
  }
}

/** Whether the world's execute answers `result<record, _>` (the eryx 0.5 world's execute-output). */
function executeReturnsRecord(): bool {
  let f = exportFunc(EXPORT_EXECUTE);
  if (f === null || typeKind(f.result) != KIND_RESULT) return false;
  return typeKind(resultType(typeIndex(f.result)).ok) == KIND_RECORD;
}

export function exportStart(which: u32): usize {
  if (exportFunc(which) === null) fatal("export index " + which.toString() + " is not in this world");
  return changetype<usize>(cxNew());
}

/** Sync exports: only finalize-preinit. Results (none) stay on the cx. */
export function exportCall(cx: usize, which: u32): void {
  if (which != EXPORT_FINALIZE_PREINIT) fatal("export " + which.toString() + " is not synchronous");
  // Instances of the image write to few of its pages (image.ts).
  if (interpreterReady()) readyImage();
  // Forget every WASI handle before a memory snapshot is taken, so none is baked into the image.
  resetAdapterState();
  wasilibcResetPreopens();
}

export function exportFinish(cx: usize, which: u32): void {
  cxFree(changetype<Cx>(cx));
}

export function exportAsyncCall(cxPtr: usize, which: u32): u32 {
  let cx = changetype<Cx>(cxPtr);
  if (suspendedCx) {
    pushErrText(cx, "another call is still suspended: the host must not overlap calls into one instance");
    return finish(cx, which);
  }
  if (which == EXPORT_EXECUTE) {
    setExecuteScope(true);
    execute(cx);
    return settle(cx, which);
  }
  if (which == EXPORT_SNAPSHOT_STATE) snapshotState(cx);
  else if (which == EXPORT_RESTORE_STATE) restoreState(cx);
  else if (which == EXPORT_CLEAR_STATE) clearState(cx);
  else if (which == EXPORT_SET_RESULT_VARIABLE) setResultVariable(cx);
  else fatal("export " + which.toString() + " is not asynchronous");
  return finish(cx, which);
}

/**
 * The host reports progress of the suspended export: a host callback
 * returned (SUBTASK/RETURNED), or nothing (NONE, after POLL). Deliver the
 * result to Python, let the event loop run, and settle again.
 */
export function exportAsyncCallback(event: u32, handle: u32, payload: u32, which: u32): u32 {
  if (!suspendedCx || which != suspendedWhich) return CALLBACK_EXIT; // nothing of ours is waiting
  let cx = changetype<Cx>(suspendedCx);
  suspendedCx = 0;
  setExecuteScope(true);
  if (!(event == EVENT_SUBTASK && payload == STATUS_RETURNED && wake(handle))) callGlue(resumeFn, PyTuple_New(0), outcome);
  return settle(cx, which);
}

/**
 * Lifts the result of a returned subtask and hands it to the glue's `wake`,
 * which resolves its Python future and steps the loop (one call into Python
 * per returned callback). False if the subtask is not ours.
 */
function wake(subtask: u32): bool {
  let callCx = unpark(subtask, scratch);
  if (!callCx) return false;
  liftInvokeResult(callCx, load<usize>(scratch));
  let ok = popInvokeResult(changetype<Cx>(callCx), scratch, scratch + 4);
  let text = PyUnicode_FromStringAndSize(load<usize>(scratch), <isize>load<usize>(scratch + 4));
  cxFree(changetype<Cx>(callCx));
  if (!text) text = PyUnicode_FromStringAndSize(0, 0); // invalid UTF-8 from the host: an empty error
  let args = PyTuple_New(3);
  PyTuple_SetItem(args, 0, PyLong_FromUnsignedLong(subtask));
  PyTuple_SetItem(args, 1, PyLong_FromLong(ok ? 1 : 0));
  PyTuple_SetItem(args, 2, text);
  callGlue(wakeFn, args, outcome); // settle() hands the outcome back
  return true;
}

/**
 * After execute or a resume: either suspend (return WAIT or POLL to the
 * host, keeping the cx) or push the result and finish.
 */
function settle(cx: Cx, which: u32): u32 {
  if (outcome.error === null && outcome.status == STATUS_PENDING) {
    let mode = PyLong_AsLong(outcome.value);
    decref(outcome.value);
    let set = currentWaitableSet();
    let inFlight = set != 0 && pendingSubtasks() != 0;
    if (mode == MODE_POLL || (mode == MODE_WAIT && inFlight)) {
      suspendedCx = changetype<usize>(cx);
      suspendedWhich = which;
      setExecuteScope(false);
      // WAIT: wake me when a host callback returns. POLL: come back at once
      // with whatever is ready (or NONE) — a timer is due soon (Python has
      // slept a short slice, so this does not spin) or an answer is queued.
      // With nothing in flight there is no set to poll: YIELD does the same.
      if (mode == MODE_WAIT) return CALLBACK_WAIT | (set << 4);
      if (!inFlight) return CALLBACK_YIELD;
      return outputRecord ? pollThenYield(which, set) : CALLBACK_POLL | (set << 4);
    }
    outcome.status = STATUS_ERROR;
    outcome.value = 0;
    outcome.error = "eryx-as runtime error: Python waits for a host callback, but none is in flight";
  }
  setExecuteScope(false);
  if (outputRecord) pushExecuteOutput(cx, outcome);
  else pushStringResult(cx, outcome);
  releaseWaitableSet();
  return finish(cx, which);
}

/**
 * POLL without the POLL code: the eryx 0.5 world's host (wasmtime 44) no
 * longer has that callback code (it traps "unsupported callback code"). Poll
 * the set here (waitable-set.poll); a ready event is handled as if the host
 * had delivered it, otherwise YIELD: the host calls back at once with NONE.
 */
function pollThenYield(which: u32, set: u32): u32 {
  let event = waitableSetPoll(set, scratch);
  if (event == EVENT_NONE) return CALLBACK_YIELD;
  return exportAsyncCallback(event, load<u32>(scratch), load<u32>(scratch + 4), which);
}

/** Hands the result on the cx to the export's task.return, frees the cx, and exits. */
function finish(cx: Cx, which: u32): u32 {
  call_indirect<void>(exportFunc(which)!.taskReturn, changetype<usize>(cx));
  cxFree(cx);
  return CALLBACK_EXIT;
}

/** Pushes `Err(text)` and frees `text` (a literal is static: freeing it does nothing). */
function pushErrText(cx: Cx, text: string): void {
  let bytes = String.UTF8.encode(text);
  pushString(cx, mallocCopy(changetype<usize>(bytes), bytes.byteLength), bytes.byteLength, true);
  __release(changetype<usize>(bytes));
  __release(changetype<usize>(text));
  pushCase(cx, RESULT_ERR, true);
}

/** Pushes `Err(<prefix><the outcome's error>)`, freeing what it built and took. */
function pushOutcomeError(cx: Cx, prefix: string, o: Outcome): void {
  let error = takeOutcomeError(o);
  pushErrText(cx, prefix.length ? prefix + error : error);
  if (prefix.length) __release(changetype<usize>(error));
}

/** Pushes `result<string, string>` from an outcome whose value is a str (or an error text). */
function pushStringResult(cx: Cx, o: Outcome): void {
  if (o.error !== null) { pushOutcomeError(cx, "", o); return; }
  let len = pushPyStr(cx, o.value);
  if (len == NOT_TEXT) { pushErrText(cx, takeErrorText("result is not valid text")); return; }
  if (len == NO_MEMORY) { pushErrText(cx, "the result is too large to copy out of the sandbox's memory"); return; }
  pushCase(cx, o.status == STATUS_OK ? RESULT_OK : RESULT_ERR, true);
}

/**
 * Pushes `result<execute-output, string>` from an outcome whose value is the
 * glue's (stdout, stderr, result-json, result-error) tuple (or an error text).
 */
function pushExecuteOutput(cx: Cx, o: Outcome): void {
  if (o.error !== null || o.status != STATUS_OK) { pushStringResult(cx, o); return; }
  let fields = o.value;
  for (let i: u32 = 0; i < EXECUTE_OUTPUT_FIELDS; i++) {
    let str = PyTuple_GetItem(fields, <isize>i);
    if (str) Py_IncRef(str); // pushPyStr releases what it is given
    let len = str ? pushPyStr(cx, str) : NOT_TEXT;
    if (len < 0) {
      // Fields already pushed stay on the cx: cxFree releases them.
      decref(fields);
      pushErrText(cx, len == NO_MEMORY ? "the output is too large to copy out of the sandbox's memory" : takeErrorText("output is not valid text"));
      return;
    }
  }
  decref(fields);
  pushFields(cx, EXECUTE_OUTPUT_FIELDS);
  pushCase(cx, RESULT_OK, true);
}

const NOT_TEXT: isize = -1;
const NO_MEMORY: isize = -2;

/**
 * Pushes a copy of a Python str's UTF-8 bytes and releases the str; NOT_TEXT
 * if it cannot be encoded, NO_MEMORY if the copy does not fit. User code
 * decides the size, so a failed copy is an Err, never the end of the instance.
 */
function pushPyStr(cx: Cx, str: usize): isize {
  let data = strData(str, scratch);
  if (!data) { decref(str); return NOT_TEXT; }
  let len = load<usize>(scratch);
  let copy = malloc(len > 0 ? len : 1); // copy before the str (which owns `data`) goes
  if (copy) {
    memory.copy(copy, data, len);
    pushString(cx, copy, len, true);
  }
  decref(str);
  return copy ? <isize>len : NO_MEMORY;
}

function execute(cx: Cx): void {
  let len = popString(cx, scratch);
  let ptr = load<usize>(scratch);
  if (!interpreterReady()) { pushErrText(cx, "Python not initialized"); return; }
  let code = newStr(ptr, len);
  if (!code) { pushErrText(cx, takeErrorText("Invalid code string")); return; }
  callGlue(execFn, tuple1(code), outcome); // settle() hands the outcome back
}

function snapshotState(cx: Cx): void {
  if (!interpreterReady()) { pushErrText(cx, "Python not initialized"); return; }
  callGlue(snapshotFn, PyTuple_New(0), outcome);
  if (outcome.error !== null) { pushOutcomeError(cx, "Failed to snapshot state: ", outcome); return; }
  if (outcome.status != STATUS_OK) { pushStringResult(cx, outcome); return; }
  if (PyBytes_AsStringAndSize(outcome.value, scratch, scratch + 4) < 0) {
    decref(outcome.value);
    pushErrText(cx, takeErrorText("Failed to snapshot state"));
    return;
  }
  let data = load<usize>(scratch);
  let len = load<usize>(scratch + 4);
  let copy = malloc(len > 0 ? len : 1); // as in pushPyStr: the size is the user's
  if (copy) memory.copy(copy, data, len);
  decref(outcome.value);
  if (!copy) { pushErrText(cx, "Failed to snapshot state: the snapshot is too large to copy out of the sandbox's memory"); return; }
  pushBytes(cx, copy, len, true);
  pushCase(cx, RESULT_OK, true);
}

function restoreState(cx: Cx): void {
  let len = popList(cx, scratch);
  let ptr = load<usize>(scratch);
  if (!interpreterReady()) { pushErrText(cx, "Python not initialized"); return; }
  let bytes = PyBytes_FromStringAndSize(ptr, <isize>len);
  if (!bytes) { pushErrText(cx, takeErrorText("Failed to restore state")); return; }
  callGlue(restoreFn, tuple1(bytes), outcome);
  if (outcome.error !== null) { pushOutcomeError(cx, "Failed to restore state: ", outcome); return; }
  if (outcome.status != STATUS_OK) { pushStringResult(cx, outcome); return; }
  decref(outcome.value);
  pushCase(cx, RESULT_OK, false);
}

/** set-result-variable (eryx 0.5 world): completes at once, returns nothing. */
function setResultVariable(cx: Cx): void {
  let len = popString(cx, scratch);
  let ptr = load<usize>(scratch);
  if (!interpreterReady()) return;
  let name = newStr(ptr, len);
  if (!name) { PyErr_Clear(); return; } // a WIT string is valid UTF-8: not reached in practice
  callGlue(setResultVariableFn, tuple1(name), outcome);
  decref(outcome.value);
}

function clearState(cx: Cx): void {
  if (!interpreterReady()) return;
  callGlue(clearFn, PyTuple_New(0), outcome);
  decref(outcome.value); // clear-state never fails towards the host
}
