"""Snapshot, restore and clear of the user's globals.

A snapshot keeps everything a user would expect to survive: plain values,
``None``, functions, lambdas, classes and instances of user classes (code
defined in ``<user>`` is pickled by value: its bytecode, defaults, closure,
and for classes their namespace). Modules and callback wrappers are
skipped, as is any single value that cannot be pickled.

Format: ``MAGIC`` + CRC-32 of the payload (4 bytes, little endian) + pickle,
so corrupt or truncated bytes are refused with a reason before anything is
unpickled, and a failed restore leaves the state untouched.
"""

import importlib
import io
import marshal
import pickle
import sys
import types
import zlib

from .callbacks import API_NAMES, _EryxCallbackLeaf, _EryxNamespace
from .codes import ERROR, OK
from .user import BASE_NAMES, format_error, user_globals

SNAPSHOT_MAGIC = b"ERYXAS\x01"


def _by_reference(obj):
    """Whether pickle can find ``obj`` again by module and qualified name."""
    module = sys.modules.get(getattr(obj, "__module__", None) or "")
    target = module
    for part in getattr(obj, "__qualname__", "").split("."):
        target = getattr(target, part, None)
    return module is not None and target is obj


def _needs_value(obj):
    # User code lives in G, whose __name__ is "__main__" while sys.modules["__main__"]
    # is the sandbox's own module: nothing of the user's can be found by reference.
    return not _by_reference(obj)


def _make_function(code_bytes, name, ncells, module_name):
    code = marshal.loads(code_bytes)
    closure = tuple(types.CellType() for _ in range(ncells)) if ncells else None
    # User functions run in G; a library's local function (e.g. a decorator's
    # wrapper) keeps the globals of its module.
    globals_ = importlib.import_module(module_name).__dict__ if module_name else user_globals
    return types.FunctionType(code, globals_, name, None, closure)


def _globals_module(func):
    """The importable module whose namespace ``func`` runs in, or None for G."""
    if func.__globals__ is user_globals:
        return None
    name = func.__globals__.get("__name__")  # not func.__module__: functools.wraps copies that
    module = sys.modules.get(name) if isinstance(name, str) else None
    return name if module is not None and module.__dict__ is func.__globals__ else None


def _set_function_state(func, state):
    defaults, kwdefaults, cells, qualname, attrs, annotations = state
    func.__defaults__ = defaults
    func.__kwdefaults__ = kwdefaults
    func.__qualname__ = qualname
    func.__dict__.update(attrs)
    if annotations:
        func.__annotations__ = annotations
    for cell, value in zip(func.__closure__ or (), cells, strict=True):
        if value is not _EmptyCell:
            cell.cell_contents = value


class _EmptyCell:
    """Marks a closure cell that had no value yet."""


_HEAPTYPE = 1 << 9  # Py_TPFLAGS_HEAPTYPE: classes made by class statements, not built-in types


def _make_mappingproxy(mapping):
    return types.MappingProxyType(mapping)


def _make_class(metaclass, name, bases, slots):
    # __slots__ must be there when the class is created; everything else is state.
    return metaclass(name, bases, {"__slots__": slots} if slots is not None else {})


# Attributes that the class machinery makes itself (or that cannot be set).
_SKIP_ATTRS = frozenset(
    {
        "__dict__",
        "__weakref__",
        "__slots__",
        # 3.14's lazy annotations: kept evaluated instead (below)
        "__annotate_func__",
        "__annotate__",
        "__annotations_cache__",
    }
)
_DESCRIPTOR_TYPES = (types.GetSetDescriptorType, types.MemberDescriptorType)


def _set_class_state(cls, state):
    qualname, namespace = state
    cls.__qualname__ = qualname
    for key, value in namespace.items():
        try:
            setattr(cls, key, value)
        except AttributeError, TypeError:
            pass  # read-only on this type; the class works without it


