"""The codes the runtime and the glue exchange (mirrored in assembly/python/glue-codes.ts).

Every entry point answers ``(status, value)``; ``_eryx.invoke`` answers with
the same statuses. A ``PENDING`` run says how the runtime waits: ``value`` is
a wait mode.
"""

OK = 0  # value: the result (stdout text, snapshot bytes, None)
ERROR = 1  # value: the error text returned to the host
PENDING = 2  # value: a wait mode (entry points) or a subtask handle (_eryx.invoke)

MODE_WAIT = 0  # return the callback ABI's WAIT: wake up when a host callback returns
MODE_POLL = 1  # return POLL: come back at once, with a returned callback or no event
