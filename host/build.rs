//! Exposes the wasmtime version this host is built with as
//! `WASMTIME_VERSION`, for the compiled-component cache file names
//! (`src/cache.rs`). It is the exact pin in the workspace's Cargo.toml
//! (`[workspace.dependencies] wasmtime = { version = "=X.Y.Z", .. }`): the
//! lock holds a second wasmtime (eryx-host's), so it cannot say which is ours.

use std::fs;

fn main() {
    println!("cargo:rerun-if-changed=../Cargo.toml");
    let manifest = fs::read_to_string("../Cargo.toml").expect("reading ../Cargo.toml");
    let version = manifest
        .lines()
        .find_map(|line| line.strip_prefix("wasmtime = { version = \"="))
        .and_then(|rest| rest.split('"').next())
        .expect("no `wasmtime = { version = \"=X.Y.Z\"` pin in ../Cargo.toml");
    println!("cargo:rustc-env=WASMTIME_VERSION={version}");
}
