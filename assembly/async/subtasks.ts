// Host callbacks in flight: each `invoke` that did not return at once is a
// component-model subtask, parked here with its cx and ABI area until the
// host reports SUBTASK/RETURNED for it. All of them are joined to one
// waitable set per suspended export, created on first use.
//
//   parked call (malloc'd, singly linked)
//   ┌─────────┬────┬──────┬──────┐
//   │ subtask │ cx │ area │ next │
//   └─────────┴────┴──────┴──────┘

import { waitableJoin, waitableSetDrop, waitableSetNew, subtaskDrop } from "../abi/intrinsics";
import { free, mallocOrDie } from "../libc";

@unmanaged class ParkedCall {
  subtask: u32;
  cx: usize;
  area: usize;
  next: usize;
}

let parked: usize = 0;
let parkedCount: u32 = 0;
let waitableSet: u32 = 0;

export function park(subtask: u32, cx: usize, area: usize): void {
  let node = changetype<ParkedCall>(mallocOrDie(offsetof<ParkedCall>(), "a parked subtask"));
  node.subtask = subtask;
  node.cx = cx;
  node.area = area;
  node.next = parked;
  parked = changetype<usize>(node);
  parkedCount++;
  if (!waitableSet) waitableSet = waitableSetNew();
  waitableJoin(subtask, waitableSet);
}

/**
 * Removes the parked call of `subtask`: leaves the set, drops the subtask,
 * and returns its cx (the area is freed with it) — 0 if it is not ours.
 */
export function unpark(subtask: u32, areaOut: usize): usize {
  let prev: usize = 0;
  let node = parked;
  while (node) {
    let call = changetype<ParkedCall>(node);
    if (call.subtask == subtask) {
      if (prev) changetype<ParkedCall>(prev).next = call.next;
      else parked = call.next;
      parkedCount--;
      let cx = call.cx;
      store<usize>(areaOut, call.area);
      free(node);
      waitableJoin(subtask, 0);
      subtaskDrop(subtask);
      return cx;
    }
    prev = node;
    node = call.next;
  }
  return 0;
}

export function pendingSubtasks(): u32 {
  return parkedCount;
}

/** The set to wait on; 0 when nothing was ever parked. */
export function currentWaitableSet(): u32 {
  return waitableSet;
}

/** Drops the set once nothing is parked in it any more (dropping a non-empty set traps). */
export function releaseWaitableSet(): void {
  if (waitableSet && parkedCount == 0) {
    waitableSetDrop(waitableSet);
    waitableSet = 0;
  }
}
