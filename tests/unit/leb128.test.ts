// LEB128 and the other primitives of link/wasm/bytes.ts.

import { test } from "node:test";
import assert from "node:assert/strict";
import { Reader, Writer } from "../../link/wasm/bytes.ts";
import { fromHex, hex } from "./paths.ts";

const u32 = (v: number) => new Writer().u32(v).finish();
const sleb = (v: bigint | number) => new Writer().sleb(v).finish();

test("Writer.u32 produces the spec's encodings", () => {
  const cases: [number, string][] = [
    [0, "00"],
    [1, "01"],
    [127, "7f"],
    [128, "80 01"],
    [255, "ff 01"],
    [300, "ac 02"],
    [16383, "ff 7f"],
    [16384, "80 80 01"],
    [624485, "e5 8e 26"], // the example in the wasm spec / Wikipedia
    [0x7fffffff, "ff ff ff ff 07"],
    [0x80000000, "80 80 80 80 08"],
    [0xffffffff, "ff ff ff ff 0f"],
  ];
  for (const [value, expected] of cases) assert.equal(hex(u32(value)), expected, `u32(${value})`);
});

test("Reader.u32 round-trips edge values", () => {
  for (const v of [0, 1, 63, 64, 127, 128, 129, 255, 256, 16383, 16384, 624485, 2 ** 21, 2 ** 28 - 1, 2 ** 28, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff]) {
    const r = new Reader(u32(v));
    assert.equal(r.u32(), v, `u32 ${v}`);
    assert.ok(r.done, `u32 ${v} consumed exactly`);
  }
});

test("Reader.u32 accepts non-minimal (padded) encodings, as the spec allows", () => {
  assert.equal(new Reader(fromHex("80 00")).u32(), 0);
  assert.equal(new Reader(fromHex("ff 80 80 80 00")).u32(), 127);
});

test("Writer.u32 rejects what is not a u32", () => {
  for (const bad of [-1, 2 ** 32, 1.5, Number.NaN, Infinity]) {
    assert.throws(() => new Writer().u32(bad), /not a u32/, String(bad));
  }
});

test("Reader.u32 rejects an over-long encoding and a truncated one", () => {
  assert.throws(() => new Reader(fromHex("80 80 80 80 80 80 80 01")).u32(), /too long/);
  assert.throws(() => new Reader(fromHex("80 80")).u32(), /unexpected end/);
  assert.throws(() => new Reader(new Uint8Array(0)).u32(), /unexpected end/);
});

test("Writer.sleb produces the spec's encodings", () => {
  const cases: [bigint | number, string][] = [
    [0, "00"],
    [1, "01"],
    [-1, "7f"],
    [63, "3f"],
    [64, "c0 00"],
    [-64, "40"],
    [-65, "bf 7f"],
    [127, "ff 00"],
    [-128, "80 7f"],
    [-123456, "c0 bb 78"], // the signed example of the wasm spec / Wikipedia
    [2147483647, "ff ff ff ff 07"],
    [-2147483648, "80 80 80 80 78"],
    [9223372036854775807n, "ff ff ff ff ff ff ff ff ff 00"],
    [-9223372036854775808n, "80 80 80 80 80 80 80 80 80 7f"],
  ];
  for (const [value, expected] of cases) assert.equal(hex(sleb(value)), expected, `sleb(${value})`);
});

test("Reader.sleb round-trips i32 and i64 edge values as bigints", () => {
  const values = [
    0n, 1n, -1n, 63n, 64n, -64n, -65n, 127n, 128n, -128n, -129n, 8191n, 8192n, -8192n, -8193n, -123456n,
    2147483647n, -2147483648n, 2147483648n, -2147483649n, 4294967295n,
    2n ** 53n, -(2n ** 53n) - 1n, 0x0123456789abcdefn, 9223372036854775807n, -9223372036854775808n,
  ];
  for (const v of values) {
    const r = new Reader(sleb(v));
    assert.equal(r.sleb(), v, `sleb ${v}`);
    assert.ok(r.done, `sleb ${v} consumed exactly`);
  }
});

test("Reader.s32 reads i32 immediates, including the extremes", () => {
  for (const v of [0, 1, -1, -64, -65, 64, 1000000, -1000000, 2147483647, -2147483648]) {
    assert.equal(new Reader(sleb(v)).s32(), v, `s32 ${v}`);
  }
  // A 32-bit pattern written unsigned reads back as its two's-complement i32.
  assert.equal(new Reader(sleb(0xffffffff)).s32(), -1);
  assert.equal(new Reader(sleb(0x80000000)).s32(), -2147483648);
});

test("Writer.sleb accepts numbers and bigints alike", () => {
  assert.deepEqual(sleb(-65), sleb(-65n));
  assert.deepEqual(sleb(2 ** 40), sleb(2n ** 40n));
});

test("values follow each other in one stream", () => {
  const bytes = new Writer().u32(624485).sleb(-123456).u8(0xab).name("héllo ✓").u32(0).sleb(-1).finish();
  const r = new Reader(bytes);
  assert.equal(r.u32(), 624485);
  assert.equal(r.sleb(), -123456n);
  assert.equal(r.u8(), 0xab);
  assert.equal(r.name(), "héllo ✓");
  assert.equal(r.u32(), 0);
  assert.equal(r.s32(), -1);
  assert.ok(r.done);
  assert.throws(() => r.u8(), /unexpected end/);
});

test("names are length-prefixed UTF-8 and must be valid UTF-8", () => {
  const bytes = new Writer().name("π").finish();
  assert.equal(hex(bytes), "02 cf 80");
  assert.throws(() => new Reader(fromHex("02 c3 28")).name());
});

test("Reader honours its start and end", () => {
  const bytes = fromHex("ff 05 06 07 ff");
  const r = new Reader(bytes, 1, 4);
  assert.equal(r.u8(), 5);
  assert.deepEqual(Array.from(r.take(2)), [6, 7]);
  assert.ok(r.done);
  assert.throws(() => r.u8(), /unexpected end/);
  assert.throws(() => new Reader(bytes, 1, 4).take(4), /unexpected end/);
});

test("Writer.sized prefixes the byte length", () => {
  const inner = new Writer().u32(624485).bytes([1, 2]);
  const out = new Writer().u8(9).sized(inner).finish();
  assert.equal(hex(out), "09 05 e5 8e 26 01 02");
  assert.equal(hex(new Writer().sized(new Uint8Array(200)).finish().subarray(0, 2)), "c8 01");
  assert.equal(new Writer().u32(128).u8(1).length, 3);
});
