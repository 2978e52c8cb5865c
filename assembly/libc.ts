// The few libc functions the runtime calls directly (resolved against
// libc.so's exports by the component linker).

import { outOfMemory } from "./fatal";

// @ts-ignore: decorator
@external("env", "malloc") export declare function malloc(size: usize): usize;
// @ts-ignore: decorator
@external("env", "calloc") export declare function calloc(count: usize, size: usize): usize;
// @ts-ignore: decorator
@external("env", "realloc") export declare function realloc(ptr: usize, size: usize): usize;
// @ts-ignore: decorator
@external("env", "free") export declare function free(ptr: usize): void;
// @ts-ignore: decorator
@external("env", "malloc_usable_size") export declare function mallocUsableSize(ptr: usize): usize;
// @ts-ignore: decorator
@external("env", "abort") export declare function abort(): void;
// @ts-ignore: decorator
@external("env", "write") export declare function write(fd: i32, buf: usize, len: usize): isize;
// @ts-ignore: decorator
@external("env", "setenv") export declare function setenv(name: usize, value: usize, overwrite: i32): i32;
// @ts-ignore: decorator
@external("env", "__wasilibc_reset_preopens") export declare function wasilibcResetPreopens(): void;

/** `malloc(size)` for the runtime's own blocks; out of memory ends the instance (fatal.ts). */
export function mallocOrDie(size: usize, what: string): usize {
  let p = malloc(size);
  if (p == 0) outOfMemory(size, what);
  return p;
}

/** Copies `len` bytes into a fresh malloc block (a zero-length copy still gets a block). */
export function mallocCopy(src: usize, len: usize): usize {
  let dst = mallocOrDie(len > 0 ? len : 1, "a copy of a string or byte list");
  memory.copy(dst, src, len);
  return dst;
}
