"""The user's namespace G and how errors of user code read.

User code never runs in the glue's modules: it runs in the dict
``user_globals`` (G), whose ``__name__`` is ``"__main__"`` while
``sys.modules["__main__"]`` is another module, so no infrastructure name is
visible to it. G is created once and only ever mutated, never rebound.
"""

import builtins
import traceback
import types

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


# A traceback longer than this is shortened to its first and last
# _TRACEBACK_KEEP frames: at the recursion cap (20 000) a traceback through
# two alternating functions (copy.deepcopy) has 20 000 lines that CPython's
# collapsing of repeated lines does not fold, and formatting them takes
# over 10 s (about 0.5 ms a frame, most of it finding the carets).
_TRACEBACK_MAX = 1000
_TRACEBACK_KEEP = 100


def _shorten(exc):
    """Cuts the middle out of a traceback longer than _TRACEBACK_MAX frames, with a note saying so."""
    entries = []
    tb = exc.__traceback__
    while tb is not None:
        entries.append(tb)
        tb = tb.tb_next
    if len(entries) <= _TRACEBACK_MAX:
        return
    kept = entries[:_TRACEBACK_KEEP] + entries[-_TRACEBACK_KEEP:]
    tb = None
    for entry in reversed(kept):
        tb = types.TracebackType(tb, entry.tb_frame, entry.tb_lasti, entry.tb_lineno)
    exc.__traceback__ = tb
    note = f"({len(entries) - len(kept)} frames in the middle of this traceback of {len(entries)} are not shown)"
    try:
        exc.add_note(note)
    except TypeError:  # user code set __notes__ to something that is not a list
        pass


def _format_error(exc):
    if isinstance(exc, SystemExit):
        return f"SystemExit: {exc.code}"
    exc.__traceback__ = user_traceback(exc.__traceback__)
    seen = set()
    chained = exc
    while chained is not None and id(chained) not in seen:
        seen.add(id(chained))
        _shorten(chained)
        chained = chained.__cause__ or (None if chained.__suppress_context__ else chained.__context__)
    return "".join(traceback.format_exception(exc))


# Memory held back for reporting an error after user code filled memory up
# to the host's limit: formatting a traceback allocates, and with nothing
# left the user would get no text at all. 1 MiB: room for formatting a
# traceback, source lines included (this build has no pymalloc arenas: every
# object comes from malloc, which reuses the freed block). Released when
# formatting runs out of memory, taken again at the start of the next run
# that finds room (docs/robustness.md).
_RESERVE_SIZE = 1 << 20
_reserve = []
OUT_OF_MEMORY_TEXT = "MemoryError: out of memory (no memory was left to format the error)"


def keep_reserve():
    """Takes the reserve again if it was released and there is room for it."""
    if not _reserve:
        try:
            _reserve.append(bytearray(_RESERVE_SIZE))
        except MemoryError:
            pass


def format_error(exc):
    """The error text of ``exc`` (the traceback from user code on); out of memory, again with the reserve released."""
    try:
        return _format_error(exc)
    except MemoryError:
        _reserve.clear()
    try:
        return _format_error(exc)
    except MemoryError:
        return OUT_OF_MEMORY_TEXT


def error_text(exc, stderr):
    """What the run wrote to ``stderr`` (a StringIO), then the error text of ``exc``.

    When the two do not fit in memory together (a run that wrote tens of MB
    to stderr under the host's limit), the error text comes without them.
    """
    text = format_error(exc)
    try:
        return stderr.getvalue() + text
    except MemoryError:
        return text


keep_reserve()
