"""The event loop: lets user code await host callbacks, in parallel.

The loop is an ``asyncio.BaseEventLoop`` without a selector: the runtime
steps it. It is installed once as the running loop, so ``asyncio.gather``,
``create_task``, futures, locks, queues, ``asyncio.sleep(t)``,
``asyncio.wait_for`` and ``asyncio.timeout`` all work; ``asyncio.run`` does
not (a loop is already running), as in the original runtime.

Host callbacks are component-model subtasks. ``_eryx.invoke`` starts one and
either answers at once or returns its handle; the runtime later reports the
result through ``wake`` (``resolve``, which completes the future, then a
``step``).

How the runtime waits (``step`` answers with ``(PENDING, mode)``, codes.py):

* a host call was answered at once  -> mode POLL (YIELD if nothing else is in
  flight): the answer is delivered on the very next wake-up, so every host
  call suspends exactly as if the host had answered later;
* only host callbacks pending      -> mode WAIT: the runtime returns the
  callback ABI's WAIT code and the host calls back when one returns;
* only timers pending              -> no return at all: we sleep in WASI
  (``time.sleep``, a blocking poll that costs no CPU) until the next timer;
* callbacks *and* timers pending   -> we sleep at most ``_SLICE`` seconds, then
  mode POLL: the runtime returns the callback ABI's POLL code, so the host
  lets its callbacks progress and calls back at once with a returned
  callback or with no event. The next timer is never missed by more than
  one slice, and the CPU is idle in between. (YIELD would not do: its
  wake-up carries no event of our waitable set.)
"""

import asyncio
import contextvars
import heapq
import time
from asyncio import format_helpers

from .codes import ERROR, MODE_POLL, MODE_WAIT, OK, PENDING

_SLICE = 0.002


class _Handle(asyncio.Handle):
    """A ready callback, made without asking the loop for its debug mode (never on here)."""

    __slots__ = ()

    def __init__(self, callback, args, loop, context):
        self._context = contextvars.copy_context() if context is None else context
        self._loop = loop
        self._callback = callback
        self._args = args
        self._cancelled = False
        self._repr = None
        self._source_traceback = None


class _EryxLoop(asyncio.BaseEventLoop):
    def __init__(self):
        super().__init__()
        self._eryx_futures = {}  # subtask handle -> future
        self._eryx_deferred = []  # (future, ok, text) answered at once, delivered on the next wake-up

    # BaseEventLoop hooks that would need a selector.
    def _process_events(self, event_list):
        pass

    def _write_to_self(self):
        pass

    def run_forever(self):
        raise RuntimeError("the sandbox's event loop is driven by the host; use await at top level")

    def run_until_complete(self, future):
        raise RuntimeError("the sandbox's event loop is driven by the host; use await at top level")

    def call_soon(self, callback, *args, context=None):
        # BaseEventLoop.call_soon without its debug checks and the Handle's
        # get_debug() call: futures and tasks call it for every wake-up.
        if self._debug:
            return super().call_soon(callback, *args, context=context)
        if self._closed:
            raise RuntimeError("Event loop is closed")
        handle = _Handle(callback, args, self, context)
        self._ready.append(handle)
        return handle

    def _eryx_run_ready(self):
        """Runs ready callbacks and due timers until nothing is ready."""
        ready, scheduled = self._ready, self._scheduled
        while True:
            if scheduled:  # the clock is read only when a timer may be due
                now = self.time()
                while scheduled and (scheduled[0]._cancelled or scheduled[0]._when <= now + self._clock_resolution):
                    handle = heapq.heappop(scheduled)
                    if handle._cancelled:
                        self._timer_cancelled_count = max(0, self._timer_cancelled_count - 1)
                        continue
                    handle._scheduled = False
                    ready.append(handle)
            if not ready:
                return
            for _ in range(len(ready)):
                handle = ready.popleft()
                if handle._cancelled:
                    continue
                # Handle._run() inlined: one Python call less per ready callback.
                try:
                    handle._context.run(handle._callback, *handle._args)
                except SystemExit, KeyboardInterrupt:
                    raise
                except BaseException as exc:  # noqa: BLE001 - reported as asyncio reports it
                    self._eryx_callback_failed(handle, exc)

    def _eryx_callback_failed(self, handle, exc):
        """What Handle._run does when its callback raises."""
        cb = format_helpers._format_callback_source(handle._callback, handle._args, debug=self.get_debug())
        context = {"message": f"Exception in callback {cb}", "exception": exc, "handle": handle}
        if handle._source_traceback:
            context["source_traceback"] = handle._source_traceback
        self.call_exception_handler(context)

    def _eryx_next_timer(self):
        """Seconds until the next live timer, or None."""
        scheduled = self._scheduled
        while scheduled and scheduled[0]._cancelled:
            heapq.heappop(scheduled)
            self._timer_cancelled_count = max(0, self._timer_cancelled_count - 1)
        if not scheduled:
            return None
        return max(0.0, scheduled[0]._when - self.time())

    def _eryx_flush_deferred(self):
        """Delivers the answers given at once (callbacks.invoke queued them)."""
        deferred = self._eryx_deferred
        while deferred:
            future, ok, text = deferred.pop(0)
            if not future.done():
                future.set_result(text) if ok else future.set_exception(RuntimeError(text))

    def _eryx_resolve(self, subtask, ok, text):
        future = self._eryx_futures.pop(subtask, None)
        if future is None or future.done():
            return  # abandoned (its awaiting task was cancelled)
        if ok:
            future.set_result(text)
        else:
            future.set_exception(RuntimeError(text))


