//! Command line over the published eryx 0.5.0 host crate: runs Python in a component loaded from a
//! file with the crate's own API, or writes the Rust runtime component the crate links itself.
//!
//!   eryx05-host run <component.wasm> <python-stdlib-dir> <code>
//!   eryx05-host link-rust-runtime <out.wasm> [--preinit <python-stdlib-dir>]
//!   eryx05-host precompile <component.wasm> <out.cwasm>
//!   eryx05-host --serve --runtime <component.wasm> --stdlib <dir> [--precompiled <file.cwasm>]
//!               [--site-packages <dir>]... [--net default|permissive] [--root-cert <cert.der>]...
//!               [--result-variable <name>] [--execution-timeout-secs <n>]
//!
//! `--serve` speaks the reference host's JSON-lines protocol (serve.rs), so the e2e suites run
//! through the eryx crate (tests/e2e/host.ts, ERYX_AS_E2E_HOST=eryx05).

// The reference host's standard callbacks, shared as source: host/ is built on wasmtime 40, this
// crate on the eryx crate's wasmtime 44, so host/ cannot be a dependency here (docs/eryx-0.5.md).
#[allow(dead_code)]
#[path = "../../host/src/callbacks.rs"]
mod callbacks;
#[path = "../../host/src/protocol.rs"]
mod protocol;
mod serve;

use anyhow::{bail, Context, Result};
use std::path::PathBuf;

#[tokio::main]
async fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().is_some_and(|a| a == "--serve") {
        return serve::serve(serve_options(&args[1..])?).await;
    }
    match args.as_slice() {
        [cmd, wasm, stdlib, code] if cmd == "run" => run(wasm.into(), stdlib.into(), code).await,
        [cmd, out] if cmd == "link-rust-runtime" => link_rust_runtime(out.into()),
        [cmd, out, flag, stdlib] if cmd == "link-rust-runtime" && flag == "--preinit" => {
            preinit_rust_runtime(out.into(), stdlib.into()).await
        }
        [cmd, wasm, out] if cmd == "precompile" => precompile(wasm.into(), out.into()),
        _ => bail!(
            "usage: eryx05-host run <component.wasm> <python-stdlib-dir> <code>\n       eryx05-host link-rust-runtime <out.wasm> [--preinit <python-stdlib-dir>]\n       eryx05-host precompile <component.wasm> <out.cwasm>"
        ),
    }
}

fn serve_options(args: &[String]) -> Result<serve::Options> {
    let mut options = serve::Options {
        runtime: PathBuf::from("dist/runtime-eryx-0.5.wasm"),
        precompiled: None,
        execution_timeout_secs: None,
        stdlib: PathBuf::from("dist/python-stdlib"),
        site_packages: Vec::new(),
        net: None,
        result_variable: None,
        root_certs: Vec::new(),
    };
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = || it.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--runtime" => options.runtime = value()?.into(),
            "--stdlib" => options.stdlib = value()?.into(),
            "--precompiled" => options.precompiled = Some(value()?.into()),
            "--execution-timeout-secs" => {
                let v = value()?;
                options.execution_timeout_secs = Some(
                    v.parse()
                        .with_context(|| format!("--execution-timeout-secs {v}"))?,
                );
            }
            "--site-packages" => options.site_packages.push(value()?.into()),
            "--net" => options.net = Some(value()?.clone()),
            "--result-variable" => options.result_variable = Some(value()?.clone()),
            "--root-cert" => {
                let path = value()?;
                options
                    .root_certs
                    .push(std::fs::read(path).with_context(|| format!("reading {path}"))?);
            }
            other => bail!("unknown --serve option {other}"),
        }
    }
    Ok(options)
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

/// The Rust runtime pre-initialised by the crate's own `pre_initialize` (it links the runtime
/// itself, as `link_rust_runtime` does, then snapshots Python's start-up with wasmtime-wizer).
async fn preinit_rust_runtime(out: PathBuf, stdlib: PathBuf) -> Result<()> {
    let bytes = eryx::preinit::pre_initialize(&stdlib, None, &[], &[])
        .await
        .map_err(|e| anyhow::anyhow!("pre-initialising the Rust runtime: {e}"))?;
    std::fs::write(&out, &bytes).with_context(|| format!("writing {}", out.display()))?;
    eprintln!("wrote {} ({} bytes)", out.display(), bytes.len());
    Ok(())
}

/// A component compiled by the crate's engine configuration, for `--serve --precompiled`: the
/// crate keeps no compiled-component cache without its `embedded` feature, so benchmarks fill
/// one with this.
fn precompile(wasm: PathBuf, out: PathBuf) -> Result<()> {
    let bytes = eryx::PythonExecutor::precompile_file(&wasm)
        .with_context(|| format!("compiling {}", wasm.display()))?;
    std::fs::write(&out, &bytes).with_context(|| format!("writing {}", out.display()))?;
    Ok(())
}
