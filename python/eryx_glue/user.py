"""The user's namespace G and how errors of user code read.

User code never runs in the glue's modules: it runs in the dict
``user_globals`` (G), whose ``__name__`` is ``"__main__"`` while
``sys.modules["__main__"]`` is another module, so no infrastructure name is
visible to it. G is created once and only ever mutated, never rebound.
"""

import builtins
import traceback

USER_FILENAME = "<user>"

user_globals = {"__builtins__": builtins, "__name__": "__main__"}

# Names G may hold that belong to the sandbox, not to the user's state.
BASE_NAMES = frozenset(
    {
        "__builtins__",
        "__name__",
        "__doc__",
        "__package__",
        "__loader__",
        "__spec__",
        "__cached__",
        "__file__",
    }
)


def user_traceback(tb):
    """Drops the leading frames of the runtime, so tracebacks start at user code."""
    while tb is not None and tb.tb_frame.f_code.co_filename != USER_FILENAME:
        tb = tb.tb_next
    return tb


def format_error(exc):
    if isinstance(exc, SystemExit):
        return f"SystemExit: {exc.code}"
    exc.__traceback__ = user_traceback(exc.__traceback__)
    return "".join(traceback.format_exception(exc))
