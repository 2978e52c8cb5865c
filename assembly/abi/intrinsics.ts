// Component-model async built-ins the interpreter imports from `$root`
// (wit-component recognises these names) and the preview1 adapter's reset.

// @ts-ignore: decorator
@external("$root", "[waitable-set-new]") export declare function waitableSetNew(): u32;
// @ts-ignore: decorator
@external("$root", "[waitable-set-drop]") export declare function waitableSetDrop(set: u32): void;
// @ts-ignore: decorator
@external("$root", "[waitable-join]") export declare function waitableJoin(waitable: u32, set: u32): void;
/** Non-blocking: the next ready event of the set (EVENT_NONE if none); writes its handle and payload (2 × u32) at `out`. */
// @ts-ignore: decorator
@external("$root", "[waitable-set-poll]") export declare function waitableSetPoll(set: u32, out: usize): u32;
// @ts-ignore: decorator
@external("$root", "[subtask-drop]") export declare function subtaskDrop(subtask: u32): void;
// @ts-ignore: decorator
@external("$root", "[context-get-0]") export declare function contextGet0(): u32;
// @ts-ignore: decorator
@external("$root", "[context-set-0]") export declare function contextSet0(value: u32): void;
// @ts-ignore: decorator
@external("wasi_snapshot_preview1", "reset_adapter_state") export declare function resetAdapterState(): void;

// Callback-ABI codes returned from async exports.
export const CALLBACK_EXIT: u32 = 0;
export const CALLBACK_YIELD: u32 = 1;
export const CALLBACK_WAIT: u32 = 2;
/** Like WAIT, but the host calls back at once: with a ready event of the set, or NONE. */
export const CALLBACK_POLL: u32 = 3;

// Events delivered to `[callback]` and subtask states.
export const EVENT_NONE: u32 = 0;
export const EVENT_SUBTASK: u32 = 1;
export const STATUS_STARTING: u32 = 0;
export const STATUS_STARTED: u32 = 1;
export const STATUS_RETURNED: u32 = 2;
