// Runtime bugs, ABI misuse and exhausted memory end the instance with one
// line on stderr (never silently): user code can never reach these paths.
// Each message names the condition, so a trap in the host's log says what
// broke ("eryx-as runtime: value stack: pop_string found a u32 on top").

import { abort, write } from "./libc";

export function fatal(message: string): void {
  let bytes = String.UTF8.encode("eryx-as runtime: " + message + "\n");
  write(2, changetype<usize>(bytes), <usize>bytes.byteLength);
  abort();
}

export function unsupported(what: string): void {
  fatal("wit_dylib_" + what + " is not supported by this runtime (the eryx world does not use it)");
}

// The out-of-memory line is built in static memory: with malloc failing,
// allocating the message could fail too.
const OOM_LINE_SIZE: usize = 160;
const oomLine = memory.data(<i32>OOM_LINE_SIZE);

/**
 * The one way the runtime handles a failed allocation of its own (libc
 * `malloc`/`calloc`/`realloc` returned 0): report `size` and what it was for,
 * then end the instance. `what` must be a string literal.
 */
export function outOfMemory(size: usize, what: string): void {
  let n = appendAscii(0, "eryx-as runtime: out of memory: ");
  n = appendDecimal(n, size);
  n = appendAscii(n, " bytes for ");
  n = appendAscii(n, what);
  n = appendAscii(n, "\n");
  write(2, oomLine, n);
  abort();
}

function appendAscii(at: usize, s: string): usize {
  for (let i = 0; i < s.length && at < OOM_LINE_SIZE - 1; i++) store<u8>(oomLine + at++, <u8>s.charCodeAt(i));
  return at;
}

function appendDecimal(at: usize, value: usize): usize {
  let digits: usize = 1;
  for (let v = value; v >= 10; v /= 10) digits++;
  if (at + digits >= OOM_LINE_SIZE) return at;
  for (let i = digits; i > 0; i--) {
    store<u8>(oomLine + at + i - 1, <u8>(0x30 + value % 10));
    value /= 10;
  }
  return at + digits;
}
