//! `eryx-as-preinit`: pre-initialise an eryx-as runtime component.
//!
//! Follows eryx's `pre_initialize` protocol (docs/contract.md §10): the
//! component is instrumented by `component-init-transform`,
//! instantiated on wasmtime 40 with stub world imports (invoke → Err,
//! list-callbacks → [], report-trace → no-op) and WASI env
//! `PYTHONHOME=/python-stdlib`, `PYTHONPATH=/python-stdlib[:/site-packages-<i>…]`
//! with the stdlib preopened at `/python-stdlib` (Python initialises during
//! instantiation); if modules were requested, `execute("import a\nimport b…")`
//! runs once (Err → failure); then `finalize-preinit` forgets the WASI
//! handles, and the transform snapshots memory and mutable globals into a new
//! component whose memory already holds the initialised interpreter.
//!
//! Either world: a component that imports `report-output` is of the eryx 0.5
//! world (`eryx05.rs`: its stubs and exports), any other of the 0.1.0 world.
//!
//! ```text
//! eryx-as-preinit --input dist/runtime.wasm --output dist/runtime-preinit.wasm \
//!     --stdlib dist/python-stdlib [--site-packages DIR]... [--import MODULE]...
//! ```

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{anyhow, bail, Context as _, Result};
use async_trait::async_trait;
use component_init_transform::Invoker;
use futures::FutureExt as _;
use host_common::bindings::{CallbackInfo, Sandbox, SandboxImports, SandboxImportsWithStore};
use host_common::flags::Flags;
use host_common::{GuestFiles, GuestWasi};
use wasmtime::component::{Accessor, Component, HasData, Instance, Linker};
use wasmtime::{Engine, Store};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

mod eryx05;

/// Error text of the `invoke` stub (as in eryx's pre-initialiser).
const INVOKE_STUB_ERROR: &str = "callbacks not available during pre-init";

struct Options {
    input: PathBuf,
    output: PathBuf,
    files: GuestFiles,
    imports: Vec<String>,
}

const USAGE: &str = "usage: eryx-as-preinit --input COMPONENT --output COMPONENT --stdlib DIR [--site-packages DIR]... [--import MODULE[,MODULE...]]...";

fn parse_args() -> Result<Options> {
    let mut input = None;
    let mut output = None;
    let mut stdlib = None;
    let mut site_packages = Vec::new();
    let mut imports = Vec::new();
    let mut flags = Flags::new(std::env::args().skip(1));
    let usage_error = |e: String| anyhow!("{e}\n{USAGE}");
    while let Some(flag) = flags.next_arg().map_err(usage_error)? {
        let mut value = || flags.value().map_err(usage_error);
        match flag.as_str() {
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            "--input" => input = Some(PathBuf::from(value()?)),
            "--output" => output = Some(PathBuf::from(value()?)),
            "--stdlib" => stdlib = Some(PathBuf::from(value()?)),
            "--site-packages" => site_packages.push(PathBuf::from(value()?)),
            "--import" => {
                for module in value()?.split(',').map(str::trim).filter(|m| !m.is_empty()) {
                    check_module_name(module)?;
                    imports.push(module.to_string());
                }
            }
            _ => bail!("unknown argument {flag:?}\n{USAGE}"),
        }
    }
    Ok(Options {
        input: input.ok_or_else(|| anyhow!("--input is required\n{USAGE}"))?,
        output: output.ok_or_else(|| anyhow!("--output is required\n{USAGE}"))?,
        files: GuestFiles {
            stdlib: stdlib.ok_or_else(|| anyhow!("--stdlib is required\n{USAGE}"))?,
            site_packages,
        },
        imports,
    })
}

/// A dotted Python module name (no code injection through `--import`).
fn check_module_name(module: &str) -> Result<()> {
    let ok = module.split('.').all(|part| {
        let mut chars = part.chars();
        matches!(chars.next(), Some(c) if c == '_' || c.is_alphabetic())
            && chars.all(|c| c == '_' || c.is_alphanumeric())
    });
    if !ok {
        bail!("not a module name: {module:?}");
    }
    Ok(())
}

