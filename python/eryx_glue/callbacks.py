"""The callback API user code sees.

``invoke(name, **kwargs)`` awaits a host callback; every callback the host
lists also gets a wrapper (``await echo(message="hi")``), and a dotted name
``a.b.c`` becomes namespace objects (``await a.b.c(x=1)``). Wrappers are
keyword-only in the 0.1.0 world (the 0.2.0 contract); in the eryx 0.5 world
they also take positional arguments, bound to the parameters in the order of
the schema's ``properties``, as eryx 0.5's own runtime does.
``list_callbacks()`` describes them, with the parsed JSON Schema. The list is
re-read from the host on every execute; schemas are parsed only when
``list_callbacks()`` or a positional call needs them (most runs never do, and
parsing them on the first execute of a pre-initialised instance is
measurable).
"""

import asyncio
import builtins
import inspect
import json
from json import decoder as _json_decoder
from json import encoder as _json_encoder
from json import scanner as _json_scanner

import _eryx

from . import tracing
from .codes import OK, PENDING
from .loop import event_loop
from .user import user_globals

RESERVED = frozenset(dir(builtins)) | {
    "invoke",
    "list_callbacks",
    "asyncio",
    "json",
    "math",
    "re",
    "os",
    "subprocess",
    "socket",
    "__import__",
}
# Names of the API that G holds and that state handling leaves alone (state.py).
API_NAMES = frozenset({"invoke", "list_callbacks", "_EryxNamespace", "_EryxCallbackLeaf"})

_last_listing = None  # the host's listing [(name, description, schema JSON)] the bindings were made from
_described = None  # list_callbacks()'s parsed form of it, made on demand
_installed = {}  # name bound in G -> the object we bound
_positional = False  # wrappers bind positional arguments (the eryx 0.5 world)


# The JSON of every call's arguments and result (invoke, inline), without
# the Python layers of json.dumps and json.loads around their C encoder and
# scanner: the same C code, so the same text, values and errors. What the
# fast path does not take goes through json.
_markers = {}
_c_encode = None
if _json_encoder.c_make_encoder is not None:
    # json.dumps's defaults: markers, default, ensure_ascii, no indent,
    # separators, sort_keys, skipkeys, allow_nan.
    _ascii = _json_encoder.encode_basestring_ascii
    _default = json.JSONEncoder().default
    _c_encode = _json_encoder.c_make_encoder(_markers, _default, _ascii, None, ": ", ", ", False, False, True)
_scan = _json_scanner.make_scanner(_json_decoder.JSONDecoder())

_native_invoke = _eryx.invoke
_report = tracing.report
_event_text = tracing.event_text
_Future = asyncio.Future
_futures = event_loop._eryx_futures
_deferred = event_loop._eryx_deferred
_texts = {}  # callback name -> the JSON of its callback_start and callback_end events
_TEXTS_MAX = 4096


def _texts_of(name):
    if len(_texts) >= _TEXTS_MAX:
        _texts.clear()
    texts = _texts[name] = (_event_text("callback_start", "name", name), _event_text("callback_end", "name", name))
    return texts


async def invoke(_callback_name, **kwargs):
    """Invoke the host callback ``_callback_name`` with keyword arguments; returns its JSON result."""
    if _c_encode is not None:  # json.dumps(kwargs)
        try:
            args_json = "".join(_c_encode(kwargs, 0))
        except BaseException:
            _markers.clear()  # a failed encode can leave its containers marked
            raise
    else:
        args_json = json.dumps(kwargs)
    texts = _texts.get(_callback_name) or _texts_of(_callback_name)
    _report(0, texts[0], args_json)
    status, value = _native_invoke(_callback_name, args_json)
    future = _Future(loop=event_loop)
    if status == PENDING:
        _futures[value] = future
    else:
        # Answered at once. Still suspend once, as for any host call, so
        # what user code observes (trace order, interleaving) never
        # depends on how fast the host happened to answer.
        _deferred.append((future, status == OK, value))
    try:
        result = await future
    except Exception as exc:
        tracing.report_event(0, {"type": "callback_end", "name": _callback_name, "error": str(exc)})
        raise
    _report(0, texts[1], "")
    if not result:
        return None
    try:  # json.loads(result): compact JSON (what hosts send) at once, anything else through json
        value, end = _scan(result, 0)
    except StopIteration:  # not a value at 0 (whitespace, a BOM, invalid): json says why
        return json.loads(result)
    return value if end == len(result) else json.loads(result)


def _described_callbacks():
    global _described
    if _described is None:
        _described = [
            {"name": name, "description": description, "parameters_schema": _parse_schema(schema)}
            for name, description, schema in _last_listing or ()
        ]
    return _described


