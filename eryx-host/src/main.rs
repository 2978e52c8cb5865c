//! Command line over the published eryx 0.5.0 host crate: runs Python in a component loaded from a
//! file with the crate's own API, or writes the Rust runtime component the crate links itself.
//!
//!   eryx05-host run <component.wasm> <python-stdlib-dir> <code>
//!   eryx05-host link-rust-runtime <out.wasm>

use anyhow::{Context, Result, bail};
use std::path::PathBuf;

#[tokio::main]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [cmd, wasm, stdlib, code] if cmd == "run" => run(wasm.into(), stdlib.into(), code).await,
        [cmd, out] if cmd == "link-rust-runtime" => link_rust_runtime(out.into()),
        _ => bail!(
            "usage: eryx05-host run <component.wasm> <python-stdlib-dir> <code>\n       eryx05-host link-rust-runtime <out.wasm>"
        ),
    }
}

async fn run(wasm: PathBuf, stdlib: PathBuf, code: &str) -> Result<()> {
    let sandbox = eryx::Sandbox::builder()
        .with_wasm_file(&wasm)
        .with_python_stdlib(&stdlib)
        .build()
        .with_context(|| format!("building a sandbox from {}", wasm.display()))?;
    let out = sandbox.execute(code).await.context("execute")?;
    print!("{}", out.stdout);
    eprint!("{}", out.stderr);
    if let Some(r) = out.result {
        eprintln!("[result-json] {r}");
    }
    if let Some(e) = out.result_error {
        eprintln!("[result-error] {e}");
    }
    eprintln!("[duration] {:?}", out.stats.duration);
    Ok(())
}

/// The Rust runtime (eryx-runtime 0.5.0's prebuilt liberyx_runtime.so and the crate's libraries),
/// linked with no native extensions by the crate's own linker.
fn link_rust_runtime(out: PathBuf) -> Result<()> {
    let bytes = eryx_runtime::linker::link_with_extensions(&[])
        .map_err(|e| anyhow::anyhow!("linking the Rust runtime: {e}"))?;
    std::fs::write(&out, &bytes).with_context(|| format!("writing {}", out.display()))?;
    eprintln!("wrote {} ({} bytes)", out.display(), bytes.len());
    Ok(())
}