/// Store data while the instrumented component runs.
struct PreinitState {
    wasi: GuestWasi,
}

impl WasiView for PreinitState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        self.wasi.view()
    }
}

/// The `HasData` marker of the stub world imports (`HasSelf<PreinitState>`
/// would be an orphan impl: the import traits live in `host-common`).
struct StubImports;

impl HasData for StubImports {
    type Data<'a> = &'a mut PreinitState;
}

impl SandboxImports for PreinitState {
    fn list_callbacks(&mut self) -> Vec<CallbackInfo> {
        Vec::new()
    }

    fn report_trace(&mut self, _lineno: u32, _event_json: String, _context_json: String) {}
}

impl SandboxImportsWithStore for StubImports {
    fn invoke<T>(
        _accessor: &Accessor<T, Self>,
        _name: String,
        _arguments_json: String,
    ) -> impl std::future::Future<Output = Result<String, String>> + Send {
        async { Err(INVOKE_STUB_ERROR.to_string()) }
    }
}

fn wasi_ctx(files: &GuestFiles) -> Result<WasiCtx> {
    let mut b = files.wasi_builder()?;
    // The tool's stdout is for its own report; guest output goes to stderr.
    b.stdout(wasmtime_wasi::cli::stderr());
    b.env("PYTHONUNBUFFERED", "1");
    Ok(b.build())
}

/// Reads the values the instrumentation exports (memory, mutable globals)
/// from the initialised instance.
struct PreinitInvoker {
    store: Store<PreinitState>,
    instance: Instance,
}

impl PreinitInvoker {
    async fn call<R>(&mut self, function: &str) -> Result<R>
    where
        R: wasmtime::component::ComponentType + wasmtime::component::Lift + Send + Sync + 'static,
    {
        let func = self
            .instance
            .get_typed_func::<(), (R,)>(&mut self.store, function)
            .with_context(|| format!("instrumented export {function}"))?;
        let (value,) = func.call_async(&mut self.store, ()).await?;
        func.post_return_async(&mut self.store).await?;
        Ok(value)
    }
}

#[async_trait]
impl Invoker for PreinitInvoker {
    async fn call_s32(&mut self, function: &str) -> Result<i32> {
        self.call(function).await
    }
    async fn call_s64(&mut self, function: &str) -> Result<i64> {
        self.call(function).await
    }
    async fn call_f32(&mut self, function: &str) -> Result<f32> {
        self.call(function).await
    }
    async fn call_f64(&mut self, function: &str) -> Result<f64> {
        self.call(function).await
    }
    async fn call_list_u8(&mut self, function: &str) -> Result<Vec<u8>> {
        self.call(function).await
    }
}

fn log(started: Instant, message: &str) {
    eprintln!(
        "[preinit] {:6.1}s {message}",
        started.elapsed().as_secs_f64()
    );
}

/// The exports the protocol calls, in either world.
enum Exports {
    Eryx01(Sandbox),
    Eryx05(eryx05::Exports),
}

impl Exports {
    /// `execute(code)`: `Err` is the guest's traceback, a trap the outer error.
    async fn execute(
        &self,
        store: &mut Store<PreinitState>,
        code: String,
    ) -> Result<Result<(), String>> {
        match self {
            Exports::Eryx01(sandbox) => {
                let result = store
                    .run_concurrent(async move |accessor| {
                        sandbox.call_execute(accessor, code).await
                    })
                    .await
                    .and_then(|inner| inner)
                    .map_err(|e| anyhow!("execute trapped during pre-init: {e:?}"))?;
                Ok(result.map(|_stdout| ()))
            }
            Exports::Eryx05(exports) => exports.execute(store, code).await,
        }
    }

    async fn finalize_preinit(&self, store: &mut Store<PreinitState>) -> Result<()> {
        match self {
            Exports::Eryx01(sandbox) => sandbox.call_finalize_preinit(store).await,
            Exports::Eryx05(exports) => exports.finalize_preinit(store).await,
        }
    }
}

