"""The event loop, stepped as the runtime steps it: PENDING answers, their wait modes, and the end of a run."""

import json
import time
import unittest

from fake_eryx import ERROR, OK
from support import GlueTest


class LoopTest(GlueTest):
    def setUp(self):
        super().setUp()
        self.codes = self.glue.codes
        self.pending = (self.codes.PENDING, self.codes.MODE_WAIT)
        self.poll = (self.codes.PENDING, self.codes.MODE_POLL)

    def answer(self, handle):
        return self.glue.resolve(handle, *self.host.answer(handle))

    def test_a_pending_callback_suspends_the_run_until_it_returns(self):
        self.host.add_callback("sleep", later=True)
        self.assertEqual(self.glue.execute("print('before')\nr = await sleep(ms=5)\nprint('after', r)"), self.pending)
        self.assertEqual(list(self.host.pending), [1])
        self.assertEqual(self.glue.resume(), self.pending)  # a wake-up without the answer: still waiting
        self.assertEqual(self.answer(1), (OK, None))
        self.assertEqual(self.glue.resume(), (OK, "before\nafter {'sleep': {'ms': 5}}"))

    def test_an_immediate_answer_still_suspends_once(self):
        self.host.add_callback("echo")
        self.assertEqual(self.glue.execute("print(await echo(m=1))"), self.poll)
        self.assertEqual(self.glue.resume(), (OK, "{'echo': {'m': 1}}"))

    def test_parallel_callbacks_return_in_any_order(self):
        self.host.add_callback("get", lambda args: (OK, json.dumps(args["n"] * 10)), later=True)
        code = "import asyncio\nprint(await asyncio.gather(get(n=1), get(n=2), get(n=3)))"
        self.assertEqual(self.glue.execute(code), self.pending)
        self.assertEqual(sorted(self.host.pending), [1, 2, 3])
        for handle in (3, 1):
            self.answer(handle)
            self.assertEqual(self.glue.resume(), self.pending)
        self.answer(2)
        self.assertEqual(self.glue.resume(), (OK, "[10, 20, 30]"))

    def test_a_pending_failure_raises_runtime_error(self):
        self.host.add_callback("fail", lambda args: (ERROR, "later failure"), later=True)
        self.assertEqual(self.glue.execute("await fail()"), self.pending)
        self.answer(1)
        status, text = self.glue.resume()
        self.assertEqual(status, ERROR)
        self.assertTrue(text.endswith("RuntimeError: later failure\n"), text)

    def test_timers_alone_sleep_inside_the_step(self):
        started = time.monotonic()
        self.assertEqual(self.glue.execute("import asyncio\nawait asyncio.sleep(0.02)\nprint('woke')"), (OK, "woke"))
        self.assertGreaterEqual(time.monotonic() - started, 0.02)

    def test_timers_and_callbacks_together_poll(self):
        self.host.add_callback("sleep", later=True)
        clock = [100.0]  # the loop's clock, moved by hand so no step depends on the machine's speed
        self.glue.loop.event_loop.time = lambda: clock[0]
        code = "import asyncio\nt = asyncio.create_task(sleep(ms=1))\nawait asyncio.sleep(5)\nprint(await t)"
        self.assertEqual(self.glue.execute(code), self.poll)  # slept one slice: the host may answer meanwhile
        self.assertEqual(self.glue.resume(), self.poll)
        clock[0] += 5
        self.assertEqual(self.glue.resume(), self.pending)  # the timer fired: only the callback is left
        self.answer(1)
        self.assertEqual(self.glue.resume(), (OK, "{'sleep': {'ms': 1}}"))

    def test_timeouts_cancel_an_awaited_callback(self):
        self.host.add_callback("sleep", later=True)
        code = (
            "import asyncio\ntry:\n    await asyncio.wait_for(sleep(ms=1000), 0.01)\n"
            "except TimeoutError:\n    print('timed out')"
        )
        status, value = self.settle_polls(self.glue.execute(code))
        # The abandoned host call is still in flight: the run must wait for it, then ends.
        self.assertEqual((status, value), self.pending)
        self.answer(1)
        self.assertEqual(self.glue.resume(), (OK, "timed out"))

    def settle_polls(self, answer):
        while answer == self.poll:
            answer = self.glue.resume()
        return answer

    def test_awaiting_what_can_never_complete_is_an_error(self):
        status, text = self.glue.execute("import asyncio\nawait asyncio.get_running_loop().create_future()")
        self.assertEqual(status, ERROR)
        self.assertIn("awaits something that can never complete", text)
        self.assertEqual(self.ok("print('usable')"), "usable")

    def test_system_exit_in_a_task_with_calls_in_flight_waits_for_them(self):
        self.host.add_callback("sleep", later=True)
        code = "import asyncio, sys\nt = asyncio.create_task(sleep(ms=5))\nawait asyncio.sleep(0)\nsys.exit(4)"
        self.assertEqual(self.settle_polls(self.glue.execute(code)), self.pending)
        self.answer(1)
        self.assertEqual(self.glue.resume(), (ERROR, "SystemExit: 4"))

    def test_the_loop_is_the_running_loop_and_asyncio_run_is_refused(self):
        code = "import asyncio\nprint(asyncio.get_running_loop() is asyncio.get_event_loop())"
        self.assertEqual(self.ok(code), "True")
        code = "import asyncio\nasync def f(): pass\nc = f()\ntry:\n    asyncio.run(c)\nfinally:\n    c.close()"
        self.assertIn("RuntimeError", self.error(code))
        self.assertIn("driven by the host", self.error("import asyncio\nasyncio.get_running_loop().run_forever()"))

    def test_a_result_for_an_abandoned_call_is_ignored(self):
        self.assertEqual(self.glue.resolve(99, True, "{}"), (OK, None))


if __name__ == "__main__":
    unittest.main()
