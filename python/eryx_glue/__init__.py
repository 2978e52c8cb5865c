"""eryx-as's Python glue: how user code runs, awaits host callbacks, is traced and keeps its state.

The runtime embeds these sources (link/glue.ts) and, at initialisation,
creates this package and its modules from them in dependency order, then runs
this file last (assembly/python/interpreter.ts); no filesystem is involved.
Under a plain CPython they import as any package (tests/python/).

The runtime calls the entry points below. Each answers ``(status, value)``
(codes.py) and never raises.
"""

from .execute import execute, resume, set_result_variable, use_output_record
from .image import image_objects
from .loop import resolve, wake
from .state import clear, restore, snapshot

__all__ = [
    "clear",
    "execute",
    "image_objects",
    "resolve",
    "restore",
    "resume",
    "set_result_variable",
    "snapshot",
    "use_output_record",
    "wake",
]
