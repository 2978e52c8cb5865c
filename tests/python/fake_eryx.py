"""A stand-in for the runtime's native ``_eryx`` module (assembly/python/native-module.ts).

Same three functions, same answers; behind them a scripted host instead of
the component model: callbacks answer at once or stay pending until the test
completes them through the glue's ``resolve``, as the runtime would.
"""

import json
import sys
import types

OK, ERROR, PENDING = 0, 1, 2  # what the native module answers (checked against codes.py in test_codes)


class FakeHost:
    """The host side: listed callbacks, scripted answers, and what the glue sent."""

    def __init__(self):
        self.listing = []  # [(name, description, schema JSON)]
        self.answers = {}  # name -> (fn(args dict) -> (status, text), answered later)
        self.calls = []  # [(name, args dict)]
        self.pending = {}  # subtask handle -> (name, args dict, fn) still in flight
        self.trace = []  # [(lineno, event dict, context)]
        self._next_handle = 1

    def add_callback(self, name, answer=None, *, later=False, description="", schema=""):
        """Lists ``name``; ``answer(args)`` gives (status, text) (default: ``{name: args}``), at once or ``later``."""
        self.listing.append((name, description, schema))
        fn = answer if answer is not None else (lambda args: (OK, json.dumps({name: args})))
        self.answers[name] = (fn, later)

    def answer(self, handle):
        """A pending call returns: (ok, text), as the runtime hands it to the glue's ``resolve``."""
        _name, args, fn = self.pending.pop(handle)
        status, text = fn(args)
        return status == OK, text

    # The native functions.

    def invoke(self, name, args_json):
        args = json.loads(args_json)
        self.calls.append((name, args))
        if name not in self.answers:
            return (ERROR, f"Callback '{name}' not found")
        fn, later = self.answers[name]
        if later:
            handle = self._next_handle
            self._next_handle += 1
            self.pending[handle] = (name, args, fn)
            return (PENDING, handle)
        return fn(args)

    def report_trace(self, lineno, event_json, context_json):
        self.trace.append((lineno, json.loads(event_json), context_json))

    def list_callbacks(self):
        return list(self.listing)

    def events(self, *types_):
        """The trace events (dicts), optionally only those of the given types."""
        return [e for _, e, _ in self.trace if not types_ or e["type"] in types_]


host = FakeHost()


def install():
    """Puts ``_eryx`` in sys.modules, delegating to the current ``host``."""
    module = types.ModuleType("_eryx", "stand-in for the eryx-as runtime hooks")
    module.invoke = lambda name, args_json: host.invoke(name, args_json)
    module.report_trace = lambda lineno, event, context: host.report_trace(lineno, event, context)
    module.list_callbacks = lambda: host.list_callbacks()
    sys.modules["_eryx"] = module
