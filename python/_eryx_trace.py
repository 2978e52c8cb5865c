"""eryx-as infrastructure: execution tracing for the host (``report-trace``).

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
"""

import json as _json
import sys as _sys

import _eryx

_mon = _sys.monitoring
_E = _mon.events
_TOOL = _mon.DEBUGGER_ID
_EVENTS = (_E.PY_START | _E.PY_RESUME | _E.LINE | _E.JUMP | _E.PY_RETURN | _E.PY_YIELD
           | _E.PY_UNWIND | _E.RAISE)
_DISABLE = _mon.DISABLE
_dumps = _json.dumps
_getframe = _sys._getframe
_report = _eryx.report_trace

_mon.use_tool_id(_TOOL, "eryx-as trace")


def _eryx_report_trace(lineno, event, context=""):
    _report(lineno, _dumps(event), context)


def _eryx_traced(code):
    return code.co_filename == _USER_FILENAME and (code.co_name == "<module>" or not code.co_name.startswith("_"))


def _on_call(code, offset, *rest):
    if not _eryx_traced(code):
        return _DISABLE
    _report(_getframe(1).f_lineno or 0, _dumps({"type": "call", "function": code.co_name}), "")


def _on_return(code, offset, *rest):
    if not _eryx_traced(code):
        return _DISABLE
    _report(_getframe(1).f_lineno or 0, _dumps({"type": "return", "function": code.co_name}), "")


def _on_unwind(code, offset, exc):
    # PY_UNWIND cannot be disabled per location; filter only.
    if _eryx_traced(code):
        _report(_getframe(1).f_lineno or 0, _dumps({"type": "return", "function": code.co_name}), "")


def _on_line(code, line):
    if not _eryx_traced(code):
        return _DISABLE
    _report(line, '{"type": "line"}', "")


_line_tables = {}


def _line_at(code, offset):
    table = _line_tables.get(code)
    if table is None:
        table = _line_tables[code] = [(start, end, line) for start, end, line in code.co_lines()]
    for start, end, line in table:
        if start <= offset < end:
            return line
    return None


def _on_jump(code, source, destination):
    # A backward jump into another line already fires LINE there; settrace
    # reports a line again only for a loop that stays on one line.
    if not _eryx_traced(code):
        return _DISABLE
    if destination < source:
        line = _line_at(code, destination)
        if line is not None and line == _line_at(code, source):
            _report(line, '{"type": "line"}', "")


def _on_raise(code, offset, exc):
    if not _eryx_traced(code) or type(exc) is StopIteration:
        return
    event = {"type": "exception", "exception_type": type(exc).__name__, "message": str(exc)}
    _report(_getframe(1).f_lineno or 0, _dumps(event), "")


_mon.register_callback(_TOOL, _E.PY_START, _on_call)
_mon.register_callback(_TOOL, _E.PY_RESUME, _on_call)
_mon.register_callback(_TOOL, _E.PY_RETURN, _on_return)
_mon.register_callback(_TOOL, _E.PY_YIELD, _on_return)
_mon.register_callback(_TOOL, _E.PY_UNWIND, _on_unwind)
_mon.register_callback(_TOOL, _E.LINE, _on_line)
_mon.register_callback(_TOOL, _E.JUMP, _on_jump)
_mon.register_callback(_TOOL, _E.RAISE, _on_raise)

_eryx_trace_enabled = True


def _eryx_trace_start():
    if _eryx_trace_enabled:
        _mon.set_events(_TOOL, _EVENTS)


def _eryx_trace_stop():
    _mon.set_events(_TOOL, 0)
