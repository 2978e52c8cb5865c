// What `assert` and `unreachable` paths do inside the runtime: say why on
// stderr, then call libc's `abort()` (AS's own 4-argument `env.abort` would
// clash with libc's export of the same name).

// @ts-ignore: decorator
@external("env", "write") declare function libc_write(fd: i32, buf: usize, len: usize): isize;
// @ts-ignore: decorator
@external("env", "abort") declare function libc_abort(): void;

function writeStderr(text: string): void {
  let bytes = String.UTF8.encode(text);
  libc_write(2, changetype<usize>(bytes), <usize>bytes.byteLength);
}

export function runtimeAbort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  writeStderr("eryx-as runtime aborted: " + (message ? message : "(no message)") +
    " at " + (fileName ? fileName : "?") + ":" + line.toString() + ":" + column.toString() + "\n");
  libc_abort();
}
