// Readying a pre-initialised image (finalize-preinit). Every instance of the
// image starts from the same memory snapshot, mapped copy-on-write: the first
// write to one of its pages costs a page fault and a page copy (about 3 µs on
// these machines, as much as a whole warm `execute("pass")` takes per 50
// pages). So before the snapshot, the runtime makes the instances' first
// execute write to as few of the image's pages as it can:
//
// 1. python/eryx_glue/image.py runs an execute's path a few times (its bytecode
//    is specialised in the image, not in every instance), then lists every
//    object; they all become immortal here (PEP 683), so reference counting
//    never writes to them again, and the cyclic GC is frozen over them.
// 2. The small free chunks scattered over the heap are taken out of libc's
//    allocator, so an instance's small allocations come from contiguous
//    memory instead of from a different page each (dlmalloc's small bins
//    are LIFO lists through the whole heap).

import { callGlue, glueFunction, Outcome, writeStderr } from "./python/interpreter";
import { STATUS_OK } from "./python/glue-codes";
import { takeOutcomeError } from "./python/interpreter";
import { decref, Py_IMMORTAL_INITIAL_REFCNT, PyList_GetItem, PyList_Size, PyTuple_New } from "./python/cpython";
import { free, malloc, mallocUsableSize } from "./libc";

/** Requests up to here are served by dlmalloc's small bins (chunks below 1 KiB, all from one free list each). */
const SMALL_REQUEST_LIMIT: usize = 1020;
/** Draining one size class can leave a remainder in another: passes until one finds nothing, at most this many. */
const DRAIN_PASSES = 8;

const outcome = changetype<Outcome>(memory.data(offsetof<Outcome>()));

export function readyImage(): void {
  immortalizeObjects();
  drainSmallFreeChunks();
}

/**
 * Makes the image's objects immortal. A failure only costs speed: it is
 * reported on stderr and the objects stay as they were.
 */
function immortalizeObjects(): void {
  let walk = glueFunction("image_objects");
  if (walk) callGlue(walk, PyTuple_New(0), outcome);
  decref(walk);
  if (!walk || outcome.status != STATUS_OK || !outcome.value) {
    let reason = !walk ? "the glue is missing" : outcome.error != null ? takeOutcomeError(outcome) : "unexpected answer";
    writeStderr("eryx-as: finalize-preinit left the image's objects mortal: ", reason, "\n");
    __release(changetype<usize>(reason));
    decref(outcome.value);
    return;
  }
  let objects = outcome.value;
  let count = PyList_Size(objects);
  for (let i: isize = 0; i < count; i++) {
    // ob_refcnt is the first word of every object.
    store<i32>(PyList_GetItem(objects, i), Py_IMMORTAL_INITIAL_REFCNT);
  }
  // Dropping the list only decrefs immortal objects: nothing is written there any more.
  decref(objects);
}

/**
 * For every small size class, allocates until two allocations in a row are
 * adjacent: they came from one region (the allocator's victim chunk or its
 * top), so the class's free list is empty; those two are given back, the
 * others stay allocated for good (a few hundred KiB: memory the image held
 * anyway, and that instances never touch).
 */
function drainSmallFreeChunks(): void {
  for (let pass = 0; pass < DRAIN_PASSES; pass++) {
    let kept = 0;
    for (let request: usize = 4; request <= SMALL_REQUEST_LIMIT; request += 8) kept += drainClass(request);
    if (!kept) break;
  }
}

/** Drains one size class; returns how many chunks it kept. */
function drainClass(request: usize): i32 {
  let kept = 0;
  let previous: usize = 0;
  while (true) {
    let p = malloc(request);
    if (!p) break;
    if (previous && p > previous && p - previous <= mallocUsableSize(previous) + 16) {
      free(p);
      free(previous);
      return kept - 1;
    }
    kept++;
    previous = p;
  }
  return kept;
}
