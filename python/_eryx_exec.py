"""eryx-as infrastructure: how user code runs, and how its state is kept.

This file is compiled into the runtime and executed once, at instance
initialisation, in the namespace of ``__main__``. User code never runs here:
it runs in the separate dict ``_eryx_user_globals`` (G), so no infrastructure
name is visible to it. Every entry point returns ``(status, value)`` instead
of raising, so the native side never has to interpret a Python exception:

    status 0  ok       value: the result (stdout text, snapshot bytes, None)
    status 1  error    value: the error text returned to the host
    status 2  pending  value: the callback-ABI code to hand to the host
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

# Names G starts with, which clear_state keeps and snapshots skip.
_eryx_base_names = frozenset({
    "__builtins__", "__name__", "__doc__", "__package__", "__loader__", "__spec__",
    "__cached__", "__file__",
})


def _eryx_user_traceback(tb):
    """Drops the leading frames of this file, so tracebacks start at user code."""
    while tb is not None and tb.tb_frame.f_code.co_filename != _USER_FILENAME:
        tb = tb.tb_next
    return tb


def _eryx_format_error(exc):
    if isinstance(exc, SystemExit):
        return f"SystemExit: {exc.code}"
    exc.__traceback__ = _eryx_user_traceback(exc.__traceback__)
    return "".join(_traceback.format_exception(exc))


class _EryxCapture:
    """Redirects sys.stdout/sys.stderr into fresh buffers for one run."""

    def __enter__(self):
        self.saved = (_sys.stdout, _sys.stderr)
        self.out = _io.StringIO()
        self.err = _io.StringIO()
        _sys.stdout, _sys.stderr = self.out, self.err
        return self

    def __exit__(self, *exc_info):
        _sys.stdout, _sys.stderr = self.saved
        return False


def _eryx_compile(code):
    return compile(code, _USER_FILENAME, "exec", flags=_ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)


def _eryx_exec(code):
    """Runs user code in G. Ok: stdout without trailing newlines; error: stderr + traceback."""
    if "\0" in code:
        return (_ERROR, "Invalid code string: contains null bytes")
    with _EryxCapture() as capture:
        try:
            compiled = _eryx_compile(code)
            if compiled.co_flags & _CO_COROUTINE:
                return _eryx_run_async(_types.FunctionType(compiled, _eryx_user_globals)(), capture)
            exec(compiled, _eryx_user_globals)
        except BaseException as exc:  # noqa: BLE001 - every failure of user code is an Err
            return (_ERROR, capture.err.getvalue() + _eryx_format_error(exc))
    return (_OK, capture.out.getvalue().rstrip("\n"))


def _eryx_run_async(coro, capture):
    """Drives a top-level-await coroutine that never suspends on the host."""
    try:
        while True:
            coro.send(None)
    except StopIteration:
        return (_OK, capture.out.getvalue().rstrip("\n"))
    except BaseException as exc:  # noqa: BLE001
        return (_ERROR, capture.err.getvalue() + _eryx_format_error(exc))


def _eryx_snapshot():
    raise NotImplementedError("snapshot-state comes with the state issue")


def _eryx_restore(data):
    raise NotImplementedError("restore-state comes with the state issue")


def _eryx_clear():
    return (_OK, None)
