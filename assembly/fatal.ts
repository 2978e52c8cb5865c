// Runtime bugs and ABI misuse end the instance with a message on stderr
// (never silently): user code can never reach these paths.

import { abort, write } from "./libc";

export function fatal(message: string): void {
  let bytes = String.UTF8.encode("eryx-as runtime: " + message + "\n");
  write(2, changetype<usize>(bytes), <usize>bytes.byteLength);
  abort();
}

export function unsupported(what: string): void {
  fatal("wit_dylib_" + what + " is not supported by this runtime (the eryx world does not use it)");
}
