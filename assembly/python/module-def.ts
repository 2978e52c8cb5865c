// Built-in modules and functions defined from AssemblyScript: the PyMethodDef
// and PyModuleDef tables are built on the heap at start-up, so no static
// structure depends on relocation (wasm32 layouts below). Used by `_eryx`
// (native-module.ts), `_eryx_io` (world-module.ts) and the capped
// sys.setrecursionlimit (recursion.ts).
//
//   PyMethodDef (16 bytes)                 PyModuleDef (52 bytes)
//   ┌─────────┬─────────┬──────────┬────────┐ ┌─────────────────────────────────────┬────────┬───────┬────────┬───────────┬─────┐
//   │ ml_name │ ml_meth │ ml_flags │ ml_doc │ │ m_base: refcnt type init index copy │ m_name │ m_doc │ m_size │ m_methods │ ... │
//   └─────────┴─────────┴──────────┴────────┘ └─────────────────────────────────────┴────────┴───────┴────────┴───────────┴─────┘
//                                              0                                     20       24      28       32          36..52

import { PyImport_AppendInittab } from "./cpython";
import { calloc } from "../libc";
import { fatal, outOfMemory } from "../fatal";

const METHOD_DEF_SIZE: usize = 16;
const MODULE_DEF_SIZE: usize = 52;

/** A NUL-terminated UTF-8 copy that lives as long as the instance (CPython keeps these pointers). */
export function cstrForever(s: string): usize {
  return changetype<usize>(String.UTF8.encode(s, true));
}

/** A zeroed table for `count` methods and the zeroed sentinel after them. */
export function newMethodTable(count: i32, what: string): usize {
  let size = (<usize>count + 1) * METHOD_DEF_SIZE;
  let table = calloc(<usize>count + 1, METHOD_DEF_SIZE);
  if (!table) outOfMemory(size, what);
  return table;
}

/** Fills entry `i` of a method table. */
export function setMethod(table: usize, i: usize, name: string, fn: u32, flags: i32, doc: string): void {
  let m = table + i * METHOD_DEF_SIZE;
  store<usize>(m, cstrForever(name));
  store<u32>(m, fn, 4);
  store<i32>(m, flags, 8);
  store<usize>(m, cstrForever(doc), 12);
}

/**
 * Builds the PyModuleDef of a built-in module and registers `init` (whose
 * index is given) in the inittab; call before Py_InitializeEx. Returns the
 * definition `init` must pass to PyModule_Create2.
 */
export function registerBuiltinModule(name: string, doc: string, methods: usize, init: u32): usize {
  let def = calloc(1, MODULE_DEF_SIZE);
  if (!def) outOfMemory(MODULE_DEF_SIZE, "the module definition of " + name);
  store<usize>(def, 1, 0); // ob_refcnt; PyModuleDef_Init sets the type
  store<usize>(def, cstrForever(name), 20);
  store<usize>(def, cstrForever(doc), 24);
  store<usize>(def, methods, 32);
  if (PyImport_AppendInittab(cstrForever(name), init) != 0) fatal("PyImport_AppendInittab(" + name + ") failed");
  return def;
}
