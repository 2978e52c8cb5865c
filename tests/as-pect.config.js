// as-pect configuration for the AssemblyScript helper tests (tests/assembly/*.spec.ts).
//
// Run from the project root:
//   npx asp --config tests/as-pect.config.js --as-config tests/assembly/as-pect.asconfig.json --no-logo
//
// The runtime helpers under test import libc's malloc/calloc/realloc/free/abort/write
// from `env` (assembly/libc.ts). This file supplies them in JS: a bump allocator over a
// static region the spec reserves with `memory.data` and announces through
// `testlibc.setHeap(ptr, size)`, so it never touches the AS heap the test framework uses.
// `testlibc.*` also lets a spec read the allocator's counters (to check that what it
// malloc'd is freed), check whether a pointer is a live block, and check what a
// failure wrote to stderr.
//
// `env.abort` is shared by two signatures in a test binary: AS's own
// abort(message, file, line, column) and libc's abort(). A call with no arguments is the
// libc one: it throws, so `expect(() => ...).toThrow()` sees it.

/** JS libc over a region of the instance's memory; every block is tracked. */
export function createLibc(getMemory) {
  const state = { base: 0, limit: 0, next: 0, live: new Map(), mallocs: 0, frees: 0, aborts: 0, badFrees: 0, stderr: "" };
  const u8 = () => new Uint8Array(getMemory().buffer);

  function alloc(size) {
    if (state.limit === 0) throw new Error("testlibc: malloc called before testlibc.setHeap");
    const n = Math.max(size >>> 0, 1);
    const ptr = (state.next + 15) & ~15;
    if (ptr + n > state.limit) return 0;
    state.next = ptr + n;
    state.live.set(ptr, n);
    state.mallocs++;
    // Poison fresh blocks so code that reads uninitialised memory shows up.
    u8().fill(0xa5, ptr, ptr + n);
    return ptr;
  }
  function release(ptr) {
    if (!state.live.has(ptr)) {
      state.badFrees++;
      throw new Error(`testlibc: free of ${ptr}, which is not a live malloc block`);
    }
    state.live.delete(ptr);
    state.frees++;
  }

  const env = {
    malloc: (size) => alloc(size),
    calloc: (count, size) => {
      const n = (count >>> 0) * (size >>> 0);
      const p = alloc(n);
      if (p) u8().fill(0, p, p + Math.max(n, 1));
      return p;
    },
    realloc: (ptr, size) => {
      if (ptr === 0) return alloc(size);
      const old = state.live.get(ptr);
      if (old === undefined) {
        state.badFrees++;
        throw new Error(`testlibc: realloc of ${ptr}, which is not a live malloc block`);
      }
      const p = alloc(size);
      if (p === 0) return 0;
      u8().copyWithin(p, ptr, ptr + Math.min(old, Math.max(size >>> 0, 1)));
      release(ptr);
      return p;
    },
    free: (ptr) => {
      if (ptr !== 0) release(ptr);
    },
    write: (fd, buf, len) => {
      const text = new TextDecoder().decode(u8().subarray(buf, buf + len));
      if (fd === 2) state.stderr += text;
      (fd === 2 ? process.stderr : process.stdout).write(text);
      return len;
    },
    __wasilibc_reset_preopens: () => {},
    abort: (...args) => {
      if (args.length === 0) {
        state.aborts++;
        throw new Error("testlibc: libc abort() called");
      }
    },
  };

  const testlibc = {
    setHeap: (ptr, size) => {
      state.base = ptr;
      state.next = ptr;
      state.limit = ptr + size;
    },
    /** Blocks malloc'd and not yet freed. */
    liveBlocks: () => state.live.size,
    mallocCount: () => state.mallocs,
    freeCount: () => state.frees,
    abortCount: () => state.aborts,
    badFreeCount: () => state.badFrees,
    isLive: (ptr) => (state.live.has(ptr) ? 1 : 0),
    blockSize: (ptr) => state.live.get(ptr) ?? -1,
    /** 1 if what was written to stderr since the last call contains the UTF-8 text at ptr; clears it. */
    stderrIncludes: (ptr, len) => {
      const found = state.stderr.includes(new TextDecoder().decode(u8().subarray(ptr, ptr + len)));
      state.stderr = "";
      return found ? 1 : 0;
    },
  };
  return { env, testlibc, state };
}

export default {
  entries: ["tests/assembly/**/*.spec.ts"],
  include: [],
  disclude: [/node_modules/],
  async instantiate(memory, createImports, instantiate, binary) {
    let exports = null;
    const libc = createLibc(() => exports.memory);
    const result = await instantiate(binary, createImports({ env: libc.env, testlibc: libc.testlibc }));
    exports = result.exports;
    return result;
  },
  outputBinary: false,
};
