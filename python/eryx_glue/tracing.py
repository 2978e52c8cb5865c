"""Execution tracing for the host (``report-trace``).

Built on ``sys.monitoring`` (PEP 669) rather than ``sys.settrace``: events of
code outside ``<user>`` (and of ``_private`` user functions) are disabled per
code location the first time they fire, so library code runs at full speed.
The events and their order reproduce what the original settrace-based
function reports:

    PY_START, PY_RESUME       -> {"type": "call", "function": name}   lineno: frame line
    LINE, backward JUMP       -> {"type": "line"}   (a jump only within one line)
    PY_RETURN, PY_YIELD,
    PY_UNWIND                 -> {"type": "return", "function": name}
    RAISE                     -> {"type": "exception", ...}   (StopIteration skipped)

Tracing covers the synchronous part of a run (until its first suspension).
The events stay set between runs: every change of a tool's events makes
CPython re-instrument each code object it runs next (a rewrite of its
bytecode, and a copy-on-write page fault in a pre-initialised image), and
locations disabled once stay disabled only while the events are unchanged.
User-code events outside a traced window are ignored: those of the run's
own top-level code are switched off at their location (that code never runs
again); if the untraced part (after a suspension) keeps producing others,
the events are switched off until the next run, so that part costs at most
``_IDLE_LIMIT`` callbacks.
"""

import json
import sys

import _eryx

from .user import USER_FILENAME

_mon = sys.monitoring
_E = _mon.events
_TOOL = _mon.DEBUGGER_ID
_EVENTS = _E.PY_START | _E.PY_RESUME | _E.LINE | _E.JUMP | _E.PY_RETURN | _E.PY_YIELD | _E.PY_UNWIND | _E.RAISE
_DISABLE = _mon.DISABLE
_dumps = json.dumps
_getframe = sys._getframe
report = _eryx.report_trace

_mon.use_tool_id(_TOOL, "eryx-as trace")


def report_event(lineno, event, context=""):
    report(lineno, _dumps(event), context)


_event_texts = {}  # (type, key, name) -> that event's JSON text
_EVENT_TEXTS_MAX = 4096


def event_text(kind, key, name):
    """The JSON of ``{"type": kind, key: name}``, made once per name (events repeat)."""
    ident = (kind, key, name)
    text = _event_texts.get(ident)
    if text is None:
        if len(_event_texts) >= _EVENT_TEXTS_MAX:
            _event_texts.clear()
        text = _event_texts[ident] = _dumps({"type": kind, key: name})
    return text


def _traced(code):
    # "<module>" never starts with "_": user code, and user functions not named _private.
    return code.co_filename == USER_FILENAME and not code.co_name.startswith("_")


_active = False  # inside a traced window (the synchronous part of a run)
_armed = False  # the tool's events are set
_idle_events = 0  # user-code events seen outside the window since it closed
# A loop of awaits fires 4-5 such events per await (line, jump, yield,
# resume): 64 switches them off after about 15 awaits. Re-instrumenting the
# code the next run executes costs less than the callbacks that saves.
_IDLE_LIMIT = 64


def _outside():
    """A user-code event outside the window: ignored (never disabled: the next run traces it)."""
    global _idle_events, _armed
    _idle_events += 1
    if _idle_events > _IDLE_LIMIT and _armed:
        _armed = False
        _mon.set_events(_TOOL, 0)


def _outside_here(code):
    """The same, for an event that can be switched off at its location (all but unwind and raise)."""
    if code.co_name == "<module>":
        # A run's top-level code runs once (every run compiles its own), so
        # after the window its locations can stay off: no more callbacks
        # from it, and no events switched off for everything else.
        return _DISABLE
    return _outside()


def _on_call(code, offset, *rest):
    if not _traced(code):
        return _DISABLE
    if not _active:
        return _outside_here(code)
    report(_getframe(1).f_lineno or 0, event_text("call", "function", code.co_name), "")


def _on_return(code, offset, *rest):
    if not _traced(code):
        return _DISABLE
    if not _active:
        return _outside_here(code)
    report(_getframe(1).f_lineno or 0, event_text("return", "function", code.co_name), "")


def _on_unwind(code, offset, exc):
    # PY_UNWIND cannot be disabled per location; filter only.
    if not _traced(code):
        return
    if not _active:
        return _outside()
    report(_getframe(1).f_lineno or 0, event_text("return", "function", code.co_name), "")


def _on_line(code, line):
    if code.co_filename != USER_FILENAME or code.co_name.startswith("_"):  # not _traced(code), inline: a hot path
        return _DISABLE
    if not _active:
        return _outside_here(code)
    report(line, '{"type": "line"}', "")


_line_tables = {}


def _line_at(code, offset):
    table = _line_tables.get(code)
    if table is None:
        table = _line_tables[code] = [(start, end, line) for start, end, line in code.co_lines()]
    for start, end, line in table:
        if start <= offset < end:
            return line
    return None


# (id(code), source, destination) of a backward jump -> (code, the line it
# stays on or None). Keyed by id: hashing a code object hashes its contents,
# for every iteration of a loop; the code kept in the value pins the id.
_jump_lines = {}
_JUMP_LINES_MAX = 4096


def _on_jump(code, source, destination):
    # A backward jump into another line already fires LINE there; settrace
    # reports a line again only for a loop that stays on one line.
    if code.co_filename != USER_FILENAME or code.co_name.startswith("_"):  # not _traced(code)
        return _DISABLE
    if not _active:
        return _outside_here(code)
    if destination < source:
        key = (id(code), source, destination)
        known = _jump_lines.get(key)
        if known is None or known[0] is not code:
            line = _line_at(code, destination)
            if line is None or line != _line_at(code, source):
                line = None
            if len(_jump_lines) >= _JUMP_LINES_MAX:
                _jump_lines.clear()
                _line_tables.clear()
            known = _jump_lines[key] = (code, line)
        if known[1] is not None:
            report(known[1], '{"type": "line"}', "")


def _on_raise(code, offset, exc):
    if not _traced(code) or type(exc) is StopIteration:
        return
    if not _active:
        return _outside()
    event = {"type": "exception", "exception_type": type(exc).__name__, "message": str(exc)}
    report(_getframe(1).f_lineno or 0, _dumps(event), "")


_mon.register_callback(_TOOL, _E.PY_START, _on_call)
_mon.register_callback(_TOOL, _E.PY_RESUME, _on_call)
_mon.register_callback(_TOOL, _E.PY_RETURN, _on_return)
_mon.register_callback(_TOOL, _E.PY_YIELD, _on_return)
_mon.register_callback(_TOOL, _E.PY_UNWIND, _on_unwind)
_mon.register_callback(_TOOL, _E.LINE, _on_line)
_mon.register_callback(_TOOL, _E.JUMP, _on_jump)
_mon.register_callback(_TOOL, _E.RAISE, _on_raise)

# The benchmark switch (bench/run.ts): False leaves runs untraced.
enabled = True


def start():
    global _active, _armed, _idle_events
    if not enabled:
        if _armed:
            _armed = False
            _mon.set_events(_TOOL, 0)
        return
    _active = True
    _idle_events = 0
    if not _armed:
        _armed = True
        _mon.set_events(_TOOL, _EVENTS)


def stop():
    global _active
    _active = False
