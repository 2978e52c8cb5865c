"""snapshot(), restore() and clear(): what survives, what is skipped, and bad bytes."""

import unittest

import support
from support import GlueTest


class StateTest(GlueTest):
    def snapshot(self):
        status, data = self.glue.snapshot()
        self.assertEqual(status, self.glue.codes.OK, data)
        return data

    def restore(self, data):
        return self.glue.restore(data)

    def new_instance(self):
        """Another instance: the glue imported anew (nothing of the old one left)."""
        self.glue = support.load_glue()
        self.host = support.fake_eryx.host

    def test_values_functions_classes_round_trip_into_a_new_instance(self):
        self.ok(
            "import dataclasses, math\n"
            "n = None\nx = [1, 2.5, 'three', {'k': (4, b'5')}]\n"
            "def make(k):\n    def add(v, *, extra=0):\n        return v + k + extra\n    return add\n"
            "add2 = make(2)\nsquare = lambda v: v * v\n"
            "class Point:\n    scale: int = 1\n    def __init__(self, x): self.x = x\n"
            "    def norm(self): return abs(self.x) * self.scale\n"
            "    @property\n    def double(self): return 2 * self.x\n"
            "@dataclasses.dataclass\nclass Pair:\n    a: int\n    b: int = 0\n"
            "p = Point(-3)\npair = Pair(1, b=2)\n"
        )
        data = self.snapshot()
        self.new_instance()
        self.assertEqual(self.restore(data), (self.glue.codes.OK, None))
        shown = self.ok(
            "print(n, x, add2(1, extra=10), square(7), p.norm(), p.double, Point(5).norm(), pair, 'math' in dir())"
        )
        self.assertEqual(
            shown,
            "None [1, 2.5, 'three', {'k': (4, b'5')}] 13 49 3 -6 5 Pair(a=1, b=2) False",
        )

    def test_modules_callbacks_and_unpicklable_values_are_skipped(self):
        self.host.add_callback("echo")
        self.ok("import json\nimport threading\nlock = threading.Lock()\nkept = 1\ngen = (i for i in [1])")
        data = self.snapshot()
        self.new_instance()
        self.host.add_callback("echo")
        self.ok("pass")
        self.restore(data)
        self.assertEqual(
            self.ok("print(sorted(k for k in globals() if not k.startswith('_')))"),
            "['echo', 'invoke', 'kept', 'list_callbacks']",
        )

    def test_nothing_serialisable_is_an_error_naming_the_values(self):
        self.ok("import threading\nlock = threading.Lock()")
        status, text = self.glue.snapshot()
        self.assertEqual(status, self.glue.codes.ERROR)
        expected = "Failed to snapshot state: no variable could be serialised: lock (TypeError"
        self.assertTrue(text.startswith(expected), text)

    def test_empty_state_snapshots_and_restores(self):
        data = self.snapshot()
        self.assertEqual(self.restore(data), (self.glue.codes.OK, None))
        self.assertEqual(self.restore(b""), (self.glue.codes.OK, None))

    def test_bad_bytes_are_refused_and_the_state_is_untouched(self):
        self.ok("x = 1")
        data = self.snapshot()
        self.ok("x = 2")
        for bad, reason in [
            (b"not a snapshot", "not an eryx-as snapshot (bad header)"),
            (data[:-3], "checksum mismatch"),
            (data[:-1] + bytes([data[-1] ^ 1]), "checksum mismatch"),
        ]:
            status, text = self.restore(bad)
            self.assertEqual(status, self.glue.codes.ERROR)
            self.assertIn(reason, text)
        self.assertEqual(self.ok("print(x)"), "2")

    def test_a_payload_that_is_not_a_dict_is_refused(self):
        import pickle
        import zlib

        payload = pickle.dumps([1, 2])
        data = self.glue.state.SNAPSHOT_MAGIC + zlib.crc32(payload).to_bytes(4, "little") + payload
        status, text = self.restore(data)
        self.assertEqual(status, self.glue.codes.ERROR)
        self.assertIn("does not hold a dict", text)

    def test_clear_keeps_the_api_and_callbacks(self):
        self.host.add_callback("echo")
        self.host.add_callback("http.get")
        self.ok("x = 1\ndef f(): pass")
        self.assertEqual(self.glue.clear(), (self.glue.codes.OK, None))
        self.assertEqual(
            self.ok("print(sorted(k for k in globals() if not k.startswith('_')))"),
            "['echo', 'http', 'invoke', 'list_callbacks']",
        )

    def test_runtime_names_in_g_are_not_state(self):
        self.ok("_eryx_private = 1\nmine = 2")
        data = self.snapshot()
        self.new_instance()
        self.restore(data)
        self.assertEqual(self.ok("print('_eryx_private' in globals(), mine)"), "False 2")


if __name__ == "__main__":
    unittest.main()
