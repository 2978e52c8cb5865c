//! Engine, linker and instance setup, configured like the eryx 0.2.0 host:
//! component model + component-model async on an async (fiber) engine with
//! epoch interruption, WASI p2 with the stdlib mounted read-only, and the
//! three world imports of `eryx:sandbox@0.1.0` (bindings and WASI mounts from
//! `host-common`, shared with the pre-initialiser).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _, Result};
use host_common::bindings::{
    CallbackInfo, Sandbox, SandboxImports, SandboxImportsWithStore, SandboxPre,
};
use host_common::{GuestFiles, GuestWasi};
use serde_json::{json, Value};
use tokio::sync::{mpsc, oneshot};
use wasmtime::component::{Accessor, HasData, Linker};
use wasmtime::{Engine, OptLevel, ResourceLimiter, Store, Trap};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::callbacks::{CallbackHandler, CallbackRecord, CallbackRequest, Registry};

/// Interval of the epoch ticker.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);
/// Execution timeout (eryx `ResourceLimits::default`).
pub const EXECUTION_TIMEOUT: Duration = Duration::from_secs(30);
/// Memory limit of one-shot executions (eryx `ResourceLimits::default`).
pub const ONE_SHOT_MEMORY_LIMIT: u64 = 128 * 1024 * 1024;
/// Async (fiber) stack size, as in eryx 0.2.0.
pub const ASYNC_STACK_SIZE: usize = 512 * 1024;
/// Wasm stack limit inside the fiber (see `build_engine`).
pub const MAX_WASM_STACK: usize = 384 * 1024;
/// Deadline used while no export runs (instantiation, between calls).
const NO_DEADLINE: u64 = u64::MAX / 2;

/// Where the component and the Python files come from.
#[derive(Clone, Debug)]
pub struct RuntimeOptions {
    pub runtime: PathBuf,
    pub files: GuestFiles,
    /// Send the guest's WASI stdout to the host's stderr (the serve protocol
    /// owns stdout).
    pub guest_stdout_to_stderr: bool,
    /// Load the compiled component from / store it in the cache
    /// (`cache.rs`); `--no-cache` turns it off.
    pub use_cache: bool,
}

/// Peak-tracking memory limiter; every `memory.grow` (and the initial
/// allocation of each memory) goes through it.
pub struct MemoryTracker {
    limit: Option<u64>,
    peak: u64,
}

impl ResourceLimiter for MemoryTracker {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let desired64 = desired as u64;
        if self.limit.is_some_and(|limit| desired64 > limit) {
            return Ok(false);
        }
        if maximum.is_some_and(|max| desired > max) {
            return Ok(false);
        }
        self.peak = self.peak.max(desired64);
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(maximum.is_none_or(|max| desired <= max))
    }
}

/// Trace events kept per `execute`; later ones are counted, not kept. A
/// traced run can report about 10 million events before its 30 s timeout
/// (a recursion with three calls a level), and kept whole they took the
/// host past 20 GB. 3 million (about 100 bytes each while kept) leave room
/// for a fully traced loop of a million iterations.
pub const MAX_TRACE_EVENTS: usize = 3_000_000;
/// Test only: a smaller cap (host/README.md).
pub const MAX_TRACE_EVENTS_ENV: &str = "ERYX_AS_HOST_MAX_TRACE_EVENTS";

/// MAX_TRACE_EVENTS, or the number in MAX_TRACE_EVENTS_ENV.
fn max_trace_events() -> usize {
    static MAX: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *MAX.get_or_init(|| {
        std::env::var(MAX_TRACE_EVENTS_ENV)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(MAX_TRACE_EVENTS)
    })
}

/// One trace event as reported by the guest, kept as text until it is
/// written out (as a JSON value it would take about ten times the memory).
pub struct RawTrace {
    lineno: u32,
    event_json: String,
    context_json: String,
}

