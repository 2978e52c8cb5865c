// The codes the runtime and the Python glue exchange, each defined once here
// and once in python/eryx_glue/codes.py (tests/python checks they agree).

/** First item of every glue answer `(status, value)`, and of `_eryx.invoke`'s. */
export const STATUS_OK: i32 = 0;
export const STATUS_ERROR: i32 = 1;
export const STATUS_PENDING: i32 = 2;

/** The value of a PENDING answer: how the runtime waits for the next event. */
export const MODE_WAIT: i32 = 0;
export const MODE_POLL: i32 = 1;
