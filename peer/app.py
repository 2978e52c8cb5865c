"""The eryx:sandbox world written the way a user would write it by hand:
plain Python, componentized with componentize-py 0.19.3 (see peer/build.ts).

It is the baseline `npm run bench` compares eryx-as with, not a second
eryx-as: no tracing (report-trace is never called), no timers beyond what
componentize-py's event loop offers (asyncio.sleep(0) only), snapshots are a
plain pickle of whatever pickles, and finalize-preinit does nothing
(componentize-py pre-initialises the component itself at build time and has
no WASI reset to call).
"""

import ast
import builtins
import io
import json
import os
import pickle
import sys
import traceback
import types

import componentize_py_async_support
import wit_world
from componentize_py_types import Err

_RESERVED = set(dir(builtins)) | {"invoke", "list_callbacks", "asyncio", "json"}
_KEEP = {"__builtins__", "__name__"}


async def invoke(_callback_name, **kwargs):
    """Call a host callback by name with keyword arguments (JSON in, JSON out)."""
    try:
        result = await wit_world.invoke(_callback_name, json.dumps(kwargs))
    except Err as e:
        raise RuntimeError(e.value) from None
    return json.loads(result) if result else None


def list_callbacks():
    return [
        {
            "name": c.name,
            "description": c.description,
            "parameters_schema": json.loads(c.parameters_schema_json) if c.parameters_schema_json else None,
        }
        for c in wit_world.list_callbacks()
    ]


class _Callback:
    """`await name(**kwargs)` for one callback; attributes reach dotted ones (`http.get`)."""

    def __init__(self, name):
        self._name = name

    def __getattr__(self, attr):
        if attr.startswith("_"):
            raise AttributeError(attr)
        return _Callback(f"{self._name}.{attr}")

    def __call__(self, **kwargs):
        return invoke(self._name, **kwargs)


def _is_api(value):
    return value is invoke or value is list_callbacks or isinstance(value, _Callback)


_globals = {"__builtins__": builtins, "__name__": "__main__"}


def _install_callbacks():
    _globals["invoke"] = invoke
    _globals["list_callbacks"] = list_callbacks
    for info in wit_world.list_callbacks():
        root = info.name.split(".")[0]
        if root not in _RESERVED:
            _globals[root] = _Callback(root)


def _user_traceback(exc):
    # Drop the frames of this file: the user sees only `<user>` frames.
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
        tb = tb.tb_next
    return "".join(traceback.format_exception(type(exc), exc, tb))


def _extend_path():
    # Modules imported at build time live in componentize-py's memory snapshot;
    # any other module is found through the host's PYTHONPATH (the eryx host
    # mounts the CPython stdlib there), read at run time.
    for entry in os.environ.get("PYTHONPATH", "").split(":"):
        if entry and entry not in sys.path:
            sys.path.append(entry)


class WitWorld(wit_world.WitWorld):
    async def execute(self, code: str) -> str:
        componentize_py_async_support._loop.exception = None
        _extend_path()
        _install_callbacks()
        stdout, stderr = io.StringIO(), io.StringIO()
        saved = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = stdout, stderr
        try:
            compiled = compile(code, "<user>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)
            if compiled.co_flags & 0x80:  # CO_COROUTINE: the code awaits at top level
                await types.FunctionType(compiled, _globals)()
            else:
                exec(compiled, _globals, _globals)
        except SystemExit as e:
            raise Err(f"SystemExit: {e.code}")
        except BaseException as e:
            raise Err(stderr.getvalue() + _user_traceback(e))
        finally:
            sys.stdout, sys.stderr = saved
        return stdout.getvalue().rstrip("\n")

    async def snapshot_state(self) -> bytes:
        state = {}
        for name, value in _globals.items():
            if name in _KEEP or _is_api(value) or isinstance(value, types.ModuleType):
                continue
            try:
                pickle.dumps(value)
            except Exception:
                continue
            state[name] = value
        try:
            return pickle.dumps(state)
        except Exception as e:
            raise Err(f"Failed to snapshot state: {e!r}")

    async def restore_state(self, data: bytes) -> None:
        if not data:
            return
        try:
            state = pickle.loads(data)
        except Exception as e:
            raise Err(f"Failed to restore state: {e!r}")
        _globals.update(state)

    async def clear_state(self) -> None:
        for name in list(_globals):
            if name not in _KEEP and not _is_api(_globals[name]):
                del _globals[name]

    def finalize_preinit(self) -> None:
        pass
