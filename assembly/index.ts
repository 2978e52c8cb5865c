// Entry point of liberyx_runtime.so: the wit-dylib interpreter interface.
//
// Who owns and frees what. There is no garbage collector (rt/libc-runtime.ts):
// every block comes from libc's malloc and is freed explicitly, exactly once.
//
//   AS strings and         String literals are static data (below __heap_base):
//   ArrayBuffers           never freed, and `__release` ignores them. Every other
//                          AS string or buffer (concatenation, toString,
//                          String.UTF8.encode) belongs to the function that made
//                          it, which frees it with `__release` or hands it on:
//                          functions that return one give it to their caller
//                          (`takeErrorText`), `pushErrText` consumes its text.
//                          Chains like `a + b + c` leave an unfreed intermediate:
//                          on paths that run more than once, build in steps.
//                          `cstr()` names handed to CPython for good (module and
//                          method names) are never freed.
//   Outcome.error          An AS string owned by the outcome until a consumer takes
//                          it (`takeOutcomeError`); `callGlue` frees one nobody took.
//   a cx (value stack)     Export cx: made by `export_start`, freed by us after
//                          `task.return` (async) or in `export_finish` (sync).
//                          Import cx: freed once its result is read (invoke: at
//                          once, or after the subtask returned; list-callbacks:
//                          after the list is built). Freeing a cx frees every value
//                          still on it, every string `pop_string` handed out, and
//                          every block registered with `dealloc_bytes(defer=1)`.
//   strings and lists      Buffers the bindings push come from `cabi_realloc` (libc
//   on the stack           malloc) and belong to the cx. Values we push are our own
//                          malloc'd copies, never pointers into Python objects.
//                          Zero-length blocks are dangling and never freed.
//   invoke's ABI area      Registered on its cx (`dealloc_bytes`-style): lives until
//                          the cx is freed, since the host writes the result there.
//   parked subtasks        One malloc'd node per pending host call
//                          (async/subtasks.ts), freed when its result arrives.
//   Python objects         Reference counts: a new reference is decref'd by whoever
//                          receives it (`Outcome.value` by the outcome's consumer);
//                          a borrowed one is never decref'd. UTF-8 data from
//                          `PyUnicode_AsUTF8AndSize` belongs to the str: copy it
//                          before the str is released.
//   scratch areas          `memory.data` blocks: static, one per file, never freed.
//
// Out of memory: an allocation for the runtime's own bookkeeping that fails
// ends the instance through `outOfMemory` (fatal.ts), which reports the size
// and purpose without allocating. Copies whose size user code decides (an
// execute result, a snapshot) are checked instead and become an Err.
import "./abort";
export * from "./abi/exports";
