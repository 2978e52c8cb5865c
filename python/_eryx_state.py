"""eryx-as infrastructure: snapshot, restore and clear of the user's globals.

A snapshot keeps everything a user would expect to survive: plain values,
``None``, functions, lambdas, classes and instances of user classes (code
defined in ``<user>`` is pickled by value: its bytecode, defaults, closure,
and for classes their namespace). Modules and callback wrappers are
skipped, as is any single value that cannot be pickled.

Format: ``MAGIC`` + CRC-32 of the payload (4 bytes, little endian) + pickle,
so corrupt or truncated bytes are refused with a reason before anything is
unpickled, and a failed restore leaves the state untouched.
"""

import copyreg as _copyreg
import io as _io
import marshal as _marshal
import pickle as _pickle
import types as _types
import zlib as _zlib

_ERYX_SNAPSHOT_MAGIC = b"ERYXAS\x01"


def _eryx_is_user_code(obj):
    code = getattr(obj, "__code__", None)
    return isinstance(code, _types.CodeType) and code.co_filename == _USER_FILENAME


def _eryx_is_user_class(obj):
    if not isinstance(obj, type) or obj.__module__ != "__main__":
        return False
    # Classes of the sandbox itself live in __main__ too; user classes are not there.
    return globals().get(obj.__qualname__) is not obj


def _eryx_make_function(code_bytes, name, ncells):
    code = _marshal.loads(code_bytes)
    closure = tuple(_types.CellType() for _ in range(ncells)) if ncells else None
    return _types.FunctionType(code, _eryx_user_globals, name, None, closure)


def _eryx_set_function_state(func, state):
    defaults, kwdefaults, cells, qualname, attrs, annotations = state
    func.__defaults__ = defaults
    func.__kwdefaults__ = kwdefaults
    func.__qualname__ = qualname
    func.__dict__.update(attrs)
    if annotations:
        func.__annotations__ = annotations
    for cell, value in zip(func.__closure__ or (), cells):
        if value is not _EryxEmptyCell:
            cell.cell_contents = value


class _EryxEmptyCell:
    """Marks a closure cell that had no value yet."""


def _eryx_make_class(metaclass, name, bases):
    return metaclass(name, bases, {})


_EryxSkipAttrs = frozenset({"__dict__", "__weakref__"})


def _eryx_set_class_state(cls, state):
    qualname, namespace = state
    cls.__qualname__ = qualname
    for key, value in namespace.items():
        setattr(cls, key, value)


class _EryxPickler(_pickle.Pickler):
    def reducer_override(self, obj):
        if isinstance(obj, _types.FunctionType) and _eryx_is_user_code(obj):
            cells = []
            for cell in obj.__closure__ or ():
                try:
                    cells.append(cell.cell_contents)
                except ValueError:
                    cells.append(_EryxEmptyCell)
            ncells = len(obj.__closure__ or ())
            state = (obj.__defaults__, obj.__kwdefaults__, cells, obj.__qualname__, dict(obj.__dict__),
                     dict(getattr(obj, "__annotations__", None) or {}))
            return (_eryx_make_function, (_marshal.dumps(obj.__code__), obj.__name__, ncells), state,
                    None, None, _eryx_set_function_state)
        if _eryx_is_user_class(obj):
            namespace = {k: v for k, v in vars(obj).items() if k not in _EryxSkipAttrs}
            return (_eryx_make_class, (type(obj), obj.__name__, obj.__bases__), (obj.__qualname__, namespace),
                    None, None, _eryx_set_class_state)
        return NotImplemented


def _eryx_dumps(value):
    buffer = _io.BytesIO()
    _EryxPickler(buffer, protocol=_pickle.HIGHEST_PROTOCOL).dump(value)
    return buffer.getvalue()


def _eryx_is_callback_object(value):
    if isinstance(value, (_EryxNamespace, _EryxCallbackLeaf)):
        return True
    return getattr(value, "_eryx_callback", None) is not None


def _eryx_state_candidates():
    for key, value in _eryx_user_globals.items():
        if key in _eryx_base_names or key in _eryx_api_names or key.startswith("_eryx_"):
            continue
        if isinstance(value, _types.ModuleType) or _eryx_is_callback_object(value):
            continue
        yield key, value


def _eryx_snapshot():
    kept, failed = {}, []
    for key, value in _eryx_state_candidates():
        try:
            _eryx_dumps(value)
        except Exception as exc:  # noqa: BLE001 - anything unpicklable is skipped
            failed.append(f"{key} ({type(exc).__name__}: {exc})")
            continue
        kept[key] = value
    if failed and not kept:
        return (_ERROR, "Failed to snapshot state: no variable could be serialised: " + "; ".join(failed))
    try:
        payload = _eryx_dumps(kept)
    except Exception as exc:  # noqa: BLE001
        return (_ERROR, "Failed to snapshot state: " + _eryx_format_error(exc))
    header = _ERYX_SNAPSHOT_MAGIC + _zlib.crc32(payload).to_bytes(4, "little")
    return (_OK, header + payload)


def _eryx_restore(data):
    if not data:
        return (_OK, None)
    magic = _ERYX_SNAPSHOT_MAGIC
    if len(data) < len(magic) + 4 or not data.startswith(magic):
        return (_ERROR, "Failed to restore state: not an eryx-as snapshot (bad header)")
    payload = data[len(magic) + 4:]
    if _zlib.crc32(payload) != int.from_bytes(data[len(magic):len(magic) + 4], "little"):
        return (_ERROR, "Failed to restore state: checksum mismatch (the snapshot is corrupt or truncated)")
    try:
        values = _pickle.loads(payload)
    except Exception as exc:  # noqa: BLE001
        return (_ERROR, f"Failed to restore state: {type(exc).__name__}: {exc}")
    if not isinstance(values, dict):
        return (_ERROR, "Failed to restore state: the snapshot does not hold a dict of variables")
    _eryx_user_globals.update(values)
    return (_OK, None)


def _eryx_clear():
    for key in list(_eryx_user_globals):
        if key in _eryx_base_names or key in _eryx_api_names:
            continue
        if _eryx_is_callback_object(_eryx_user_globals[key]):
            continue
        del _eryx_user_globals[key]
    return (_OK, None)
