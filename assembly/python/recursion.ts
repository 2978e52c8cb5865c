// How deep Python may recurse: deep enough for real programs, and always
// ending in RecursionError (or a deferred free) before the wasm engine's
// stack ends the instance (docs/robustness.md).
//
// 1. The C-stack budget. CPython 3.14 checks C recursion against limits in
//    its thread state, measured from a stack pointer that reads as 0 in the
//    pinned WASI build (link/stack-charges.ts), so they never fired. Here the
//    limits are set to a budget sized for the engine's stack, and the link
//    stage makes the recursive paths of libpython charge it as they go.
// 2. The Python recursion limit. Python-to-Python calls take no C stack,
//    but a million frames take seconds to unwind and report, so
//    `sys.setrecursionlimit` becomes a built-in of ours that clamps to
//    MAX_RECURSION_LIMIT. It is a C function, so user code finds no
//    reference to the original in it; the original is dropped. It also
//    keeps the limit at MIN_RECURSION_LIMIT or more: the glue runs every
//    execute, error report and snapshot under the same limit, and below
//    about 16 it could do none of them, so the session was lost for good.

import { decref, newNone, PyDict_GetItemString, PyErr_Clear, PyErr_Occurred, PyErr_SetString, PyLong_AsLong } from "./cpython";
import { cstrForever, newMethodTable, setMethod } from "./module-def";
import { writeStderr } from "./interpreter";

// @ts-ignore: decorator
@external("env", "PyThreadState_Get") declare function PyThreadState_Get(): usize;
// @ts-ignore: decorator
@external("env", "Py_GetRecursionLimit") declare function Py_GetRecursionLimit(): i32;
// @ts-ignore: decorator
@external("env", "Py_SetRecursionLimit") declare function Py_SetRecursionLimit(limit: i32): void;
/** Borrowed reference. */
// @ts-ignore: decorator
@external("env", "PyEval_GetBuiltins") declare function PyEval_GetBuiltins(): usize;
/** New reference. */
// @ts-ignore: decorator
@external("env", "PyCFunction_NewEx") declare function PyCFunction_NewEx(def: usize, self: usize, module: usize): usize;
// @ts-ignore: decorator
@external("env", "PySys_SetObject") declare function PySys_SetObject(name: usize, value: usize): i32;

/** The highest recursion limit user code can set: a recursion this deep fails and is reported in about 2 s (100 000: 9 s). */
export const MAX_RECURSION_LIMIT: i32 = 20_000;
/** The lowest: the glue's own calls (running code, formatting a traceback, importing, snapshots) need about 16 levels; 100 leaves room. */
export const MIN_RECURSION_LIMIT: i32 = 100;

/**
 * C-stack budget in bytes: what the charged paths may use, out of the
 * reference host's 384 KiB of wasm stack (eryx: 512 KiB); the rest is for
 * the frames below the first Python call and the uncharged ones. Odd, so
 * that with even charges the hard limit never reads as 0 ("not set").
 */
const STACK_BUDGET: i32 = 256 * 1024 + 1;
/** `c_stack_top`, `c_stack_soft_limit`, `c_stack_hard_limit` in the thread state (link/stack-charges.ts). */
const STACK_TOP_OFFSET: usize = 708;
const SOFT_LIMIT_OFFSET: usize = 712;
const HARD_LIMIT_OFFSET: usize = 716;
/** CPython's distance between its soft and hard limit (`_PyOS_STACK_MARGIN_BYTES` on wasm32). */
const STACK_MARGIN: i32 = 8192;

const METH_O: i32 = 0x0008;

let lowLimitMessage: usize = 0;

/**
 * Sets the C-stack budget, replaces `sys.setrecursionlimit` by the clamping
 * built-in and clamps the current limit. Call once, after Py_InitializeEx.
 * Reports on stderr what it could not do.
 */
export function installRecursionLimits(): void {
  setStackBudget();
  if (!installRecursionCap()) {
    PyErr_Clear();
    writeStderr("eryx-as: sys.setrecursionlimit could not be replaced; recursion limits are not capped\n");
  }
}

/**
 * The thread state's limits, as the pinned CPython computes them with a
 * stack pointer of 0: top 0, soft limit 4 000 000 below it, hard limit 8 KiB
 * below that. Anything else means another layout: leave it alone.
 */
function setStackBudget(): void {
  let ts = PyThreadState_Get();
  let soft = load<i32>(ts + SOFT_LIMIT_OFFSET);
  if (load<i32>(ts + STACK_TOP_OFFSET) != 0 || soft != -4_000_000 || load<i32>(ts + HARD_LIMIT_OFFSET) != soft - STACK_MARGIN) {
    writeStderr("eryx-as: unexpected C-stack limits in the thread state; deep C recursion is not guarded\n");
    return;
  }
  store<i32>(ts + STACK_TOP_OFFSET, STACK_BUDGET & ~4095); // only shown in "Stack overflow (used N kB)"
  store<i32>(ts + SOFT_LIMIT_OFFSET, -STACK_BUDGET);
  store<i32>(ts + HARD_LIMIT_OFFSET, -STACK_BUDGET - STACK_MARGIN);
}

function installRecursionCap(): bool {
  let def = newMethodTable(1, "the setrecursionlimit method table");
  setMethod(def, 0, "setrecursionlimit", nativeSetRecursionLimit.index, METH_O, "setrecursionlimit(limit, /)\n--\n\nSet the maximum depth of the Python interpreter stack; in the sandbox at least "
    + MIN_RECURSION_LIMIT.toString() + " and at most " + MAX_RECURSION_LIMIT.toString() + " (a limit outside is moved to the nearer end).");
  lowLimitMessage = cstrForever("recursion limit must be greater or equal than 1");
  let fn = PyCFunction_NewEx(def, 0, 0);
  if (!fn) return false;
  let status = PySys_SetObject(cstrForever("setrecursionlimit"), fn);
  decref(fn);
  if (Py_GetRecursionLimit() > MAX_RECURSION_LIMIT) Py_SetRecursionLimit(MAX_RECURSION_LIMIT);
  return status == 0;
}

/** `sys.setrecursionlimit(limit)` (METH_O), clamped to [MIN_RECURSION_LIMIT, MAX_RECURSION_LIMIT]. */
function nativeSetRecursionLimit(self: usize, limit: usize): usize {
  let n = PyLong_AsLong(limit); // TypeError or OverflowError, as the original raises them
  if (n == -1 && PyErr_Occurred()) return 0;
  if (n < 1) {
    let name = changetype<usize>(String.UTF8.encode("ValueError", true));
    PyErr_SetString(PyDict_GetItemString(PyEval_GetBuiltins(), name), lowLimitMessage);
    __release(name);
    return 0;
  }
  Py_SetRecursionLimit(min(max(n, MIN_RECURSION_LIMIT), MAX_RECURSION_LIMIT));
  return newNone();
}

