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
use wasmtime::component::{Accessor, Component, HasSelf, Instance, Linker, ResourceTable};
use wasmtime::{Config, Engine, Store};
use wasmtime_wasi::{DirPerms, FilePerms, WasiCtx, WasiCtxBuilder, WasiCtxView, WasiView};

mod bindings {
    wasmtime::component::bindgen!({
        path: "../wit/runtime.wit",
        world: "sandbox",
        exports: { default: async },
    });
}

use bindings::{CallbackInfo, Sandbox, SandboxImports, SandboxImportsWithStore};

/// Error text of the `invoke` stub (as in eryx's pre-initialiser).
const INVOKE_STUB_ERROR: &str = "callbacks not available during pre-init";

struct Options {
    input: PathBuf,
    output: PathBuf,
    stdlib: PathBuf,
    site_packages: Vec<PathBuf>,
    imports: Vec<String>,
}

const USAGE: &str = "usage: eryx-as-preinit --input COMPONENT --output COMPONENT --stdlib DIR [--site-packages DIR]... [--import MODULE[,MODULE...]]...";

fn parse_args() -> Result<Options> {
    let mut input = None;
    let mut output = None;
    let mut stdlib = None;
    let mut site_packages = Vec::new();
    let mut imports = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        if flag == "-h" || flag == "--help" {
            println!("{USAGE}");
            std::process::exit(0);
        }
        let mut value = || -> Result<String> {
            match inline.clone() {
                Some(v) => Ok(v),
                None => args.next().ok_or_else(|| anyhow!("{flag} needs a value\n{USAGE}")),
            }
        };
        match flag.as_str() {
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
            _ => bail!("unknown argument {arg:?}\n{USAGE}"),
        }
    }
    Ok(Options {
        input: input.ok_or_else(|| anyhow!("--input is required\n{USAGE}"))?,
        output: output.ok_or_else(|| anyhow!("--output is required\n{USAGE}"))?,
        stdlib: stdlib.ok_or_else(|| anyhow!("--stdlib is required\n{USAGE}"))?,
        site_packages,
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
    wasi: WasiCtx,
    table: ResourceTable,
}

impl WasiView for PreinitState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl SandboxImports for PreinitState {
    fn list_callbacks(&mut self) -> Vec<CallbackInfo> {
        Vec::new()
    }

    fn report_trace(&mut self, _lineno: u32, _event_json: String, _context_json: String) {}
}

impl SandboxImportsWithStore for HasSelf<PreinitState> {
    fn invoke<T>(
        _accessor: &Accessor<T, Self>,
        _name: String,
        _arguments_json: String,
    ) -> impl std::future::Future<Output = Result<String, String>> + Send {
        async { Err(INVOKE_STUB_ERROR.to_string()) }
    }
}

fn wasi_ctx(options_stdlib: &PathBuf, site_packages: &[PathBuf]) -> Result<WasiCtx> {
    let mut b = WasiCtxBuilder::new();
    // The tool's stdout is for its own report; guest output goes to stderr.
    b.stdout(wasmtime_wasi::cli::stderr());
    b.inherit_stderr();
    b.env("PYTHONHOME", "/python-stdlib");
    b.env("PYTHONUNBUFFERED", "1");
    b.preopened_dir(options_stdlib, "/python-stdlib", DirPerms::READ, FilePerms::READ)
        .with_context(|| format!("mounting {}", options_stdlib.display()))?;
    let mut python_path = vec!["/python-stdlib".to_string()];
    for (i, sp) in site_packages.iter().enumerate() {
        let guest = format!("/site-packages-{i}");
        b.preopened_dir(sp, &guest, DirPerms::READ, FilePerms::READ)
            .with_context(|| format!("mounting {}", sp.display()))?;
        python_path.push(guest);
    }
    b.env("PYTHONPATH", python_path.join(":"));
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
    eprintln!("[preinit] {:6.1}s {message}", started.elapsed().as_secs_f64());
}

async fn run_protocol(
    instrumented: Vec<u8>,
    stdlib: PathBuf,
    site_packages: Vec<PathBuf>,
    imports: Vec<String>,
    started: Instant,
) -> Result<Box<dyn Invoker>> {
    let mut config = Config::new();
    config.wasm_component_model(true);
    config.wasm_component_model_async(true);
    config.async_support(true);
    let engine = Engine::new(&config).context("creating the wasmtime engine")?;
    log(started, &format!("compiling the instrumented component ({} bytes)", instrumented.len()));
    let component = Component::new(&engine, &instrumented).context("compiling the instrumented component")?;

    let mut linker: Linker<PreinitState> = Linker::new(&engine);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker).context("adding WASI p2")?;
    Sandbox::add_to_linker::<PreinitState, HasSelf<PreinitState>>(&mut linker, |s| s)
        .context("adding the stub sandbox imports")?;

    let state = PreinitState {
        wasi: wasi_ctx(&stdlib, &site_packages)?,
        table: ResourceTable::new(),
    };
    let mut store = Store::new(&engine, state);
    log(started, "instantiating (Python initialises)");
    let instance = linker
        .instantiate_async(&mut store, &component)
        .await
        .map_err(|e| anyhow!("instantiating the instrumented component: {e:?}"))?;
    let sandbox = Sandbox::new(&mut store, &instance).context("checking the component's exports")?;

    if !imports.is_empty() {
        let code = imports
            .iter()
            .map(|m| format!("import {m}"))
            .collect::<Vec<_>>()
            .join("\n");
        log(started, &format!("importing {}", imports.join(", ")));
        let sandbox_ref = &sandbox;
        let result = store
            .run_concurrent(async move |accessor| sandbox_ref.call_execute(accessor, code).await)
            .await
            .and_then(|inner| inner)
            .map_err(|e| anyhow!("execute trapped during pre-init: {e:?}"))?;
        if let Err(e) = result {
            bail!("importing {} failed during pre-init: {e}", imports.join(", "));
        }
    }

    log(started, "finalize-preinit");
    sandbox
        .call_finalize_preinit(&mut store)
        .await
        .map_err(|e| anyhow!("finalize-preinit trapped: {e:?}"))?;
    log(started, "snapshotting memory and globals");
    Ok(Box::new(PreinitInvoker { store, instance }))
}

async fn run(options: Options) -> Result<()> {
    let started = Instant::now();
    if !options.stdlib.join("encodings").is_dir() {
        bail!("python stdlib directory not found (no encodings/): {}", options.stdlib.display());
    }
    for sp in &options.site_packages {
        if !sp.is_dir() {
            bail!("site-packages directory not found: {}", sp.display());
        }
    }
    let input = std::fs::read(&options.input)
        .with_context(|| format!("reading {}", options.input.display()))?;
    log(started, &format!("instrumenting {} ({} bytes)", options.input.display(), input.len()));

    let Options { stdlib, site_packages, imports, output, .. } = options;
    let import_count = imports.len();
    let result = component_init_transform::initialize(&input, move |instrumented| {
        run_protocol(instrumented, stdlib, site_packages, imports, started).boxed()
    })
    .await
    .context("pre-initialising the component")?;

    // Write next to the output and rename, so a failed run leaves no partial file.
    let tmp = output.with_extension("wasm.tmp");
    std::fs::write(&tmp, &result).with_context(|| format!("writing {}", tmp.display()))?;
    std::fs::rename(&tmp, &output).with_context(|| format!("renaming to {}", output.display()))?;
    log(
        started,
        &format!("wrote {} ({} bytes, {import_count} module(s) pre-imported)", output.display(), result.len()),
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
