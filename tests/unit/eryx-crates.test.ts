// link/eryx-crates.ts: pinned eryx 0.5.0 crates, checked by sha256 and
// unpacked from cargo's registry cache. Runs on a made-up cargo home with
// made-up .crate archives, so it needs neither the network nor cargo.

import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ERYX_05_CRATES, fetchEryxCrates, type PinnedCrate } from "../../link/eryx-crates.ts";

/** A cargo home whose registry cache holds `name-version.crate` (a .tar.gz with one top directory, as crates.io's). */
function fakeCargoHome(name: string, version: string, body: string): { home: string; sha256: string } {
  const home = mkdtempSync(join(tmpdir(), "eryx-crates-"));
  const src = join(home, "src", `${name}-${version}`);
  mkdirSync(join(src, "wit"), { recursive: true });
  writeFileSync(join(src, "Cargo.toml"), `[package]\nname = "${name}"\nversion = "${version}"\n`);
  writeFileSync(join(src, "wit", "runtime.wit"), body);
  const cache = join(home, "registry", "cache", "index.crates.io-0000000000000000");
  mkdirSync(cache, { recursive: true });
  const archive = join(cache, `${name}-${version}.crate`);
  execFileSync("tar", ["-czf", archive, "-C", join(home, "src"), `${name}-${version}`]);
  return { home, sha256: createHash("sha256").update(readFileSync(archive)).digest("hex") };
}

test("the pins name eryx and eryx-runtime 0.5.0 with a sha256 each", () => {
  assert.deepEqual(ERYX_05_CRATES.map((c) => `${c.name}@${c.version}`), ["eryx@0.5.0", "eryx-runtime@0.5.0"]);
  for (const c of ERYX_05_CRATES) assert.match(c.sha256, /^[0-9a-f]{64}$/, c.name);
});

test("a crate with the pinned sha256 is unpacked, and a second run only verifies", () => {
  const { home, sha256 } = fakeCargoHome("demo", "1.2.3", "package demo:x@0.1.0;\n");
  const cacheDir = join(home, "out");
  const crates: PinnedCrate[] = [{ name: "demo", version: "1.2.3", sha256 }];
  try {
    const first = fetchEryxCrates({ cacheDir, crates, cargoHome: home });
    assert.equal(first.dirs.demo, join(cacheDir, "demo-1.2.3"));
    assert.equal(readFileSync(join(first.dirs.demo, "wit", "runtime.wit"), "utf8"), "package demo:x@0.1.0;\n");
    // Without the archive, the unpacked copy with the right marker is enough (no cargo run).
    rmSync(join(home, "registry"), { recursive: true });
    const second = fetchEryxCrates({ cacheDir, crates, cargoHome: home });
    assert.deepEqual(second, first);
    assert.ok(!existsSync(`${first.dirs.demo}.partial`), "no half-unpacked directory is left");
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test("a crate whose sha256 differs from the pin is refused with both hashes named, and nothing is unpacked", () => {
  const { home, sha256 } = fakeCargoHome("demo", "1.2.3", "tampered\n");
  const cacheDir = join(home, "out");
  const pinned = "0".repeat(64);
  try {
    assert.throws(
      () => fetchEryxCrates({ cacheDir, crates: [{ name: "demo", version: "1.2.3", sha256: pinned }], cargoHome: home }),
      (e: Error) => e.message.includes(sha256) && e.message.includes(pinned) && e.message.startsWith("eryx-crates:"),
    );
    assert.ok(!existsSync(join(cacheDir, "demo-1.2.3")));
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
