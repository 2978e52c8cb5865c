"""How user code runs: ``execute(code)`` and ``resume()``.

Each returns ``(status, value)`` instead of raising (codes.py): OK with the
captured stdout, ERROR with stderr and the traceback, or PENDING with a wait
mode while a top-level ``await`` waits for the host (loop.py).
"""

import ast
import asyncio
import sys
import types

from . import callbacks, loop, output, tracing
from .codes import ERROR, OK
from .user import USER_FILENAME, error_text, keep_reserve, user_globals

_CO_COROUTINE = 0x80


class _World:
    """What the linked world asks of execute (docs/eryx-0.5.md).

    The 0.1.0 world: stdout only. The eryx 0.5 world: the execute-output
    record, stdout and stderr apart plus the result variable as JSON.
    """

    output_record = False
    result_variable = "result"


_world = _World()


def use_output_record():
    """Called once by the runtime when the world's execute returns execute-output (the eryx 0.5 world)."""
    _world.output_record = True
    callbacks.take_positional_arguments()  # eryx 0.5's runtime binds them; the 0.2.0 contract is keyword-only
    return (OK, None)


def set_result_variable(name):
    """The set-result-variable export: the global captured as result-json after each run."""
    _world.result_variable = str(name)
    return (OK, None)


def _result_json():
    """(result-json, result-error): ("", "") when the variable is not set.

    The variable is consumed, as eryx's own runtime does: a later run that does
    not set it again reports no result (eryx 0.5.0's session tests).
    """
    name = _world.result_variable
    if name not in user_globals:
        return ("", "")
    value = user_globals.pop(name)
    import json  # only the 0.5 world pays for it, and only when a result is set

    try:
        # allow_nan=False: Infinity/NaN are not JSON, the host would get text it cannot parse.
        return (json.dumps(value, allow_nan=False), "")
    except Exception as exc:  # noqa: BLE001 - any failure to encode is reported, never raised
        return ("", f"result variable {name!r} is not JSON-serializable: {type(exc).__name__}: {exc}")


class Capture:
    """sys.stdout/sys.stderr redirected into buffers for one run, kept across suspensions."""

    def __init__(self):
        self.saved = (sys.stdout, sys.stderr)
        self.out = output.buffer(0)  # also streamed to report-output in the eryx 0.5 world
        self.err = output.buffer(1)
        sys.stdout, sys.stderr = self.out, self.err

    def _restore(self):
        sys.stdout, sys.stderr = self.saved

    def ok(self):
        self._restore()
        stdout = self.out.getvalue().rstrip("\n")
        if not _world.output_record:
            return (OK, stdout)
        return (OK, (stdout, self.err.getvalue().rstrip("\n"), *_result_json()))

    def error(self, exc):
        self._restore()
        if _world.output_record:  # a failed run's result is dropped, not left for the next run
            user_globals.pop(_world.result_variable, None)
        return (ERROR, error_text(exc, self.err))


def _compile(code):
    return compile(code, USER_FILENAME, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)


# True in a pre-initialised image that holds `random`: the module seeded itself
# once, at image time, so every instance would draw the same numbers.
_reseed_random = False


def reseed_after_image():
    """Called by finalize-preinit: the first execute of each instance reseeds `random`."""
    global _reseed_random
    _reseed_random = "random" in sys.modules


def _reseed():
    global _reseed_random
    _reseed_random = False
    sys.modules["random"].seed()  # from os.urandom: this instance's own entropy


def execute(code):
    """Runs user code in G. Ok: stdout without trailing newlines; error: stderr + traceback."""
    if "\0" in code:
        return (ERROR, "Invalid code string: contains null bytes")
    if _reseed_random:
        _reseed()
    keep_reserve()
    callbacks.refresh()
    capture = Capture()
    tracing.start()
    try:
        compiled = _compile(code)
        if compiled.co_flags & _CO_COROUTINE:
            coro = types.FunctionType(compiled, user_globals)()
            result = loop.start(coro, lambda task, exc: _finish_task(task, exc, capture))
        else:
            exec(compiled, user_globals)
            result = capture.ok()
    except BaseException as exc:  # noqa: BLE001 - every failure of user code is an Err
        result = capture.error(exc)
    # Like the original, only the synchronous part of a run is traced.
    tracing.stop()
    return result


def resume():
    """Continues the suspended run after a host event."""
    return loop.step()


def _finish_task(task, exc, capture):
    if exc is None:
        if task.cancelled():
            exc = asyncio.CancelledError("the top-level coroutine was cancelled")
        else:
            exc = task.exception()
    if exc is not None:
        return capture.error(exc)
    return capture.ok()