impl serde::Serialize for RawTrace {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

impl RawTrace {
    pub fn to_json(&self) -> Value {
        let event = serde_json::from_str::<Value>(&self.event_json)
            .unwrap_or_else(|_| Value::String(self.event_json.clone()));
        let context = if self.context_json.is_empty() {
            Value::Null
        } else {
            serde_json::from_str::<Value>(&self.context_json).unwrap_or(Value::Null)
        };
        json!({"lineno": self.lineno, "event": event, "context": context})
    }
}

/// The store data of one instance.
pub struct HostState {
    wasi: GuestWasi,
    memory: MemoryTracker,
    registry: Arc<Registry>,
    /// Present while an `execute` runs.
    callback_tx: Option<mpsc::Sender<CallbackRequest>>,
    traces: Vec<RawTrace>,
    /// Events of this execute past MAX_TRACE_EVENTS.
    traces_dropped: u64,
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        self.wasi.view()
    }
}

/// The `HasData` marker of the world imports (`HasSelf<HostState>` would be
/// an orphan impl: the import traits live in `host-common`).
pub struct HostImports;

impl HasData for HostImports {
    type Data<'a> = &'a mut HostState;
}

impl SandboxImports for HostState {
    fn list_callbacks(&mut self) -> Vec<CallbackInfo> {
        self.registry
            .defs()
            .iter()
            .map(|d| CallbackInfo {
                name: d.name.to_string(),
                description: d.description.to_string(),
                parameters_schema_json: d.schema_json(),
            })
            .collect()
    }

    fn report_trace(&mut self, lineno: u32, event_json: String, context_json: String) {
        // Only collected while an execute runs, like eryx's trace channel.
        if self.callback_tx.is_none() {
            return;
        }
        if self.traces.len() < max_trace_events() {
            self.traces.push(RawTrace {
                lineno,
                event_json,
                context_json,
            });
        } else {
            self.traces_dropped += 1;
        }
    }
}

impl SandboxImportsWithStore for HostImports {
    fn invoke<T>(
        accessor: &Accessor<T, Self>,
        name: String,
        arguments_json: String,
    ) -> impl std::future::Future<Output = Result<String, String>> + Send {
        let tx = accessor.with(|mut access| access.get().callback_tx.clone());
        async move {
            let Some(tx) = tx else {
                return Err(format!("Callback '{name}' not available (no handler)"));
            };
            let (reply, response) = oneshot::channel();
            let request = CallbackRequest {
                name,
                arguments_json,
                reply,
            };
            let sent = tx.send(request).await;
            // Do not keep the sender alive while waiting for the answer.
            drop(tx);
            if sent.is_err() {
                return Err("Callback channel closed".to_string());
            }
            response
                .await
                .unwrap_or_else(|_| Err("Callback response channel closed".to_string()))
        }
    }
}

/// Build the engine exactly as eryx 0.2.0 configures it and start the epoch
/// ticker thread.
pub fn build_engine() -> Result<Engine> {
    let mut config = host_common::component_config();
    config.epoch_interruption(true);
    config.cranelift_opt_level(OptLevel::SpeedAndSize);
    config.async_stack_size(ASYNC_STACK_SIZE);
    // Deviation: eryx 0.2.0 keeps wasmtime's default max_wasm_stack (512 KiB),
    // equal to its fiber stack, so deep guest recursion overflows the fiber
    // and aborts the whole process ("execution on async fiber has overflowed
    // its stack"). Leaving host headroom turns that into a clean
    // "call stack exhausted" trap, and is stricter than eryx: anything that
    // runs here also fits in eryx's fiber.
    config.max_wasm_stack(MAX_WASM_STACK);
    config.memory_init_cow(true);
    let engine = Engine::new(&config).context("creating the wasmtime engine")?;

    let ticker = engine.weak();
    std::thread::Builder::new()
        .name("epoch-ticker".to_string())
        .spawn(move || loop {
            std::thread::sleep(EPOCH_TICK);
            match ticker.upgrade() {
                Some(engine) => engine.increment_epoch(),
                None => break,
            }
        })
        .context("starting the epoch ticker thread")?;
    Ok(engine)
}