class _Pickler(pickle.Pickler):
    """Pickles functions and classes that cannot be found by reference by value."""

    by_value_classes = False

    def reducer_override(self, obj):
        if isinstance(obj, types.FunctionType) and _needs_value(obj):
            cells = []
            for cell in obj.__closure__ or ():
                try:
                    cells.append(cell.cell_contents)
                except ValueError:
                    cells.append(_EmptyCell)
            ncells = len(obj.__closure__ or ())
            state = (
                obj.__defaults__,
                obj.__kwdefaults__,
                cells,
                obj.__qualname__,
                dict(obj.__dict__),
                dict(getattr(obj, "__annotations__", None) or {}),
            )
            return (
                _make_function,
                (marshal.dumps(obj.__code__), obj.__name__, ncells, _globals_module(obj)),
                state,
                None,
                None,
                _set_function_state,
            )
        if isinstance(obj, type) and obj.__flags__ & _HEAPTYPE and _needs_value(obj):
            self.by_value_classes = True
            slots = vars(obj).get("__slots__")
            namespace = {
                k: v for k, v in vars(obj).items() if k not in _SKIP_ATTRS and not isinstance(v, _DESCRIPTOR_TYPES)
            }
            try:
                annotations = dict(obj.__annotations__)
            except Exception:  # noqa: BLE001 - unevaluable annotations are dropped
                annotations = {}
            if annotations:
                namespace["__annotations__"] = annotations
            return (
                _make_class,
                (type(obj), obj.__name__, obj.__bases__, slots),
                (obj.__qualname__, namespace),
                None,
                None,
                _set_class_state,
            )
        if isinstance(obj, (staticmethod, classmethod)):
            return (type(obj), (obj.__func__,))
        if isinstance(obj, property):
            return (property, (obj.fget, obj.fset, obj.fdel, obj.__doc__))
        if isinstance(obj, types.MappingProxyType):  # e.g. dataclass field metadata
            return (_make_mappingproxy, (dict(obj),))
        return NotImplemented


def _dumps(value):
    """Pickled bytes, and whether they hold classes pickled by value (worth a trial load)."""
    buffer = io.BytesIO()
    pickler = _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    pickler.dump(value)
    return buffer.getvalue(), pickler.by_value_classes


def _loads_ok(data):
    try:
        pickle.loads(data)
        return True
    except Exception:  # noqa: BLE001
        return False


def _is_callback_object(value):
    if isinstance(value, (_EryxNamespace, _EryxCallbackLeaf)):
        return True
    return getattr(value, "_eryx_callback", None) is not None


def _state_candidates():
    for key, value in user_globals.items():
        if key in BASE_NAMES or key in API_NAMES or key.startswith("_eryx_"):
            continue
        if isinstance(value, types.ModuleType) or _is_callback_object(value):
            continue
        yield key, value


def snapshot():
    kept, failed = {}, []
    for key, value in _state_candidates():
        try:
            data, risky = _dumps(value)
            # A class rebuilt by value must also load again (never hand out a
            # snapshot that cannot be restored).
            if risky and not _loads_ok(data):
                raise TypeError("it pickles, but cannot be rebuilt from the snapshot")
        except Exception as exc:  # noqa: BLE001 - anything unpicklable is skipped
            failed.append(f"{key} ({type(exc).__name__}: {exc})")
            continue
        kept[key] = value
    if failed and not kept:
        return (ERROR, "Failed to snapshot state: no variable could be serialised: " + "; ".join(failed))
    try:
        payload, _ = _dumps(kept)
    except Exception as exc:  # noqa: BLE001
        return (ERROR, "Failed to snapshot state: " + format_error(exc))
    header = SNAPSHOT_MAGIC + zlib.crc32(payload).to_bytes(4, "little")
    return (OK, header + payload)


def restore(data):
    if not data:
        return (OK, None)
    magic = SNAPSHOT_MAGIC
    if len(data) < len(magic) + 4 or not data.startswith(magic):
        return (ERROR, "Failed to restore state: not an eryx-as snapshot (bad header)")
    payload = data[len(magic) + 4 :]
    if zlib.crc32(payload) != int.from_bytes(data[len(magic) : len(magic) + 4], "little"):
        return (ERROR, "Failed to restore state: checksum mismatch (the snapshot is corrupt or truncated)")
    try:
        values = pickle.loads(payload)
    except Exception as exc:  # noqa: BLE001
        return (ERROR, f"Failed to restore state: {type(exc).__name__}: {exc}")
    if not isinstance(values, dict):
        return (ERROR, "Failed to restore state: the snapshot does not hold a dict of variables")
    user_globals.update(values)
    return (OK, None)


def clear():
    for key in list(user_globals):
        if key in BASE_NAMES or key in API_NAMES:
            continue
        if _is_callback_object(user_globals[key]):
            continue
        del user_globals[key]
    return (OK, None)
