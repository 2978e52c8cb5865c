// The fuzz harness's inputs must be bounded (tests/fuzz/corpus.ts): an input
// may fail, but never run into the host's 30 s timeout, which would end the
// session. Mutations of every corpus snippet, over many seeds.

import { test } from "node:test";
import assert from "node:assert/strict";
import { HOSTILE, mutate, ORDINARY } from "../fuzz/corpus.ts";
import { Rng } from "../fuzz/rng.ts";

const all = [...ORDINARY, ...HOSTILE];

test("fuzz mutations never make a tower of powers or an exponent over a million", () => {
  for (let seed = 1; seed <= 20_000; seed++) {
    const rng = new Rng(seed);
    const code = rng.pick(all);
    const out = mutate(rng, code, rng.pick(all));
    assert.doesNotMatch(out, /\*\*\s*\d+\s*\*\*/, `seed ${seed}: ${JSON.stringify(code)} → ${JSON.stringify(out)}`);
    for (const [power] of out.matchAll(/\*\*\s*\d{7,}/g)) {
      assert.ok(code.includes(power), `seed ${seed}: ${JSON.stringify(code)} → ${JSON.stringify(out)}`);
    }
  }
});

test("fuzz mutations keep the two inputs that ran into the timeout bounded", () => {
  // Full runs with seed 20261203 made `sys.setrecursionlimit(-2**63**63)` and `permutations('abc', 10**4000**4000)`.
  for (const code of ["import sys\nsys.setrecursionlimit(50)\nimport json\nprint(json.dumps([[[1]]]))", "import itertools\nprint(list(itertools.permutations('abc', 2))[:4])"]) {
    for (let seed = 1; seed <= 20_000; seed++) {
      const out = mutate(new Rng(seed), code, code);
      assert.doesNotMatch(out, /\*\*\s*\d+\s*\*\*/, `seed ${seed}: ${JSON.stringify(out)}`);
    }
  }
});