/// A compiled and linked component, ready to be instantiated many times.
pub struct Runtime {
    engine: Engine,
    pre: SandboxPre<HostState>,
    registry: Arc<Registry>,
    options: RuntimeOptions,
    /// Milliseconds `load` took: compiling (or loading from the cache) and linking.
    pub load_ms: f64,
}

impl Runtime {
    /// Check the paths, compile the component (or load it from the cache)
    /// and link it.
    pub fn load(options: RuntimeOptions, registry: Arc<Registry>) -> Result<Self> {
        let started = Instant::now();
        if !options.runtime.is_file() {
            bail!("runtime component not found: {}", options.runtime.display());
        }
        options.files.check()?;

        let engine = build_engine()?;
        let component = crate::cache::load_component(&engine, &options.runtime, options.use_cache)?;

        let mut linker: Linker<HostState> = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).context("adding WASI p2")?;
        Sandbox::add_to_linker::<HostState, HostImports>(&mut linker, |s| s)
            .context("adding the sandbox imports")?;
        let instance_pre = linker
            .instantiate_pre(&component)
            .context("linking the component")?;
        let pre = SandboxPre::new(instance_pre).context("checking the component's exports")?;
        Ok(Self {
            engine,
            pre,
            registry,
            load_ms: started.elapsed().as_secs_f64() * 1000.0,
            options,
        })
    }

    pub fn uses_cache(&self) -> bool {
        self.options.use_cache
    }

    fn wasi_ctx(&self) -> Result<WasiCtx> {
        let mut b = self.options.files.wasi_builder()?;
        if self.options.guest_stdout_to_stderr {
            b.stdout(tokio::io::stderr());
        } else {
            b.inherit_stdout();
        }
        Ok(b.build())
    }

    /// A fresh instance. Python initialises during instantiation, which runs
    /// with no epoch deadline armed.
    pub async fn instantiate(&self, memory_limit: Option<u64>) -> Result<Instance> {
        let state = HostState {
            wasi: GuestWasi::new(self.wasi_ctx()?),
            memory: MemoryTracker {
                limit: memory_limit,
                peak: 0,
            },
            registry: self.registry.clone(),
            callback_tx: None,
            traces: Vec::new(),
            traces_dropped: 0,
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.memory);
        store.epoch_deadline_trap();
        store.set_epoch_deadline(NO_DEADLINE);
        let sandbox = self
            .pre
            .instantiate_async(&mut store)
            .await
            .map_err(|e| anyhow::anyhow!("WASM instantiation error: {e:?}"))?;
        Ok(Instance {
            store,
            sandbox,
            registry: self.registry.clone(),
        })
    }
}

/// How an export call ended.
#[derive(Debug)]
pub enum Outcome<T> {
    /// The export returned `Ok`.
    Ok(T),
    /// The export returned `Err` (the guest's error text).
    Err(String),
    /// The call trapped or timed out; the instance must be discarded.
    Trap(String),
}

/// Everything one `execute` produced.
pub struct ExecReport {
    pub outcome: Outcome<String>,
    /// The first max_trace_events() trace events.
    pub trace: Vec<RawTrace>,
    pub callbacks: Vec<CallbackRecord>,
    pub elapsed_ms: f64,
    pub peak_memory_bytes: u64,
}

/// One instantiated sandbox (store + export handles).
pub struct Instance {
    store: Store<HostState>,
    sandbox: Sandbox,
    registry: Arc<Registry>,
}

/// Turn an error from an export call into the eryx host's trap text.
fn trap_message(e: &anyhow::Error) -> String {
    let timed_out = e
        .chain()
        .any(|c| matches!(c.downcast_ref::<Trap>(), Some(Trap::Interrupt)));
    if timed_out {
        format!("Execution timed out after {EXECUTION_TIMEOUT:?}")
    } else {
        format!(
            "WASM execution error: {}",
            shorten_backtrace(&format!("{e:#}"))
        )
    }
}

