// Target of `--use abort=...`: what `assert`, bounds checks and `unreachable`
// paths of AssemblyScript do inside the runtime. AS's own 4-argument
// `env.abort` import would clash with libc's `abort()`, so route it to ours.

import { fatal } from "./fatal";

export function runtimeAbort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  fatal((message ? message! : "(no message)") + " at " + (fileName ? fileName! : "?") + ":" + line.toString() + ":" + column.toString());
}
