// AssemblyScript runtime backed by libc's malloc.
//
// The runtime shares one linear memory with libc, libpython and every other
// library of the component, so it must never call `memory.grow` or own a heap
// of its own: every block comes from libc's dlmalloc. There is no garbage
// collector; object lifetimes are explicit (see `__free`).
//
//   malloc'd block            AS object pointer
//   ┌────────┬────────────────┬──────────────────────┐
//   │ mmInfo │ gcInfo gcInfo2 │ rtId rtSize │ payload │
//   └────────┴────────────────┴─────────────┴─────────┘
//   ^ malloc  ^ __alloc result (BLOCK_OVERHEAD = 4)
//                              ^ __new result (+ OBJECT_OVERHEAD = 16)

import { BLOCK_OVERHEAD, OBJECT_OVERHEAD, OBJECT, BLOCK, OBJECT_MAXSIZE } from "rt/common";

// @ts-ignore: decorator
@external("env", "malloc") declare function libc_malloc(size: usize): usize;
// @ts-ignore: decorator
@external("env", "realloc") declare function libc_realloc(ptr: usize, size: usize): usize;
// @ts-ignore: decorator
@external("env", "free") declare function libc_free(ptr: usize): void;
import { outOfMemory } from "../fatal";

/** True for blocks that malloc did not hand out: our static data (below `__heap_base`). */
// @ts-ignore: decorator
@inline function isStatic(ptr: usize): bool {
  return ptr < __heap_base;
}

function allocOrAbort(size: usize): usize {
  let block = libc_malloc(size + BLOCK_OVERHEAD);
  if (!block) outOfMemory(size, "an AssemblyScript object");
  changetype<BLOCK>(block).mmInfo = size;
  return block + BLOCK_OVERHEAD;
}

// @ts-ignore: decorator
@unsafe @global
export function __alloc(size: usize): usize {
  return allocOrAbort(size);
}

// @ts-ignore: decorator
@unsafe @global
export function __realloc(ptr: usize, size: usize): usize {
  if (isStatic(ptr)) {
    // Static blocks never reach libc: copy them out instead.
    let copy = allocOrAbort(size);
    let old = changetype<BLOCK>(ptr - BLOCK_OVERHEAD).mmInfo;
    memory.copy(copy, ptr, min(old, size));
    return copy;
  }
  let block = libc_realloc(ptr - BLOCK_OVERHEAD, size + BLOCK_OVERHEAD);
  if (!block) outOfMemory(size, "an AssemblyScript object");
  changetype<BLOCK>(block).mmInfo = size;
  return block + BLOCK_OVERHEAD;
}

// @ts-ignore: decorator
@unsafe @global
export function __free(ptr: usize): void {
  if (ptr == 0 || isStatic(ptr)) return;
  libc_free(ptr - BLOCK_OVERHEAD);
}

// @ts-ignore: decorator
@unsafe @global
export function __new(size: usize, id: u32): usize {
  if (size > OBJECT_MAXSIZE) outOfMemory(size, "an object over AssemblyScript's size limit");
  let ptr = __alloc(OBJECT_OVERHEAD + size);
  let object = changetype<OBJECT>(ptr - BLOCK_OVERHEAD);
  object.gcInfo = 0;
  object.gcInfo2 = 0;
  object.rtId = id;
  object.rtSize = <u32>size;
  return ptr + OBJECT_OVERHEAD;
}

// @ts-ignore: decorator
@unsafe @global
export function __renew(oldPtr: usize, size: usize): usize {
  if (size > OBJECT_MAXSIZE) outOfMemory(size, "an object over AssemblyScript's size limit");
  let newPtr = __realloc(oldPtr - OBJECT_OVERHEAD, OBJECT_OVERHEAD + size);
  changetype<OBJECT>(newPtr - BLOCK_OVERHEAD).rtSize = <u32>size;
  return newPtr + OBJECT_OVERHEAD;
}

/** Frees a managed object allocated with `new` (no GC: callers free what they own). */
// @ts-ignore: decorator
@unsafe @global
export function __release(ptr: usize): void {
  if (ptr) __free(ptr - OBJECT_OVERHEAD);
}

// @ts-ignore: decorator
@global @unsafe
export function __link(parentPtr: usize, childPtr: usize, expectMultiple: bool): void {}

// @ts-ignore: decorator
@global @unsafe
export function __pin(ptr: usize): usize { return ptr; }

// @ts-ignore: decorator
@global @unsafe
export function __unpin(ptr: usize): void {}

// @ts-ignore: decorator
@global @unsafe
function __visit(ptr: usize, cookie: u32): void {}

// @ts-ignore: decorator
@global @unsafe
export function __collect(): void {}

/**
 * End of our static data. Zero-filled `memory.data` reservations emit no
 * data segment, so the link stage reads this (see link/relocate.ts) to size
 * dylink.0's mem_info; the export is dropped from the final library.
 */
export function __eryx_static_end(): usize {
  return __heap_base;
}
