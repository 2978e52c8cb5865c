"""eryx-as infrastructure: the callback API user code sees.

``invoke(name, **kwargs)`` awaits a host callback; every callback the host
lists also gets a keyword-only wrapper (``await echo(message="hi")``), and a
dotted name ``a.b.c`` becomes namespace objects (``await a.b.c(x=1)``).
``list_callbacks()`` describes them, with the parsed JSON Schema. The list is
re-read from the host on every execute; schemas are parsed only when
``list_callbacks()`` asks for them (most runs never do, and parsing them on
the first execute of a pre-initialised instance is measurable).
"""

import builtins as _builtins_mod
import json as _json

import _eryx

_eryx_reserved = frozenset(dir(_builtins_mod)) | {
    "invoke", "list_callbacks", "asyncio", "json", "math", "re", "os", "subprocess", "socket", "__import__",
}
# Names of the API that G holds and that state handling leaves alone.
_eryx_api_names = frozenset({"invoke", "list_callbacks", "_EryxNamespace", "_EryxCallbackLeaf"})

_eryx_last_listing = None     # the host's listing [(name, description, schema JSON)] the bindings were made from
_eryx_described = None        # list_callbacks()'s parsed form of it, made on demand
_eryx_installed = {}          # name bound in G -> the object we bound


def _eryx_trace_callback(event, context=""):
    _eryx_report_trace(0, event, context)


async def invoke(_callback_name, **kwargs):
    """Invoke the host callback ``_callback_name`` with keyword arguments; returns its JSON result."""
    args_json = _json.dumps(kwargs)
    _report(0, _eryx_event_text("callback_start", "name", _callback_name), args_json)
    try:
        result = await _eryx_loop._eryx_wait_for_host(_callback_name, args_json, _eryx.invoke)
    except Exception as exc:
        _eryx_trace_callback({"type": "callback_end", "name": _callback_name, "error": str(exc)})
        raise
    _report(0, _eryx_event_text("callback_end", "name", _callback_name), "")
    return _json.loads(result) if result else None


def list_callbacks():
    """The host's callbacks: name, description and parameters_schema (parsed JSON Schema or None)."""
    global _eryx_described
    if _eryx_described is None:
        _eryx_described = [
            {"name": name, "description": description, "parameters_schema": _eryx_parse_schema(schema)}
            for name, description, schema in _eryx_last_listing or ()
        ]
    return [dict(cb) for cb in _eryx_described]


def _eryx_make_callback(name):
    async def callback(**kwargs):
        return await invoke(name, **kwargs)
    callback.__name__ = name
    callback.__qualname__ = name
    callback.__doc__ = f"Invoke the {name!r} callback (async)."
    callback._eryx_callback = name
    return callback


class _EryxCallbackLeaf:
    """A dotted callback name; awaiting a call invokes it."""

    def __init__(self, full_name):
        self._full_name = full_name

    def __call__(self, **kwargs):
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


def _eryx_parse_schema(text):
    if not text:
        return None
    try:
        return _json.loads(text)
    except ValueError:
        return None


def _eryx_bind(name, obj):
    current = _eryx_user_globals.get(name)
    previous = _eryx_installed.get(name)
    if current is not None and current is not previous:
        return  # the user bound this name: theirs wins
    _eryx_user_globals[name] = obj
    _eryx_installed[name] = obj


def _eryx_callbacks_refresh():
    """Re-reads the host's callbacks and (re)binds the API in G."""
    global _eryx_described, _eryx_last_listing
    try:
        listed = _eryx.list_callbacks()
    except Exception:  # noqa: BLE001 - a broken list must not break execute
        listed = []
    if listed == _eryx_last_listing:
        return  # unchanged since the last execute: the bindings stand
    _eryx_last_listing = listed
    _eryx_described = None
    wanted = {"invoke": invoke, "list_callbacks": list_callbacks,
              "_EryxNamespace": _EryxNamespace, "_EryxCallbackLeaf": _EryxCallbackLeaf}
    roots = {}
    for name, _description, _schema in listed:
        parts = name.split(".")
        if parts[0] in _eryx_reserved or not all(p.isidentifier() for p in parts):
            continue
        if len(parts) == 1:
            wanted[name] = _eryx_make_callback(name)
            continue
        node = roots.setdefault(parts[0], _EryxNamespace(parts[0] + "."))
        for i, part in enumerate(parts[1:-1], start=1):
            node = node._children.setdefault(part, _EryxNamespace(".".join(parts[: i + 1]) + "."))
    wanted.update(roots)
    for name in list(_eryx_installed):
        if name not in wanted and _eryx_user_globals.get(name) is _eryx_installed[name]:
            del _eryx_user_globals[name]
            del _eryx_installed[name]
    for name, obj in wanted.items():
        old = _eryx_installed.get(name)
        same = old is not None and getattr(old, "_eryx_callback", None) == name and getattr(obj, "_eryx_callback", None) == name
        _eryx_bind(name, old if same else obj)