event_loop = _EryxLoop()
asyncio.set_event_loop(event_loop)
asyncio.events._set_running_loop(event_loop)


class _Run:
    """One top-level coroutine being driven to completion across host callbacks."""

    def __init__(self, coro, on_done):
        self.task = event_loop.create_task(coro)
        self.on_done = on_done  # (task, escaped exception or None) -> (status, value)
        self.escaped = None


_current_run = None


def start(coro, on_done):
    global _current_run
    _current_run = _Run(coro, on_done)
    return step()


def resolve(subtask, ok, text):
    event_loop._eryx_resolve(subtask, ok, text)
    return (OK, None)


def wake(subtask, ok, text):
    """A host call returned: ``resolve`` then ``step``, in one call from the runtime."""
    future = event_loop._eryx_futures.pop(subtask, None)
    if future is not None and not future.done():  # else abandoned (its awaiting task was cancelled)
        if ok:
            future.set_result(text)
        else:
            future.set_exception(RuntimeError(text))
    return step()


def step():
    """Advances the current run: (status, value) as in execute.py."""
    global _current_run
    run = _current_run
    loop = event_loop
    if loop._eryx_deferred:
        loop._eryx_flush_deferred()
    while True:
        try:
            loop._eryx_run_ready()
        except BaseException as exc:  # noqa: BLE001 - SystemExit/KeyboardInterrupt escape asyncio tasks
            _cancel_leftovers()
            if loop._eryx_futures:
                run.escaped = exc
                return (PENDING, MODE_WAIT)
            _current_run = None
            return run.on_done(run.task, exc)
        if run.task.done():
            if loop._eryx_deferred:
                loop._eryx_flush_deferred()
            if loop._eryx_futures:
                # Tasks the code left behind still have host calls in flight: the
                # runtime must see them return before it may finish (never trap).
                _cancel_leftovers()
                return (PENDING, MODE_WAIT)
            _current_run = None
            return run.on_done(run.task, run.escaped)
        if loop._eryx_deferred:
            return (PENDING, MODE_POLL)
        delay = loop._eryx_next_timer() if loop._scheduled else None
        if loop._eryx_futures:
            if delay is None:
                return (PENDING, MODE_WAIT)
            time.sleep(min(delay, _SLICE))
            return (PENDING, MODE_POLL)
        if delay is None:
            run.task.cancel()
            _cancel_leftovers()
            _current_run = None
            run.on_done(run.task, None)  # restores the output streams
            return (
                ERROR,
                "RuntimeError: the code awaits something that can never complete "
                "(no host callback or timer is pending)",
            )
        time.sleep(delay)


def _cancel_leftovers():
    for task in asyncio.all_tasks(event_loop):
        task.cancel()
    event_loop._eryx_run_ready()
