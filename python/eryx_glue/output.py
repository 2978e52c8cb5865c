"""Output captured for one run, and streamed to the host where the world asks for it.

In the eryx 0.5 world every ``sys.stdout``/``sys.stderr`` write while code
runs is also handed to the ``report-output`` import (stream 0 = stdout, 1 =
stderr), which eryx forwards to the sandbox's ``OutputHandler``; the text is
still captured for the execute result. The 0.1.0 world has no such import, so
the buffers there are plain ``io.StringIO`` and nothing else happens.
"""

import io

try:
    import _eryx_io
except ImportError:  # a plain CPython (tests/python): no runtime, nothing to stream to
    _eryx_io = None

_REPORT = ("", "report-output")
_streaming = _eryx_io is not None and bool(_eryx_io.has(*_REPORT))


class _Reported(io.StringIO):
    """A capture buffer whose writes also go to the host as they happen."""

    def __init__(self, stream):
        super().__init__()
        self._stream = stream

    def write(self, s):
        n = super().write(s)  # raises TypeError for non-str, as a StringIO does
        if s:
            ok, _ = _eryx_io.call(*_REPORT, (self._stream, s))
            if not ok:  # lone surrogates are not UTF-8: each becomes U+FFFD
                valid = "".join("\ufffd" if "\ud800" <= c <= "\udfff" else c for c in s)
                _eryx_io.call(*_REPORT, (self._stream, valid))
        return n


def buffer(stream):
    """A new capture buffer for stream 0 (stdout) or 1 (stderr)."""
    return _Reported(stream) if _streaming else io.StringIO()
