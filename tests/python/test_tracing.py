"""Tracing: which events reach report_trace, with which line, and which are filtered out."""

import sys
import unittest

from support import GlueTest


class TracingTest(GlueTest):
    def trace_of(self, code):
        self.host.trace.clear()
        self.ok(code)
        out = []
        for lineno, event, _context in self.host.trace:
            name = event.get("function") or event.get("name") or ""
            out.append(f"{event['type']}:{name}@{lineno}")
        return out

    def test_exact_json_of_a_one_line_module(self):
        self.ok("x = 1")
        self.assertEqual(
            self.host.trace,
            [
                (0, {"type": "call", "function": "<module>"}, ""),
                (1, {"type": "line"}, ""),
                (1, {"type": "return", "function": "<module>"}, ""),
            ],
        )

    def test_a_function_call(self):
        self.assertEqual(
            self.trace_of("def f(a):\n    return a + 1\ny = f(1)"),
            [
                "call:<module>@0",
                "line:@1",
                "line:@3",
                "call:f@1",
                "line:@2",
                "return:f@2",
                "return:<module>@3",
            ],
        )

    def test_private_functions_and_library_code_are_filtered(self):
        code = "import json\ndef _g():\n    return json.dumps([1])\ndef h():\n    return _g()\nh()"
        self.assertEqual(
            self.trace_of(code),
            [
                "call:<module>@0",
                "line:@1",
                "line:@2",
                "line:@4",
                "line:@6",
                "call:h@4",
                "line:@5",
                "return:h@5",
                "return:<module>@6",
            ],
        )

    def test_exceptions_caught_and_passing_through(self):
        code = "def f():\n    raise KeyError('k')\ntry:\n    f()\nexcept KeyError:\n    pass"
        self.assertEqual(
            self.trace_of(code),
            [
                "call:<module>@0",
                "line:@1",
                "line:@3",
                "line:@4",
                "call:f@1",
                "line:@2",
                "exception:@2",
                "return:f@2",
                "exception:@4",
                "line:@5",
                "line:@6",
                "return:<module>@6",
            ],
        )
        exceptions = self.host.events("exception")
        self.assertEqual(exceptions[0], {"type": "exception", "exception_type": "KeyError", "message": "'k'"})

    def test_stop_iteration_is_not_an_exception_event(self):
        trace = self.trace_of("for i in iter([1]):\n    pass")
        self.assertNotIn("exception:@1", trace)

    def test_a_loop_on_one_line_reports_the_line_each_time(self):
        trace = self.trace_of("n = 0\nwhile n < 3: n += 1")
        self.assertEqual(trace.count("line:@2"), 4)

    def test_a_generator_yields_and_resumes(self):
        # As settrace: every resumption is a call, every yield a return.
        self.assertEqual(
            self.trace_of("def gen():\n    yield 1\n    yield 2\nlist(gen())"),
            [
                "call:<module>@0",
                "line:@1",
                "line:@4",
                "call:gen@1",
                "line:@2",
                "return:gen@2",
                "call:gen@2",
                "line:@3",
                "return:gen@3",
                "call:gen@3",
                "return:gen@3",
                "return:<module>@4",
            ],
        )

    def test_only_the_synchronous_part_of_a_run_is_traced(self):
        self.host.add_callback("sleep", later=True)
        self.assertEqual(
            self.trace_of("r = await sleep(ms=1)\nq = await sleep(ms=2)\nz = 1"),
            [
                "call:<module>@0",
                "line:@1",
                "callback_start:sleep@0",
                "return:<module>@1",
                "callback_end:sleep@0",
                "callback_start:sleep@0",
                "callback_end:sleep@0",
            ],
        )

    def test_the_benchmark_switch_turns_tracing_off_and_on(self):
        self.glue.tracing.enabled = False
        self.assertEqual(self.trace_of("def f():\n    return 1\nf()"), [])
        self.assertEqual(sys.monitoring.get_events(sys.monitoring.DEBUGGER_ID), 0)
        self.glue.tracing.enabled = True
        self.assertEqual(self.trace_of("x = 1"), ["call:<module>@0", "line:@1", "return:<module>@1"])

    def test_user_code_running_outside_a_run_is_not_reported_and_switches_events_off(self):
        self.ok("def busy(n):\n    t = 0\n    for i in range(n):\n        t += i\n    return t")
        self.host.trace.clear()
        busy = self.glue.user.user_globals["busy"]
        busy(2000)  # called by no run: outside the traced window
        self.assertEqual(self.host.trace, [])
        self.assertEqual(sys.monitoring.get_events(sys.monitoring.DEBUGGER_ID), 0)
        self.assertEqual(self.trace_of("x = 1"), ["call:<module>@0", "line:@1", "return:<module>@1"])

    def test_top_level_code_after_a_suspension_is_switched_off_where_it_fires(self):
        self.host.add_callback("tick", later=True)
        self.host.trace.clear()
        self.ok("for i in range(200):\n    await tick()")
        # Traced until the first suspension, then the run's own code was
        # switched off at its locations: the tool's events stay set.
        self.assertEqual(
            self.host.events("call", "line", "return"),
            [{"type": "call", "function": "<module>"}]
            + [{"type": "line"}] * 2
            + [{"type": "return", "function": "<module>"}],
        )
        self.assertNotEqual(sys.monitoring.get_events(sys.monitoring.DEBUGGER_ID), 0)
        self.assertEqual(
            self.trace_of("def f():\n    return 1\nf()"),
            ["call:<module>@0", "line:@1", "line:@3", "call:f@1", "line:@2", "return:f@2", "return:<module>@3"],
        )


if __name__ == "__main__":
    unittest.main()
