"""Readying a pre-initialised image (finalize-preinit).

Why, and what the runtime does with the answer: assembly/image.ts. Here: warm
an execute's path up, then list every object of the image, which the runtime
makes immortal. Objects created later, by user code, are ordinary objects.
"""

import gc

from . import callbacks
from .codes import OK
from .execute import execute, reseed_after_image

# Runs of the execute path whose bytecode CPython then has specialised.
_WARM_UP_RUNS = 4
_WARM_UP_CALLBACK = "eryx_image_warm_up"


def image_objects():
    """(OK, every object reachable in the image), after a warm-up; the GC is frozen over them."""
    # The pre-initialiser lists no callbacks; a host does. Binding a made-up
    # listing once (a plain name and a dotted one) and dropping it again
    # leaves that path's bytecode specialised, its type lookups cached and G
    # grown in the image, for each instance's first execute to bind the host's.
    callbacks.refresh([(_WARM_UP_CALLBACK, "", "{}"), (_WARM_UP_CALLBACK + ".leaf", "", "{}")])
    callbacks.refresh([])
    for _ in range(_WARM_UP_RUNS):
        execute("pass")
    gc.collect()
    todo = gc.get_objects()
    seen = set()
    found = []
    code_type = type(image_objects.__code__)
    while todo:
        obj = todo.pop()
        key = id(obj)
        if key in seen:
            continue
        seen.add(key)
        found.append(obj)
        if type(obj) is code_type:
            # Code objects have no tp_traverse: reach their constants and names by hand.
            todo.append(obj.co_consts)
            todo.append(obj.co_names)
        else:
            todo.extend(gc.get_referents(obj))
    # Later collections must not walk (and write the GC headers of) the image.
    gc.freeze()
    reseed_after_image()
    return (OK, found)
