// Byte-level reading and writing of the WebAssembly binary format: LEB128
// integers, names and vectors. Everything else in link/wasm builds on these.

export class Reader {
  pos: number;
  constructor(readonly bytes: Uint8Array, start = 0, readonly end = bytes.length) {
    if (end > bytes.length || start > end) throw new Error(`unexpected end of wasm data: range [${start}, ${end}) exceeds its ${bytes.length} bytes`);
    this.pos = start;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  u8(): number {
    if (this.pos >= this.end) throw new Error(`unexpected end of wasm data at byte ${this.pos}`);
    return this.bytes[this.pos++];
  }

  /** Unsigned LEB128, up to 32 bits (returned as a non-negative number). */
  u32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const byte = this.u8();
      result += (byte & 0x7f) * 2 ** shift;
      if (!(byte & 0x80)) break;
      shift += 7;
      if (shift > 35) throw new Error(`u32 LEB128 too long at byte ${this.pos}`);
    }
    return result;
  }

  /** Signed LEB128 of up to 64 bits, as a bigint (covers i32 and i64 immediates). */
  sleb(): bigint {
    let result = 0n;
    let shift = 0n;
    let byte: number;
    do {
      byte = this.u8();
      result |= BigInt(byte & 0x7f) << shift;
      shift += 7n;
    } while (byte & 0x80);
    if (byte & 0x40) result -= 1n << shift;
    return result;
  }

  s32(): number {
    return Number(BigInt.asIntN(32, this.sleb()));
  }

  take(length: number): Uint8Array {
    if (this.pos + length > this.end) throw new Error(`unexpected end of wasm data at byte ${this.pos}`);
    const out = this.bytes.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }

  name(): string {
    return new TextDecoder("utf-8", { fatal: true }).decode(this.take(this.u32()));
  }
}

export class Writer {
  private chunks: number[] = [];

  u8(byte: number): this {
    this.chunks.push(byte & 0xff);
    return this;
  }

  u32(value: number): this {
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new Error(`not a u32: ${value}`);
    do {
      let byte = value % 128;
      value = Math.floor(value / 128);
      if (value) byte |= 0x80;
      this.chunks.push(byte);
    } while (value);
    return this;
  }

  sleb(value: bigint | number): this {
    let v = BigInt(value);
    for (;;) {
      const byte = Number(v & 0x7fn);
      v >>= 7n;
      const signBit = byte & 0x40;
      if ((v === 0n && !signBit) || (v === -1n && signBit)) {
        this.chunks.push(byte);
        return this;
      }
      this.chunks.push(byte | 0x80);
    }
  }

  bytes(data: ArrayLike<number>): this {
    for (let i = 0; i < data.length; i++) this.chunks.push(data[i]);
    return this;
  }

  name(text: string): this {
    const encoded = new TextEncoder().encode(text);
    return this.u32(encoded.length).bytes(encoded);
  }

  /** Writes `inner` prefixed by its byte length (sections, subsections, function bodies). */
  sized(inner: Writer | Uint8Array): this {
    const data = inner instanceof Writer ? inner.finish() : inner;
    return this.u32(data.length).bytes(data);
  }

  get length(): number {
    return this.chunks.length;
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.chunks);
  }
}
