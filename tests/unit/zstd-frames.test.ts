// link/zstd-frames.ts against frames made by the real zstd CLI.

import { test } from "node:test";
import assert from "node:assert/strict";
import { type SpawnSyncReturns, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeEmbeddedFrames, frameLength } from "../../link/zstd-frames.ts";

const ZSTD = "zstd";
const MAGIC = [0x28, 0xb5, 0x2f, 0xfd];

/** Compresses `input` with the zstd CLI (from stdin unless `fromFile`, which records the content size). */
function zstd(input: Uint8Array, args: string[] = [], fromFile = false): Uint8Array {
  let r: SpawnSyncReturns<Buffer>;
  if (fromFile) {
    const dir = mkdtempSync(join(tmpdir(), "eryx-zstd-"));
    try {
      const file = join(dir, "input");
      writeFileSync(file, input);
      r = spawnSync(ZSTD, ["-q", "-c", ...args, file]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  } else {
    r = spawnSync(ZSTD, ["-q", "-c", ...args], { input });
  }
  if (r.status !== 0) throw new Error(`zstd ${args.join(" ")} failed: ${r.stderr}`);
  return new Uint8Array(r.stdout);
}

/** Random bytes that contain no zstd magic number. */
function noise(length: number): Uint8Array {
  const bytes = new Uint8Array(randomBytes(length));
  for (let i = 0; i + 4 <= bytes.length; i++) {
    if (MAGIC.every((m, k) => bytes[i + k] === m)) bytes[i] = 0x29;
  }
  return bytes;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

const text = new TextEncoder().encode("The quick brown fox jumps over the lazy dog. ".repeat(300));
const inputs: { name: string; data: Uint8Array; args: string[]; fromFile?: boolean }[] = [
  { name: "text, with checksum (zstd's default)", data: text, args: ["--check"] },
  { name: "text, --no-check", data: text, args: ["--no-check"] },
  { name: "text from a file (content size recorded), level 19", data: text, args: ["-19", "--check"], fromFile: true },
  { name: "incompressible bytes (raw blocks)", data: new Uint8Array(randomBytes(5000)), args: ["--no-check"] },
  { name: "one repeated byte (RLE block)", data: new Uint8Array(200_000).fill(0x61), args: ["--check"], fromFile: true },
  { name: "more than one 128 KiB block", data: concat(new Uint8Array(randomBytes(150_000)), text), args: ["--no-check"] },
  { name: "empty input", data: new Uint8Array(0), args: ["--check"] },
  { name: "empty input from a file, --no-check", data: new Uint8Array(0), args: ["--no-check"], fromFile: true },
];
const frames = inputs.map((i) => ({ ...i, frame: zstd(i.data, i.args, i.fromFile) }));

/** Block types of a frame (0 raw, 1 RLE, 2 compressed), read independently of frameLength. */
function blockTypes(f: Uint8Array): number[] {
  const d = f[4];
  const single = (d >> 5) & 1;
  let p = 5 + (single ? 0 : 1) + [0, 1, 2, 4][d & 3] + [single, 2, 4, 8][d >> 6];
  const types: number[] = [];
  for (;;) {
    const h = f[p] | (f[p + 1] << 8) | (f[p + 2] << 16);
    p += 3;
    const type = (h >> 1) & 3;
    types.push(type);
    p += type === 1 ? 1 : h >>> 3;
    if (h & 1) return types;
  }
}

test("the zstd CLI frames cover the header variants and block types", () => {
  const types = new Set(frames.flatMap((f) => blockTypes(f.frame)));
  assert.deepEqual([...types].sort(), [0, 1, 2], "raw, RLE and compressed blocks");
  assert.ok(frames.some((f) => blockTypes(f.frame).length > 1), "a frame of several blocks");
  const descriptor = (f: Uint8Array) => f[4];
  const has = (pred: (d: number) => boolean) => frames.some((f) => pred(descriptor(f.frame)));
  assert.ok(has((d) => (d & 4) !== 0), "a frame with a checksum");
  assert.ok(has((d) => (d & 4) === 0), "a frame without one");
  assert.ok(has((d) => (d & 0x20) !== 0), "a single-segment frame");
  assert.ok(has((d) => (d & 0x20) === 0), "a frame with a window descriptor");
  assert.ok(has((d) => d >> 6 !== 0), "a frame with a multi-byte content size");
});

for (const f of frames) {
  test(`frameLength measures a zstd frame: ${f.name}`, () => {
    assert.equal(frameLength(f.frame, 0), f.frame.length);
    const prefix = noise(37);
    const embedded = concat(prefix, f.frame, noise(101));
    assert.equal(frameLength(embedded, prefix.length), f.frame.length);
  });
}

test("frameLength returns null for a truncated frame", () => {
  for (const f of frames) {
    for (const cut of [5, 6, f.frame.length - 1]) {
      if (cut >= f.frame.length) continue;
      assert.equal(frameLength(f.frame.subarray(0, cut), 0), null, `${f.name} cut at ${cut}`);
    }
  }
});

test("frameLength returns null for a reserved descriptor bit or a reserved block type", () => {
  assert.equal(frameLength(Uint8Array.of(...MAGIC, 0x08, 0, 0, 0, 0, 0, 0), 0), null);
  // single segment, 1-byte content size, then a block header of type 3 (reserved)
  assert.equal(frameLength(Uint8Array.of(...MAGIC, 0x20, 0x05, 0x07, 0x00, 0x00, 0, 0, 0, 0, 0), 0), null);
});

test("decodeEmbeddedFrames finds every frame between random bytes and skips a fake magic number", () => {
  const withChecksum = frames[0];
  const noCheck = frames[3];
  const rle = frames[4];
  // Fake frames: the magic, then a descriptor with its reserved bit set; the magic, a
  // plausible header and a 4-byte compressed block of garbage (measurable, not decodable).
  const fakeReserved = Uint8Array.of(...MAGIC, 0x08, 0x00, 0x00, 0x00);
  const fake = Uint8Array.of(...MAGIC, 0x20, 0x10, 0x25, 0x00, 0x00, 0xde, 0xad, 0xbe, 0xef);
  assert.equal(frameLength(fake, 0), fake.length, "the fake is measured as a frame");
  const parts = [noise(64), withChecksum.frame, fakeReserved, fake, noise(200), noCheck.frame, rle.frame, noise(7)];
  const blob = concat(...parts);
  const offsets: number[] = [];
  let at = 0;
  for (const p of parts) { offsets.push(at); at += p.length; }

  const found = [...decodeEmbeddedFrames(blob)];
  assert.deepEqual(found.map((f) => f.offset), [offsets[1], offsets[5], offsets[6]]);
  assert.deepEqual(found[0].data, withChecksum.data);
  assert.deepEqual(found[1].data, noCheck.data);
  assert.deepEqual(found[2].data, rle.data);
});

test("decodeEmbeddedFrames finds nothing in random bytes or at the very end", () => {
  assert.deepEqual([...decodeEmbeddedFrames(noise(4096))], []);
  assert.deepEqual([...decodeEmbeddedFrames(Uint8Array.of(1, 2, ...MAGIC))], []);
  assert.deepEqual([...decodeEmbeddedFrames(new Uint8Array(0))], []);
});
