// The memory cap: V8 has no resource limiter for `memory.grow`, so the core
// module that defines the linear memory gets a maximum written into its
// memory section instead. Growing past it fails the way wasmtime's limiter
// makes it fail (memory.grow returns -1, malloc returns NULL, Python raises
// MemoryError), and the instance stays usable.

const PAGE = 65536;

function readLeb(bytes: Uint8Array, pos: number): [value: number, next: number] {
  let result = 0;
  let shift = 0;
  for (;;) {
    const b = bytes[pos++];
    result += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if ((b & 0x80) === 0) return [result, pos];
  }
}

function leb(value: number): number[] {
  const out: number[] = [];
  do {
    let b = value % 128;
    value = Math.floor(value / 128);
    if (value !== 0) b |= 0x80;
    out.push(b);
  } while (value !== 0);
  return out;
}

/**
 * `module` with every defined 32-bit memory limited to `limitBytes` (rounded
 * down to whole pages, never below the memory's initial size), or `module`
 * itself when it defines no memory.
 */
export function capMemory(module: Uint8Array, limitBytes: number): Uint8Array {
  const capPages = Math.max(1, Math.floor(limitBytes / PAGE));
  let pos = 8;
  while (pos < module.length) {
    const id = module[pos];
    const [size, payloadStart] = readLeb(module, pos + 1);
    const end = payloadStart + size;
    if (id === 5) {
      const out: number[] = [];
      let [count, p] = readLeb(module, payloadStart);
      out.push(...leb(count));
      for (; count > 0; count--) {
        const flags = module[p++];
        let min: number;
        let max: number | undefined;
        [min, p] = readLeb(module, p);
        if (flags & 1) [max, p] = readLeb(module, p);
        if (flags & 4) throw new Error("memory64 is not supported by the memory cap");
        const newMax = Math.max(min, Math.min(max ?? capPages, capPages));
        out.push(flags | 1, ...leb(min), ...leb(newMax));
      }
      const payload = Uint8Array.from(out);
      const header = [5, ...leb(payload.length)];
      const result = new Uint8Array(pos + header.length + payload.length + (module.length - end));
      result.set(module.subarray(0, pos), 0);
      result.set(header, pos);
      result.set(payload, pos + header.length);
      result.set(module.subarray(end), pos + header.length + payload.length);
      return result;
    }
    pos = end;
  }
  return module;
}
