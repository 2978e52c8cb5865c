// Stage: the published eryx 0.5.0 crates (crates.io), for the eryx 0.5 world
// (docs/eryx-0.5.md): the `eryx` host crate, whose tests/ we run against our
// component, and `eryx-runtime`, whose prebuilt Rust runtime we race. Cargo
// downloads them (the registry's own client, which also checks the index's
// checksum); we check each .crate against the sha256 pinned here and unpack it
// into our cache, so nothing reads the shared registry sources that build
// scripts may write into. A second run only verifies.

import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { StageError } from "./log.ts";

export interface PinnedCrate {
  name: string;
  version: string;
  /** sha256 of the .crate archive (the checksum crates.io's index and Cargo.lock record). */
  sha256: string;
}

/** eryx 0.5.0 is the newest eryx whose rust-version (1.92) our rustc builds; the two crates release together. */
export const ERYX_05_CRATES: readonly PinnedCrate[] = [
  { name: "eryx", version: "0.5.0", sha256: "b3256adcd68b018d035d9d64949cc68537d70e9d87a7a529d731578fa0360c0a" },
  { name: "eryx-runtime", version: "0.5.0", sha256: "48c184818559c5a2d592441d3107e73806c87c3c2657c3d96491dbf71631bc36" },
];

export interface FetchedCrates {
  /** Crate name → the directory holding its unpacked package (Cargo.toml, src/, tests/, wit/ ...). */
  dirs: Record<string, string>;
}

function sha256Hex(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** Where cargo keeps downloaded .crate archives (one directory per registry). */
function cargoCrateCaches(cargoHome: string): string[] {
  const cache = join(cargoHome, "registry", "cache");
  return existsSync(cache) ? readdirSync(cache).map((d) => join(cache, d)) : [];
}

function findCrateArchive(cargoHome: string, c: PinnedCrate): string | null {
  for (const dir of cargoCrateCaches(cargoHome)) {
    const file = join(dir, `${c.name}-${c.version}.crate`);
    if (existsSync(file)) return file;
  }
  return null;
}

/** Lets cargo download the crates (and only resolve, never build) through a throw-away manifest. */
function cargoFetch(workDir: string, crates: readonly PinnedCrate[]): void {
  mkdirSync(join(workDir, "src"), { recursive: true });
  const deps = crates.map((c) => `${JSON.stringify(c.name)} = "=${c.version}"`).join("\n");
  writeFileSync(join(workDir, "Cargo.toml"), `[package]\nname = "eryx-crates-fetch"\nversion = "0.0.0"\nedition = "2021"\npublish = false\n\n[dependencies]\n${deps}\n\n[workspace]\n`);
  writeFileSync(join(workDir, "src", "lib.rs"), "");
  try {
    execFileSync("cargo", ["fetch", "--manifest-path", join(workDir, "Cargo.toml")], { stdio: ["ignore", "ignore", "pipe"] });
  } catch (e) {
    const err = e as { code?: string; stderr?: Buffer };
    if (err.code === "ENOENT") throw new StageError("eryx-crates", "cargo is not installed: install Rust (rustup, stable) and try again");
    throw new StageError("eryx-crates", `cargo fetch of ${crates.map((c) => `${c.name}@${c.version}`).join(", ")} failed: ${err.stderr?.toString() ?? e}`);
  }
}

/**
 * Makes sure `cacheDir/<name>-<version>/` holds each pinned crate's package,
 * unpacked from a .crate whose sha256 matches the pin. `cargoHome` is where
 * cargo keeps its registry cache (default $CARGO_HOME or ~/.cargo).
 */
export function fetchEryxCrates(opts: { cacheDir: string; crates?: readonly PinnedCrate[]; cargoHome?: string }): FetchedCrates {
  const crates = opts.crates ?? ERYX_05_CRATES;
  const cargoHome = opts.cargoHome ?? process.env.CARGO_HOME ?? join(homedir(), ".cargo");
  mkdirSync(opts.cacheDir, { recursive: true });
  const dirs: Record<string, string> = {};
  const unpacked = (c: PinnedCrate) => join(opts.cacheDir, `${c.name}-${c.version}`);
  const marker = (c: PinnedCrate) => join(unpacked(c), ".eryx-as-crate-sha256");
  const fresh = (c: PinnedCrate) => existsSync(marker(c)) && readFileSync(marker(c), "utf8").trim() === c.sha256;

  const missing = crates.filter((c) => !fresh(c) && !findCrateArchive(cargoHome, c));
  if (missing.length) cargoFetch(join(opts.cacheDir, "fetch"), missing);

  for (const c of crates) {
    dirs[c.name] = unpacked(c);
    if (fresh(c)) continue;
    const archive = findCrateArchive(cargoHome, c);
    if (!archive) throw new StageError("eryx-crates", `cargo fetch succeeded but ${c.name}-${c.version}.crate is not under ${join(cargoHome, "registry", "cache")}`);
    const digest = sha256Hex(readFileSync(archive));
    if (digest !== c.sha256) {
      throw new StageError("eryx-crates", `${archive} has sha256 ${digest}, expected ${c.sha256} (pinned in link/eryx-crates.ts); delete it and run again`);
    }
    // Unpack beside the target and rename, so an interrupted run leaves no half package.
    const partial = `${unpacked(c)}.partial`;
    rmSync(partial, { recursive: true, force: true });
    mkdirSync(partial, { recursive: true });
    execFileSync("tar", ["-xzf", archive, "-C", partial, "--strip-components=1"]);
    if (!existsSync(join(partial, "Cargo.toml"))) throw new StageError("eryx-crates", `${archive} holds no Cargo.toml at its top`);
    writeFileSync(join(partial, ".eryx-as-crate-sha256"), c.sha256 + "\n");
    rmSync(unpacked(c), { recursive: true, force: true });
    renameSync(partial, unpacked(c));
  }
  return { dirs };
}
