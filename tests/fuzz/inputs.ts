// One fuzz input: what the harness sends to the session next. Each input is
// made from its own generator, seeded by (run seed, input number), so input
// i is the same whatever came before it (`--only i` replays it alone).

import { generate, HOSTILE, mutate, ORDINARY } from "./corpus.ts";
import { Rng } from "./rng.ts";

export type Input =
  | { op: "execute"; code: string; origin: string }
  | { op: "restore"; hex: string; origin: string }
  | { op: "snapshot"; origin: string }
  | { op: "clear"; origin: string };

const SNAPSHOT_MAGIC = [0x45, 0x52, 0x59, 0x58, 0x41, 0x53, 0x01]; // b"ERYXAS\x01" (SNAPSHOT_MAGIC in python/eryx_glue/state.py)

/** Pickles (protocol 0 text) that run a callable while being loaded. */
const CRAFTED_PICKLES = [
  "cposix\n_exit\n(I3\ntR.",
  "cos\nabort\n(tR.",
  "csignal\nraise_signal\n(I15\ntR.",
  "cfaulthandler\n_sigsegv\n(tR.",
  "cbuiltins\nexec\n(Vimport os; os._exit(4)\ntR.",
  "cbuiltins\nexec\n(Vraise SystemExit(5)\ntR.",
  "cbuiltins\neval\n(V'(' * 100000\ntR.",
  "(dp0\nVx\np1\nI1\ns.",
  "(dp0\nVdeep\np1\n" + "(l".repeat(50000) + "a".repeat(49999) + "s.",
];

function hex(bytes: ArrayLike<number>): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** A snapshot with a valid header around `payload`, so it gets past the checksum to the unpickler. */
export function withHeader(payload: Uint8Array): string {
  const crc = crc32(payload);
  return hex([...SNAPSHOT_MAGIC, crc & 0xff, (crc >>> 8) & 0xff, (crc >>> 16) & 0xff, crc >>> 24, ...payload]);
}

function restoreInput(rng: Rng, lastSnapshot: Uint8Array | null): Input {
  const choice = rng.below(lastSnapshot ? 4 : 3);
  if (choice === 0) return { op: "restore", hex: hex(rng.bytes(rng.below(200))), origin: "random bytes" };
  if (choice === 1) {
    const payload = new TextEncoder().encode(rng.pick(CRAFTED_PICKLES));
    return { op: "restore", hex: withHeader(payload), origin: "crafted pickle" };
  }
  if (choice === 2) return { op: "restore", hex: withHeader(rng.bytes(rng.below(300))), origin: "random payload, valid header" };
  const payload = lastSnapshot!.slice(11);
  for (let n = rng.between(1, 4); n > 0 && payload.length; n--) payload[rng.below(payload.length)] = rng.below(256);
  const cut = rng.chance(0.3) ? rng.below(payload.length + 1) : payload.length;
  return { op: "restore", hex: withHeader(payload.slice(0, cut)), origin: "mutated snapshot, valid header" };
}

function callbackInput(rng: Rng): Input {
  const kind = rng.pick(["json", "deep", "huge", "text", "surrogate", "empty", "fail", "slow", "nope"]);
  const size = kind === "huge" ? rng.below(8 * 1024 * 1024) : kind === "deep" ? rng.below(200000) : rng.below(300);
  const call = `fuzz(kind='${kind}', seed=${rng.below(1 << 30)}, size=${size})`;
  const shapes = [
    `r = await ${call}\nprint(repr(r)[:200])`,
    `import asyncio\nrs = await asyncio.gather(${call}, ${call}, return_exceptions=True)\nprint(len(rs))`,
    `try:\n    print(str(await ${call})[:100])\nexcept Exception as e:\n    print(type(e).__name__)`,
    `import asyncio\nt = asyncio.create_task(${call})\nawait asyncio.sleep(0)\nt.cancel()\nprint('cancelled')`,
    `await invoke('fuzz', kind='${kind}', size=${size}, extra=${rng.pick(["None", "[1]", "'x' * 1000", "float('inf')"])})`,
  ];
  return { op: "execute", code: rng.pick(shapes), origin: `callback ${kind}` };
}

/** Lone surrogates cannot cross the JSON-lines protocol (the host refuses the line): U+FFFD instead. */
function wellFormed(s: string): string {
  return s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, "\ufffd");
}

/** Input number `index` of the run seeded `seed`. */
export function makeInput(seed: number, index: number, lastSnapshot: Uint8Array | null): Input {
  const rng = new Rng((Math.imul(seed, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0);
  const all = [...ORDINARY, ...HOSTILE];
  const kind = rng.weighted([
    [20, "ordinary"], [15, "hostile"], [20, "mutated"], [15, "grammar"], [12, "callback"],
    [8, "restore"], [5, "snapshot"], [5, "clear"],
  ] as const);
  switch (kind) {
    case "ordinary": return { op: "execute", code: rng.pick(ORDINARY), origin: kind };
    case "hostile": return { op: "execute", code: rng.pick(HOSTILE), origin: kind };
    case "mutated": return { op: "execute", code: wellFormed(mutate(rng, rng.pick(all), rng.pick(all))), origin: kind };
    case "grammar": return { op: "execute", code: generate(rng), origin: kind };
    case "callback": return callbackInput(rng);
    case "restore": return restoreInput(rng, lastSnapshot);
    default: return { op: kind, origin: kind };
  }
}
