"""eryx-as infrastructure: how user code runs.

This file (like every python/_eryx_*.py) is compiled into the runtime and run
once, at instance initialisation, in the namespace of ``__main__``. User code
never runs here: it runs in the separate dict ``_eryx_user_globals`` (G), so
no infrastructure name is visible to it. Every entry point the runtime calls
returns ``(status, value)`` instead of raising:

    status 0  ok       value: the result (stdout text, snapshot bytes, None)
    status 1  error    value: the error text returned to the host
    status 2  pending  value: how to wait (see _eryx_async.py)
"""

import ast as _ast
import builtins as _builtins
import io as _io
import sys as _sys
import traceback as _traceback
import types as _types

_OK, _ERROR, _PENDING = 0, 1, 2
_CO_COROUTINE = 0x80
_USER_FILENAME = "<user>"

_eryx_user_globals = {"__builtins__": _builtins, "__name__": "__main__"}

# Names G may hold that belong to the sandbox, not to the user's state.
_eryx_base_names = frozenset({
    "__builtins__", "__name__", "__doc__", "__package__", "__loader__", "__spec__",
    "__cached__", "__file__",
})


def _eryx_user_traceback(tb):
    """Drops the leading frames of the runtime, so tracebacks start at user code."""
    while tb is not None and tb.tb_frame.f_code.co_filename != _USER_FILENAME:
        tb = tb.tb_next
    return tb


def _eryx_format_error(exc):
    if isinstance(exc, SystemExit):
        return f"SystemExit: {exc.code}"
    exc.__traceback__ = _eryx_user_traceback(exc.__traceback__)
    return "".join(_traceback.format_exception(exc))


class _EryxCapture:
    """sys.stdout/sys.stderr redirected into buffers for one run, kept across suspensions."""

    def __init__(self):
        self.saved = (_sys.stdout, _sys.stderr)
        self.out = _io.StringIO()
        self.err = _io.StringIO()
        _sys.stdout, _sys.stderr = self.out, self.err

    def _restore(self):
        _sys.stdout, _sys.stderr = self.saved

    def ok(self):
        self._restore()
        return (_OK, self.out.getvalue().rstrip("\n"))

    def error(self, exc):
        self._restore()
        return (_ERROR, self.err.getvalue() + _eryx_format_error(exc))


def _eryx_compile(code):
    return compile(code, _USER_FILENAME, "exec", flags=_ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)


def _eryx_exec(code):
    """Runs user code in G. Ok: stdout without trailing newlines; error: stderr + traceback."""
    if "\0" in code:
        return (_ERROR, "Invalid code string: contains null bytes")
    _eryx_callbacks_refresh()
    capture = _EryxCapture()
    _eryx_trace_start()
    try:
        compiled = _eryx_compile(code)
        if compiled.co_flags & _CO_COROUTINE:
            coro = _types.FunctionType(compiled, _eryx_user_globals)()
            result = _eryx_async_start(coro, lambda task, exc: _eryx_finish_task(task, exc, capture))
        else:
            exec(compiled, _eryx_user_globals)
            result = capture.ok()
    except BaseException as exc:  # noqa: BLE001 - every failure of user code is an Err
        result = capture.error(exc)
    # Like the original, only the synchronous part of a run is traced.
    _eryx_trace_stop()
    return result


def _eryx_resume():
    """Continues the suspended run after a host event."""
    return _eryx_async_step()


def _eryx_finish_task(task, exc, capture):
    if exc is None:
        if task.cancelled():
            exc = _asyncio.CancelledError("the top-level coroutine was cancelled")
        else:
            exc = task.exception()
    if exc is not None:
        return capture.error(exc)
    return capture.ok()
