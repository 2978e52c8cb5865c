//! Exposes the wasmtime version from the workspace's Cargo.lock as
//! `WASMTIME_VERSION`, for the compiled-component cache file names
//! (`src/cache.rs`).

use std::fs;

fn main() {
    println!("cargo:rerun-if-changed=../Cargo.lock");
    let lock = fs::read_to_string("../Cargo.lock").expect("reading ../Cargo.lock");
    let mut lines = lock.lines();
    let mut version = None;
    while let Some(line) = lines.next() {
        if line == "name = \"wasmtime\"" {
            version = lines
                .next()
                .and_then(|l| l.strip_prefix("version = \""))
                .and_then(|v| v.strip_suffix('"'));
            break;
        }
    }
    let version = version.expect("no wasmtime package in Cargo.lock");
    println!("cargo:rustc-env=WASMTIME_VERSION={version}");
}