/// Keep trap texts readable: a stack overflow has thousands of wasm frames.
/// Keeps the first and last frames (the last line holds the trap reason).
fn shorten_backtrace(text: &str) -> String {
    const HEAD: usize = 40;
    const TAIL: usize = 10;
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() <= HEAD + TAIL + 1 {
        return text.to_string();
    }
    let omitted = lines.len() - HEAD - TAIL;
    let mut out = lines[..HEAD].join("\n");
    out.push_str(&format!("\n    ... {omitted} more lines ...\n"));
    out.push_str(&lines[lines.len() - TAIL..].join("\n"));
    out
}

fn flatten<T>(r: wasmtime::Result<wasmtime::Result<Result<T, String>>>) -> Outcome<T> {
    match r.and_then(|inner| inner) {
        Ok(Ok(v)) => Outcome::Ok(v),
        Ok(Err(e)) => Outcome::Err(e),
        Err(e) => Outcome::Trap(trap_message(&e)),
    }
}

impl Instance {
    pub fn peak_memory_bytes(&self) -> u64 {
        self.store.data().memory.peak
    }

    fn arm_deadline(&mut self) {
        let ticks = (EXECUTION_TIMEOUT.as_millis() / EPOCH_TICK.as_millis()) as u64;
        self.store.set_epoch_deadline(ticks.max(1));
    }

    fn disarm_deadline(&mut self) {
        self.store.set_epoch_deadline(NO_DEADLINE);
    }

    /// Run `execute(code)`, collecting trace events and callback records.
    pub async fn execute(&mut self, code: &str) -> ExecReport {
        let started = Instant::now();
        let (handler, tx) = CallbackHandler::start(self.registry.clone(), started);
        {
            let data = self.store.data_mut();
            data.callback_tx = Some(tx);
            data.traces.clear();
            data.traces_dropped = 0;
        }
        self.arm_deadline();
        let sandbox = &self.sandbox;
        let code = code.to_string();
        let result = self
            .store
            .run_concurrent(async move |accessor| sandbox.call_execute(accessor, code).await)
            .await;
        self.disarm_deadline();
        let traces = {
            let data = self.store.data_mut();
            data.callback_tx = None;
            if data.traces_dropped > 0 {
                eprintln!(
                    "eryx-as-host: the trace of this execute keeps its first {} events; {} more were not kept",
                    max_trace_events(),
                    data.traces_dropped
                );
            }
            std::mem::take(&mut data.traces)
        };
        let callbacks = handler.finish().await;
        ExecReport {
            outcome: flatten(result),
            trace: traces,
            callbacks,
            elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
            peak_memory_bytes: self.peak_memory_bytes(),
        }
    }

    /// `snapshot-state()`.
    pub async fn snapshot_state(&mut self) -> Outcome<Vec<u8>> {
        self.arm_deadline();
        let sandbox = &self.sandbox;
        let r = self
            .store
            .run_concurrent(async move |accessor| sandbox.call_snapshot_state(accessor).await)
            .await;
        self.disarm_deadline();
        flatten(r)
    }

    /// `restore-state(data)`.
    pub async fn restore_state(&mut self, data: Vec<u8>) -> Outcome<()> {
        self.arm_deadline();
        let sandbox = &self.sandbox;
        let r = self
            .store
            .run_concurrent(async move |accessor| sandbox.call_restore_state(accessor, data).await)
            .await;
        self.disarm_deadline();
        flatten(r)
    }

    /// `clear-state()`.
    pub async fn clear_state(&mut self) -> Outcome<()> {
        self.arm_deadline();
        let sandbox = &self.sandbox;
        let r = self
            .store
            .run_concurrent(async move |accessor| sandbox.call_clear_state(accessor).await)
            .await;
        self.disarm_deadline();
        flatten(r.map(|inner| inner.map(Ok)))
    }

    /// `finalize-preinit()` (sync export, called with `call_async`).
    pub async fn finalize_preinit(&mut self) -> Outcome<()> {
        self.arm_deadline();
        let r = self.sandbox.call_finalize_preinit(&mut self.store).await;
        self.disarm_deadline();
        match r {
            Ok(()) => Outcome::Ok(()),
            Err(e) => Outcome::Trap(trap_message(&e)),
        }
    }
}
