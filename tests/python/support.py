"""A fresh copy of the glue for each test, on the stand-in ``_eryx``.

The glue is one instance's state (the user's globals, the event loop, the
tracing tool), so every test imports it anew, as a new instance would start.
Runs under any CPython 3.14: ``tests/python/run.ts`` (Pyodide, in npm test)
or ``python3.14 -m unittest discover -s tests/python``.
"""

import sys
import unittest
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "python"))
sys.dont_write_bytecode = True

import fake_eryx  # noqa: E402 - after the path is set

fake_eryx.install()

PACKAGE = "eryx_glue"


def unload_glue():
    old = sys.modules.get(PACKAGE + ".loop")
    if old is not None:
        old.event_loop.close()
    for name in [n for n in sys.modules if n == PACKAGE or n.startswith(PACKAGE + ".")]:
        del sys.modules[name]
    mon = sys.monitoring
    if mon.get_tool(mon.DEBUGGER_ID) is not None:
        mon.set_events(mon.DEBUGGER_ID, 0)
        mon.free_tool_id(mon.DEBUGGER_ID)


def load_glue():
    """A new instance: a fresh host and a freshly imported glue package."""
    unload_glue()
    fake_eryx.host = fake_eryx.FakeHost()
    import eryx_glue

    return eryx_glue


class GlueTest(unittest.TestCase):
    """Each test gets ``self.glue`` (the package) and ``self.host`` (the stand-in's host)."""

    def setUp(self):
        self.glue = load_glue()
        self.host = fake_eryx.host
        self.addCleanup(unload_glue)

    def settle(self, answer, max_steps=1000):
        """Drives a PENDING answer to the end as the runtime does: on WAIT the
        host returns its oldest call in flight (``resolve``), then ``resume``."""
        codes = self.glue.codes
        status, value = answer
        for _ in range(max_steps):
            if status != codes.PENDING:
                return status, value
            if value == codes.MODE_WAIT:
                self.assertTrue(self.host.pending, "the glue waits, but no host call is in flight")
                handle = next(iter(self.host.pending))
                self.assertEqual(self.glue.resolve(handle, *self.host.answer(handle)), (codes.OK, None))
            else:
                self.assertEqual(value, codes.MODE_POLL)
            status, value = self.glue.resume()
        self.fail(f"still pending after {max_steps} steps")

    def ok(self, code):
        status, value = self.settle(self.glue.execute(code))
        self.assertEqual(status, self.glue.codes.OK, value)
        return value

    def error(self, code):
        status, value = self.settle(self.glue.execute(code))
        self.assertEqual(status, self.glue.codes.ERROR, value)
        return value
