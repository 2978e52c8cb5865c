"""Nothing user code calls ends or crashes the instance (docs/robustness.md).

In CPython's WASI build a few calls do not raise: ``os._exit`` reaches WASI
``proc_exit`` (the instance exits), ``os.abort``, a fatal signal and
faulthandler's crash helpers reach ``abort()`` (a wasm trap). Either way the
host loses the instance and every variable in it, where the sandbox promises
an error string. So, when the glue is loaded, those functions are replaced in
the module objects user code imports by ones that raise ``SystemExit``, which
the runtime reports as ``SystemExit: <reason>`` like ``sys.exit``.

The originals are dropped, not kept in a closure user code could read. Only a
fresh copy of the C module would bring them back, so an audit hook (user code
cannot remove one) puts the guarded module back when user code deletes it
from ``sys.modules`` to import it again, and ``_imp.create_builtin``, which
builds a new copy of a built-in module, guards the copies it makes.

Recursion is guarded by the runtime itself: ``sys.setrecursionlimit`` is
replaced by a capped built-in (assembly/python/recursion.ts) and libpython's
C-stack checks are made to work (link/stack-charges.ts).
"""

import _imp
import _signal
import faulthandler
import os
import posix
import signal
import sys

# Signals whose default action in WASI's emulated signals is to do nothing.
_IGNORED_BY_DEFAULT = frozenset(
    getattr(signal, name) for name in ("SIGCHLD", "SIGCONT", "SIGURG", "SIGWINCH") if hasattr(signal, name)
)


def _exit(status, /):
    """Ends the run with ``SystemExit(status)``: in the sandbox this returns an error, the instance lives on."""
    raise SystemExit(status)


def abort():
    """Ends the run with ``SystemExit``: in the sandbox this returns an error, the instance lives on."""
    raise SystemExit("os.abort() called")


def raise_signal(signalnum, /):
    """Runs the Python handler of ``signalnum``; a signal that would end the process raises ``SystemExit``."""
    signalnum = int(signalnum)
    handler = signal.getsignal(signalnum)
    if callable(handler):
        handler(signalnum, sys._getframe(1))
    elif handler is signal.SIG_IGN or (handler is signal.SIG_DFL and signalnum in _IGNORED_BY_DEFAULT):
        return
    else:
        raise SystemExit(f"signal {signalnum} raised: it would end the process")


def _crash_helper(name):
    def crash(*args, **kwargs):
        raise SystemExit(f"faulthandler.{name}() called: it would crash the process")

    crash.__name__ = crash.__qualname__ = name
    return crash


_FAULTHANDLER_CRASHERS = (
    "_sigsegv",
    "_sigabrt",
    "_sigfpe",
    "_fatal_error",
    "_fatal_error_c_thread",
    "_read_null",
    "_stack_overflow",
)

_REPLACEMENTS = {
    "posix": {"_exit": _exit, "abort": abort},
    "os": {"_exit": _exit, "abort": abort},
    "_signal": {"raise_signal": raise_signal},
    "signal": {"raise_signal": raise_signal},
    "faulthandler": {name: _crash_helper(name) for name in _FAULTHANDLER_CRASHERS},
}
# kill() of our own process id would be a signal too; WASI has no kill, but guard it if a build has one.
if hasattr(posix, "kill"):

    def kill(pid, signalnum, /):
        """Signals to this process go through ``raise_signal``; there is no other process."""
        if pid in (0, os.getpid()):
            return raise_signal(signalnum)
        raise ProcessLookupError(3, "No such process")

    _REPLACEMENTS["posix"]["kill"] = _REPLACEMENTS["os"]["kill"] = kill


def _guard(module):
    for name, replacement in _REPLACEMENTS.get(module.__name__, {}).items():
        if hasattr(module, name):
            setattr(module, name, replacement)
    return module


_guarded = {
    name: _guard(module)
    for name, module in (
        ("posix", posix),
        ("os", os),
        ("_signal", _signal),
        ("signal", signal),
        ("faulthandler", faulthandler),
    )
}
_create_builtin = _imp.create_builtin


def create_builtin(spec, /):
    """``_imp.create_builtin`` that guards the new copy of a guarded module."""
    return _guard(_create_builtin(spec))


_imp.create_builtin = create_builtin
_guarded["_imp"] = _imp


def _audit(event, args):
    # "import" is raised before a module missing from sys.modules is looked for.
    if event == "import" and args[0] in _guarded and sys.modules.get(args[0]) is not _guarded[args[0]]:
        sys.modules[args[0]] = _guarded[args[0]]


sys.addaudithook(_audit)
