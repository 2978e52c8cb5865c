"""execute(): output, errors and their tracebacks, the user's namespace."""

import unittest

from support import GlueTest


class ExecuteTest(GlueTest):
    def test_stdout_without_trailing_newlines(self):
        self.assertEqual(self.ok("print('a')\nprint('b')\nprint()\n"), "a\nb")

    def test_state_persists_between_runs(self):
        self.ok("x = 41")
        self.assertEqual(self.ok("x += 1\nprint(x)"), "42")

    def test_error_is_stderr_then_the_traceback_from_user_code(self):
        text = self.error("import sys\nprint('to stderr', file=sys.stderr)\ndef f():\n    1/0\nf()")
        self.assertTrue(text.startswith("to stderr\nTraceback (most recent call last):\n"), text)
        self.assertIn('File "<user>", line 5, in <module>', text)
        self.assertIn('File "<user>", line 4, in f', text)
        self.assertTrue(text.endswith("ZeroDivisionError: division by zero\n"), text)
        self.assertNotIn("eryx_glue", text)

    def test_syntax_error(self):
        self.assertIn("SyntaxError", self.error("def ("))

    def test_system_exit_is_an_error_and_the_streams_come_back(self):
        import sys

        before = sys.stdout
        self.assertEqual(self.error("import sys\nsys.exit(3)"), "SystemExit: 3")
        self.assertIs(sys.stdout, before)
        self.assertEqual(self.ok("print('still usable')"), "still usable")

    def test_nul_byte_in_code(self):
        self.assertEqual(self.error("print(1)\0"), "Invalid code string: contains null bytes")

    def test_user_code_sees_only_the_callback_api(self):
        names = self.ok("print(sorted(globals()))")
        api = ["_EryxCallbackLeaf", "_EryxNamespace", "__builtins__", "__name__", "invoke", "list_callbacks"]
        self.assertEqual(names, repr(api))
        self.assertEqual(self.ok("print(__name__)"), "__main__")

    def test_top_level_await_without_host_calls(self):
        self.assertEqual(self.ok("import asyncio\nawait asyncio.sleep(0)\nprint('done')"), "done")

    def test_an_awaited_error_keeps_its_traceback(self):
        text = self.error("async def f():\n    raise ValueError('bad')\nawait f()")
        self.assertIn('File "<user>", line 2, in f', text)
        self.assertTrue(text.endswith("ValueError: bad\n"), text)

    def test_a_traceback_over_1000_frames_keeps_its_first_and_last_100(self):
        import sys

        self.addCleanup(sys.setrecursionlimit, sys.getrecursionlimit())
        text = self.error(
            "import sys\nsys.setrecursionlimit(3000)\ndef a(n):\n    return b(n)\ndef b(n):\n    return a(n + 1)\na(0)"
        )
        # a and b alternate, so CPython's folding of repeated lines leaves all 200 frames
        # (the innermost few may be the glue's tracing, which met the limit first).
        self.assertEqual(text.count('\n  File "'), 200, text[-3000:])
        self.assertTrue(text.startswith('Traceback (most recent call last):\n  File "<user>", line 7, in <module>\n'))
        self.assertRegex(
            text, r"RecursionError: [^\n]+\n\(\d+ frames in the middle of this traceback of \d+ are not shown\)\n$"
        )

    def test_a_traceback_of_1000_frames_or_fewer_is_whole(self):
        text = self.error("def a(n):\n    return b(n) if n < 400 else 1 / 0\ndef b(n):\n    return a(n + 1)\na(0)")
        self.assertEqual(text.count('File "<user>"'), 802)
        self.assertNotIn("not shown", text)

    def test_the_first_execute_after_an_image_reseeds_random(self):
        import random

        from eryx_glue.execute import reseed_after_image

        random.seed(1)
        image_draw = random.random()
        random.seed(1)  # what every instance of the image would start from
        reseed_after_image()
        self.ok("pass")
        self.assertNotEqual(random.random(), image_draw)
        random.seed(1)
        self.ok("pass")  # only the first execute reseeds
        self.assertEqual(random.random(), image_draw)


if __name__ == "__main__":
    unittest.main()
