// link/wasm-tools/: the wasm-tools 1.243.0 commands the link runs. Its output
// is wasm-tools 1.243.0's only while it calls the same library crates at the
// same versions, so the lock must hold exactly those; and each command the
// link and the tests use must work end to end.

import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { WASM_TOOLS_VERSION } from "../../link/tools.ts";
import { BUILD, ROOT, WASM_TOOLS } from "./paths.ts";

/** The library crates behind wit-dylib, component link/embed/new/wit, validate and print in wasm-tools 1.243.0. */
const LIBRARIES = ["wit-component", "wit-dylib", "wit-parser", "wasmparser", "wasm-encoder", "wasm-metadata", "wasmprinter"];

test("the lock builds link/wasm-tools/ on the 0.243.0 library crates of wasm-tools 1.243.0", () => {
  assert.equal(WASM_TOOLS_VERSION, "1.243.0");
  const lock = readFileSync(join(ROOT, "Cargo.lock"), "utf8");
  const entry = /\[\[package\]\]\nname = "eryx-as-wasm-tools"\n[^[]*dependencies = \[\n([^\]]*)\]/.exec(lock);
  assert.ok(entry, "Cargo.lock has the eryx-as-wasm-tools package");
  const deps = entry[1].split("\n").map((l) => l.trim().replace(/[",]/g, "")).filter(Boolean);
  for (const name of ["wit-component", "wit-dylib", "wit-parser", "wasmparser", "wasmprinter"]) {
    const dep = deps.find((d) => d === name || d.startsWith(`${name} `));
    assert.ok(dep, `${name} is a dependency`);
    // A bare name means the lock has that crate at one version only.
    const versions = [...lock.matchAll(new RegExp(`name = "${name}"\\nversion = "([^"]+)"`, "g"))].map((m) => m[1]);
    assert.equal(dep === name ? versions[0] : dep.split(" ")[1], "0.243.0", `${name} ${dep}`);
  }
  // What wit-component itself builds on, at the versions wasm-tools 1.243.0 pairs with it.
  const witComponent = /\[\[package\]\]\nname = "wit-component"\nversion = "0\.243\.0"\n[^[]*dependencies = \[\n([^\]]*)\]/.exec(lock);
  assert.ok(witComponent, "Cargo.lock has wit-component 0.243.0");
  for (const name of LIBRARIES.filter((n) => n !== "wit-component" && n !== "wit-dylib" && n !== "wasmprinter")) {
    assert.match(witComponent[1], new RegExp(`"${name}( 0\\.243\\.0)?"`), `wit-component 0.243.0 uses ${name} 0.243.0`);
  }
  assert.match(execFileSync(WASM_TOOLS, ["--version"], { encoding: "utf8" }), /^wasm-tools 1\.243\.0 /);
});

test("text → module → embedded world → component → its WIT, validated, printed", () => {
  const dir = join(BUILD, "wasm-tools-unit");
  mkdirSync(dir, { recursive: true });
  const wit = join(dir, "w.wit");
  execFileSync("sh", ["-c", `printf '%s\\n' 'package t:w;' 'world w { export f: func(a: u32) -> u32; }' > ${wit}`]);
  const core = join(dir, "core.wasm");
  execFileSync(WASM_TOOLS, ["parse", "-", "-o", core], {
    input: '(module (memory (export "memory") 1) (func (export "f") (param i32) (result i32) local.get 0))',
  });
  execFileSync(WASM_TOOLS, ["validate", core]);
  const embedded = join(dir, "embedded.wasm");
  execFileSync(WASM_TOOLS, ["component", "embed", wit, "--world", "w", core, "-o", embedded]);
  const component = join(dir, "component.wasm");
  execFileSync(WASM_TOOLS, ["component", "new", embedded, "-o", component]);
  assert.match(execFileSync(WASM_TOOLS, ["component", "wit", component], { encoding: "utf8" }), /export f: func\(a: u32\) -> u32;/);
  assert.match(execFileSync(WASM_TOOLS, ["print", "--skeleton", core], { encoding: "utf8" }), /\(export "f" \(func 0\)\)/);
});

test("a bad input or an unknown option is an error naming it, with a failing exit", () => {
  const bad = spawnSync(WASM_TOOLS, ["validate", join(ROOT, "package.json")], { encoding: "utf8" });
  assert.equal(bad.status, 1);
  assert.match(bad.stderr, /package\.json is not valid: magic header not detected/);
  const unknown = spawnSync(WASM_TOOLS, ["component", "link", "--frobnicate", "-o", "/dev/null"], { encoding: "utf8" });
  assert.equal(unknown.status, 1);
  assert.match(unknown.stderr, /unsupported option --frobnicate/);
});