def list_callbacks():
    """The host's callbacks: name, description and parameters_schema (parsed JSON Schema or None)."""
    return [dict(cb) for cb in _described_callbacks()]


def take_positional_arguments():
    """The eryx 0.5 world: wrappers bind positional arguments to the schema's parameters."""
    global _positional
    _positional = True


def _parameter_names(name):
    """The schema's property names in order; a name listed twice: the first one's, as eryx 0.5's runtime."""
    for cb in _described_callbacks():
        if cb["name"] == name:
            schema = cb["parameters_schema"]
            properties = schema.get("properties") if isinstance(schema, dict) else None
            return tuple(properties) if isinstance(properties, dict) else ()
    return ()


def _bind_positional(name, args, kwargs):
    """The keyword arguments of a call that also passed ``args``, or a TypeError as Python gives."""
    names = _parameter_names(name) if _positional else ()
    if len(args) > len(names):
        takes = f"{len(names)} positional argument{'' if len(names) == 1 else 's'}"
        given = f"{len(args)} {'was' if len(args) == 1 else 'were'} given"
        raise TypeError(f"{name}() takes {takes} but {given}")
    bound = {}
    for parameter, arg in zip(names, args, strict=False):  # the names may outnumber the arguments
        if parameter in kwargs:
            raise TypeError(f"{name}() got multiple values for argument '{parameter}'")
        bound[parameter] = arg
    bound.update(kwargs)  # positionals first, as Python binds them
    return bound


def _make_callback(name):
    # A plain function that answers invoke()'s coroutine: one coroutine per
    # call instead of two, and still a coroutine function to inspect.
    def callback(*args, **kwargs):
        if args:
            kwargs = _bind_positional(name, args, kwargs)
        return invoke(name, **kwargs)

    inspect.markcoroutinefunction(callback)
    callback.__name__ = name
    callback.__qualname__ = name
    callback.__doc__ = f"Invoke the {name!r} callback (async)."
    callback._eryx_callback = name
    return callback


class _EryxCallbackLeaf:
    """A dotted callback name; awaiting a call invokes it."""

    def __init__(self, full_name):
        self._full_name = full_name

    def __call__(self, /, *args, **kwargs):
        if args:
            kwargs = _bind_positional(self._full_name, args, kwargs)
        return invoke(self._full_name, **kwargs)

    def __repr__(self):
        return f"<callback {self._full_name}>"


class _EryxNamespace(_EryxCallbackLeaf):
    """The root or an inner segment of dotted callback names (``http`` of ``http.get``)."""

    def __init__(self, prefix):
        super().__init__(prefix[:-1])
        self._prefix = prefix
        self._children = {}

    def __getattr__(self, attr):
        if attr.startswith("_"):
            raise AttributeError(attr)
        child = self._children.get(attr)
        return child if child is not None else _EryxCallbackLeaf(self._prefix + attr)

    def __dir__(self):
        return sorted(self._children)

    def __repr__(self):
        return f"<callback namespace {self._prefix[:-1]}>"


def _parse_schema(text):
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def _bind(name, obj):
    current = user_globals.get(name)
    previous = _installed.get(name)
    if current is not None and current is not previous:
        return  # the user bound this name: theirs wins
    user_globals[name] = obj
    _installed[name] = obj


def refresh(listed=None):
    """Re-reads the host's callbacks (or takes ``listed``) and (re)binds the API in G."""
    global _described, _last_listing
    if listed is None:
        try:
            listed = _eryx.list_callbacks()
        except Exception:  # noqa: BLE001 - a broken list must not break execute
            listed = []
    if listed == _last_listing:
        return  # unchanged since the last execute: the bindings stand
    _last_listing = listed
    _described = None
    wanted = {
        "invoke": invoke,
        "list_callbacks": list_callbacks,
        "_EryxNamespace": _EryxNamespace,
        "_EryxCallbackLeaf": _EryxCallbackLeaf,
    }
    roots = {}
    for name, _description, _schema in listed:
        parts = name.split(".")
        if parts[0] in RESERVED or not all(p.isidentifier() for p in parts):
            continue
        if len(parts) == 1:
            wanted[name] = _make_callback(name)
            continue
        node = roots.setdefault(parts[0], _EryxNamespace(parts[0] + "."))
        for i, part in enumerate(parts[1:-1], start=1):
            node = node._children.setdefault(part, _EryxNamespace(".".join(parts[: i + 1]) + "."))
    wanted.update(roots)
    for name in list(_installed):
        if name not in wanted and user_globals.get(name) is _installed[name]:
            del user_globals[name]
            del _installed[name]
    for name, obj in wanted.items():
        old = _installed.get(name)
        same = (
            old is not None
            and getattr(old, "_eryx_callback", None) == name
            and getattr(obj, "_eryx_callback", None) == name
        )
        _bind(name, old if same else obj)