async fn run_protocol(
    instrumented: Vec<u8>,
    files: GuestFiles,
    imports: Vec<String>,
    started: Instant,
) -> Result<Box<dyn Invoker>> {
    let engine =
        Engine::new(&host_common::component_config()).context("creating the wasmtime engine")?;
    log(
        started,
        &format!(
            "compiling the instrumented component ({} bytes)",
            instrumented.len()
        ),
    );
    let component =
        Component::new(&engine, &instrumented).context("compiling the instrumented component")?;

    let mut linker: Linker<PreinitState> = Linker::new(&engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker).context("adding WASI p2")?;
    let eryx05 = eryx05::is_world(&engine, &component);
    if eryx05 {
        log(started, "world: eryx 0.5 (imports report-output)");
        eryx05::add_stubs(&mut linker).context("adding the stub eryx 0.5 imports")?;
    } else {
        Sandbox::add_to_linker::<PreinitState, StubImports>(&mut linker, |s| s)
            .context("adding the stub sandbox imports")?;
    }

    let state = PreinitState {
        wasi: GuestWasi::new(wasi_ctx(&files)?),
    };
    let mut store = Store::new(&engine, state);
    log(started, "instantiating (Python initialises)");
    let instance = linker
        .instantiate_async(&mut store, &component)
        .await
        .map_err(|e| anyhow!("instantiating the instrumented component: {e:?}"))?;
    let exports = if eryx05 {
        eryx05::Exports::new(&mut store, &instance).map(Exports::Eryx05)
    } else {
        Sandbox::new(&mut store, &instance).map(Exports::Eryx01)
    }
    .context("checking the component's exports")?;

    if !imports.is_empty() {
        let code = imports
            .iter()
            .map(|m| format!("import {m}"))
            .collect::<Vec<_>>()
            .join("\n");
        log(started, &format!("importing {}", imports.join(", ")));
        if let Err(e) = exports.execute(&mut store, code).await? {
            bail!(
                "importing {} failed during pre-init: {e}",
                imports.join(", ")
            );
        }
    }

    log(started, "finalize-preinit");
    exports
        .finalize_preinit(&mut store)
        .await
        .map_err(|e| anyhow!("finalize-preinit trapped: {e:?}"))?;
    log(started, "snapshotting memory and globals");
    Ok(Box::new(PreinitInvoker { store, instance }))
}

async fn run(options: Options) -> Result<()> {
    let started = Instant::now();
    options.files.check()?;
    if !options.files.stdlib.join("encodings").is_dir() {
        bail!(
            "not a python stdlib directory (no encodings/): {}",
            options.files.stdlib.display()
        );
    }
    let input = std::fs::read(&options.input)
        .with_context(|| format!("reading {}", options.input.display()))?;
    log(
        started,
        &format!(
            "instrumenting {} ({} bytes)",
            options.input.display(),
            input.len()
        ),
    );

    let Options {
        files,
        imports,
        output,
        ..
    } = options;
    let import_count = imports.len();
    let result = component_init_transform::initialize(&input, move |instrumented| {
        run_protocol(instrumented, files, imports, started).boxed()
    })
    .await
    .context("pre-initialising the component")?;

    // Write next to the output and rename, so a failed run leaves no partial file.
    let tmp = output.with_extension("wasm.tmp");
    std::fs::write(&tmp, &result).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, &output).with_context(|| format!("renaming to {}", output.display()))?;
    log(
        started,
        &format!(
            "wrote {} ({} bytes, {import_count} module(s) pre-imported)",
            output.display(),
            result.len()
        ),
    );
    println!("{}", output.display());
    Ok(())
}

fn main() {
    let options = match parse_args() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("eryx-as-preinit: {e}");
            std::process::exit(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    if let Err(e) = runtime.block_on(run(options)) {
        eprintln!("eryx-as-preinit: {e:#}");
        std::process::exit(1);
    }
}
