// Finds zstd frames embedded in a binary (componentize-py compresses each
// WASI artefact into its native module) and decodes them. Offsets are never
// assumed: we scan for the magic number, measure each candidate frame from
// its headers, and keep only those that decode.

import { decompress } from "fzstd";

const MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

/**
 * Length of the zstd frame starting at `start`, read from the frame and block
 * headers (RFC 8878 §3.1.1), or null if the bytes there are not a frame.
 * fzstd rejects trailing bytes, so it must be handed the exact frame.
 */
export function frameLength(b: Uint8Array, start: number): number | null {
  let p = start + 4;
  if (p >= b.length) return null;
  const descriptor = b[p++];
  const contentSizeFlag = descriptor >> 6;
  const singleSegment = (descriptor >> 5) & 1;
  const reserved = (descriptor >> 3) & 1;
  const hasChecksum = (descriptor >> 2) & 1;
  const dictIdFlag = descriptor & 3;
  if (reserved) return null;
  if (!singleSegment) p++; // window descriptor
  p += [0, 1, 2, 4][dictIdFlag];
  p += [singleSegment ? 1 : 0, 2, 4, 8][contentSizeFlag];
  for (;;) {
    if (p + 3 > b.length) return null;
    const header = b[p] | (b[p + 1] << 8) | (b[p + 2] << 16);
    p += 3;
    const last = header & 1;
    const type = (header >> 1) & 3;
    const size = header >>> 3;
    if (type === 3) return null; // reserved block type
    p += type === 1 ? 1 : size; // RLE blocks carry one byte
    if (last) break;
  }
  if (hasChecksum) p += 4;
  return p <= b.length ? p - start : null;
}

export interface Frame { offset: number; data: Uint8Array }

export function* decodeEmbeddedFrames(binary: Uint8Array): Generator<Frame> {
  for (let i = 0; i + 4 <= binary.length; i++) {
    if (binary[i] !== MAGIC[0] || binary[i + 1] !== MAGIC[1] || binary[i + 2] !== MAGIC[2] || binary[i + 3] !== MAGIC[3]) continue;
    const length = frameLength(binary, i);
    if (length === null) continue;
    let data: Uint8Array;
    try {
      data = decompress(binary.subarray(i, i + length));
    } catch {
      continue; // the magic number occurred by chance
    }
    yield { offset: i, data };
    i += length - 1;
  }
}
