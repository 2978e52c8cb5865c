//! `--serve`: the JSON-lines protocol of the reference host (host/src/serve.rs), answered by the
//! published eryx 0.5.0 crate running our component for the eryx 0.5 world.
//!
//! One request per line, one response line per request (flushed), until EOF; a line that is not
//! UTF-8 or not a JSON object gets an error response.
//! Request: `{"id": any, "op": str, "code"?: str, "session"?: str, "hex"?: str}`;
//! ops: execute, snapshot, restore, clear, drop (a session), info.
//! Response: the reference host's fields (`id`, `ok`, `value`, `error`, `trace`, `callbacks`,
//! `elapsed_ms`, `peak_memory_bytes`, `instantiate_ms`) plus what only the 0.5 world has:
//! `stderr`, `result`, `result_error` (execute-output) and `output` (the chunks `report-output`
//! streamed while the code ran, `[stream, text]`, 0 = stdout, 1 = stderr).
//!
//! How eryx runs things differs from the reference host where the crate decides it:
//! - an execute without a session gets a fresh instance from `Sandbox::execute` (as there);
//!   a session is an `InProcessSession` (one instance, kept);
//! - callbacks go through eryx's own handler (its limits, timeouts and error texts); the
//!   `callbacks` records are written by the callbacks themselves, so an invocation eryx refuses
//!   before calling one (unknown name, bad JSON, over the limit) is not recorded;
//! - a callback answers a JSON value (`Callback::invoke`), so raw non-JSON text cannot reach the
//!   guest;
//! - `value`/`error` are the guest's texts: `Error::PythonException(t)` and `Error::Snapshot(t)`
//!   are answered as `t`, every other eryx error as its `Display`.

use std::collections::HashMap;
use std::io::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use eryx::{
    Callback, CallbackError, InProcessSession, OutputHandler, PythonStateSnapshot, Sandbox, Schema,
    TraceEvent, TraceHandler,
};
use serde_json::{json, Map, Value};
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::callbacks::{self, CallbackDef, Registry};
use crate::protocol::{decode_hex, encode_hex, str_field};

/// What the handlers of one sandbox collect during one execute (the server runs one at a time).
#[derive(Default)]
pub struct Recorder {
    started: Option<Instant>,
    callbacks: Vec<Value>,
    output: Vec<Value>,
    trace: Vec<Value>,
}

type Shared = Arc<Mutex<Recorder>>;

fn lock(r: &Shared) -> std::sync::MutexGuard<'_, Recorder> {
    r.lock().unwrap_or_else(|e| e.into_inner())
}

fn ms_since(started: Option<Instant>) -> f64 {
    started.map_or(0.0, |t| t.elapsed().as_secs_f64() * 1000.0)
}

/// One of host/src/callbacks.rs's standard callbacks as an eryx `Callback`.
struct Standard {
    def: &'static CallbackDef,
    schema: Schema,
    recorder: Shared,
}

impl Callback for Standard {
    fn name(&self) -> &str {
        self.def.name
    }

    fn description(&self) -> &str {
        self.def.description
    }

    fn parameters_schema(&self) -> Schema {
        self.schema.clone()
    }

    fn invoke(
        &self,
        args: Value,
    ) -> std::pin::Pin<
        Box<dyn std::future::Future<Output = Result<Value, CallbackError>> + Send + '_>,
    > {
        let index = {
            let mut r = lock(&self.recorder);
            let start = ms_since(r.started);
            r.callbacks.push(json!({
                "name": self.def.name,
                "args": args.to_string(),
                "start_ms": start,
                "end_ms": null,
            }));
            r.callbacks.len() - 1
        };
        let fut = self.def.invoke(args);
        let recorder = self.recorder.clone();
        Box::pin(async move {
            let result = fut.await;
            {
                let mut r = lock(&recorder);
                let end = ms_since(r.started);
                if let Some(rec) = r.callbacks.get_mut(index) {
                    rec["end_ms"] = json!(end);
                }
            }
            match result {
                // The registry answers JSON text; eryx wants the value.
                Ok(text) => serde_json::from_str(&text).map_err(|e| {
                    CallbackError::ExecutionFailed(format!("the callback answered text that is not JSON ({e}); eryx 0.5 callbacks answer JSON values"))
                }),
                Err(callbacks::CallbackError::InvalidArguments(m)) => Err(CallbackError::InvalidArguments(m)),
                Err(callbacks::CallbackError::ExecutionFailed(m)) => Err(CallbackError::ExecutionFailed(m)),
                Err(callbacks::CallbackError::NotFound(m)) => Err(CallbackError::NotFound(m)),
                Err(callbacks::CallbackError::Timeout) => Err(CallbackError::Timeout),
            }
        })
    }
}

struct Output(Shared);

#[async_trait::async_trait]
impl OutputHandler for Output {
    async fn on_output(&self, chunk: &str) {
        lock(&self.0).output.push(json!([0, chunk]));
    }

    async fn on_stderr(&self, chunk: &str) {
        lock(&self.0).output.push(json!([1, chunk]));
    }
}

struct Trace(Shared);

#[async_trait::async_trait]
impl TraceHandler for Trace {
    async fn on_trace(&self, event: TraceEvent) {
        lock(&self.0)
            .trace
            .push(serde_json::to_value(&event).unwrap_or(Value::Null));
    }
}

pub struct Options {
    pub runtime: std::path::PathBuf,
    /// The same component compiled beforehand (`eryx05-host precompile`), loaded instead of
    /// compiling `runtime`: the crate's `with_precompiled_file`.
    pub precompiled: Option<std::path::PathBuf>,
    pub stdlib: std::path::PathBuf,
    pub site_packages: Vec<std::path::PathBuf>,
    /// None: no `with_network` (every connection is refused with eryx's reason);
    /// "default": `NetConfig::default()`; "permissive": `NetConfig::permissive()`.
    pub net: Option<String>,
    pub result_variable: Option<String>,
    /// DER certificates the host trusts besides its built-in roots (`NetConfig::with_root_cert`).
    pub root_certs: Vec<Vec<u8>>,
    /// The crate's execution timeout instead of its default (30 s): benchmarks run longer code.
    pub execution_timeout_secs: Option<u64>,
}

/// Builds the sandbox the way a user of the crate would, with the standard callbacks.
pub fn build(options: &Options, recorder: &Shared) -> anyhow::Result<Sandbox> {
    let registry: &'static Registry = Box::leak(Box::new(Registry::standard()));
    let builder = match &options.precompiled {
        // SAFETY: only files written by this binary's `precompile` (the crate's engine
        // configuration) are passed here: the benchmark and the e2e harness make them.
        #[allow(unsafe_code)]
        Some(cwasm) => unsafe { Sandbox::builder().with_precompiled_file(cwasm) },
        None => Sandbox::builder().with_wasm_file(&options.runtime),
    };
    let mut builder = builder
        .with_python_stdlib(&options.stdlib)
        .with_output_handler(Output(recorder.clone()))
        .with_trace_handler(Trace(recorder.clone()));
    for path in &options.site_packages {
        builder = builder.with_site_packages(path);
    }
    for def in registry.defs() {
        let schema = Schema::try_from_value(def.schema.clone())
            .map_err(|e| anyhow::anyhow!("schema of {}: {e}", def.name))?;
        builder = builder.with_callback(Standard {
            def,
            schema,
            recorder: recorder.clone(),
        });
    }
    let net = match options.net.as_deref() {
        None => None,
        Some("default") => Some(eryx::NetConfig::default()),
        Some("permissive") => Some(eryx::NetConfig::permissive()),
        Some(other) => anyhow::bail!("--net {other}: expected default or permissive"),
    };
    if let Some(mut net) = net {
        for der in &options.root_certs {
            net = net.with_root_cert(der.clone());
        }
        builder = builder.with_network(net);
    }
    if let Some(name) = &options.result_variable {
        builder = builder.with_result_variable(name.clone());
    }
    if let Some(secs) = options.execution_timeout_secs {
        builder = builder.with_resource_limits(eryx::ResourceLimits {
            execution_timeout: Some(std::time::Duration::from_secs(secs)),
            ..eryx::ResourceLimits::default()
        });
    }
    Ok(builder.build()?)
}

struct Response {
    id: Value,
    ok: bool,
    value: Value,
    error: Value,
    elapsed_ms: f64,
    peak_memory_bytes: u64,
    instantiate_ms: Option<f64>,
    stderr: Value,
    result: Value,
    result_error: Value,
    recorded: Recorder,
}

impl Response {
    fn new(id: Value) -> Self {
        Self {
            id,
            ok: false,
            value: Value::Null,
            error: Value::Null,
            elapsed_ms: 0.0,
            peak_memory_bytes: 0,
            instantiate_ms: None,
            stderr: Value::Null,
            result: Value::Null,
            result_error: Value::Null,
            recorded: Recorder::default(),
        }
    }

    fn fail(mut self, error: impl Into<String>) -> Self {
        self.ok = false;
        self.error = Value::String(error.into());
        self
    }

    fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "ok": self.ok,
            "value": self.value,
            "error": self.error,
            "trace": self.recorded.trace,
            "callbacks": self.recorded.callbacks,
            "elapsed_ms": self.elapsed_ms,
            "peak_memory_bytes": self.peak_memory_bytes,
            "instantiate_ms": self.instantiate_ms,
            "stderr": self.stderr,
            "result": self.result,
            "result_error": self.result_error,
            "output": self.recorded.output,
        })
    }
}

/// The guest's own text for the errors that carry one, eryx's message for the rest.
fn error_text(e: &eryx::Error) -> String {
    match e {
        eryx::Error::PythonException(t) | eryx::Error::Snapshot(t) => t.clone(),
        other => other.to_string(),
    }
}

/// Whether the session's instance is gone or unusable after this error: a trap (eryx says
/// "WASM execution error"), a timeout, exhausted fuel. Code the crate refuses before running it
/// (`Error::Execution` for NUL bytes) and the guest's own errors leave it as it was.
fn loses_instance(e: &eryx::Error) -> bool {
    match e {
        eryx::Error::PythonException(_) | eryx::Error::Snapshot(_) | eryx::Error::Callback(_) => {
            false
        }
        eryx::Error::Execution(m) => m.starts_with("WASM execution error"),
        _ => true,
    }
}

struct Server {
    sandbox: &'static Sandbox,
    recorder: Shared,
    sessions: HashMap<String, InProcessSession<'static>>,
    load_ms: f64,
    /// Whether the component was loaded precompiled (`--precompiled`) rather than compiled.
    precompiled: bool,
}

pub async fn serve(options: Options) -> anyhow::Result<()> {
    let recorder: Shared = Arc::default();
    let t = Instant::now();
    let sandbox: &'static Sandbox = Box::leak(Box::new(build(&options, &recorder)?));
    let mut server = Server {
        sandbox,
        recorder,
        sessions: HashMap::new(),
        load_ms: t.elapsed().as_secs_f64() * 1000.0,
        precompiled: options.precompiled.is_some(),
    };
    let mut input = BufReader::new(tokio::io::stdin());
    let mut bytes = Vec::new();
    loop {
        bytes.clear();
        if input.read_until(b'\n', &mut bytes).await? == 0 {
            break;
        }
        let response = match std::str::from_utf8(&bytes) {
            Ok(line) if line.trim().is_empty() => continue,
            Ok(line) => server.handle_line(line).await,
            Err(e) => Response::new(Value::Null).fail(format!("invalid request: not UTF-8: {e}")),
        };
        let mut out = std::io::stdout().lock();
        serde_json::to_writer(&mut out, &response.to_json())?;
        out.write_all(b"\n")?;
        out.flush()?;
    }
    Ok(())
}

impl Server {
    async fn handle_line(&mut self, line: &str) -> Response {
        let started = Instant::now();
        let mut resp = match serde_json::from_str::<Value>(line) {
            Err(e) => Response::new(Value::Null).fail(format!("invalid request: {e}")),
            Ok(Value::Object(req)) => {
                let id = req.get("id").cloned().unwrap_or(Value::Null);
                match self.handle(&req, Response::new(id.clone())).await {
                    Ok(r) => r,
                    Err(e) => Response::new(id).fail(e),
                }
            }
            Ok(_) => Response::new(Value::Null).fail("invalid request: not a JSON object"),
        };
        if resp.elapsed_ms == 0.0 {
            resp.elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
        }
        resp
    }

    async fn session(
        &mut self,
        name: &str,
        resp: &mut Response,
    ) -> Result<&mut InProcessSession<'static>, String> {
        if !self.sessions.contains_key(name) {
            let t = Instant::now();
            let session = InProcessSession::new(self.sandbox)
                .await
                .map_err(|e| e.to_string())?;
            resp.instantiate_ms = Some(t.elapsed().as_secs_f64() * 1000.0);
            self.sessions.insert(name.to_string(), session);
        }
        Ok(self.sessions.get_mut(name).expect("session just inserted"))
    }

    fn begin(&self) {
        *lock(&self.recorder) = Recorder {
            started: Some(Instant::now()),
            ..Recorder::default()
        };
    }

    fn end(&self, resp: &mut Response) {
        resp.recorded = std::mem::take(&mut *lock(&self.recorder));
    }

    async fn handle(
        &mut self,
        req: &Map<String, Value>,
        mut resp: Response,
    ) -> Result<Response, String> {
        let op = str_field(req, "op")?.ok_or("missing field 'op'")?;
        let session = str_field(req, "session")?;
        match op {
            "execute" => {
                let code = str_field(req, "code")?.ok_or("missing field 'code'")?;
                self.begin();
                // A new session's instantiation is `instantiate_ms`, not part of the execute (as
                // on the reference host); a one-shot execute instantiates inside the crate.
                let (result, t) = match session {
                    Some(name) => {
                        use eryx::Session as _;
                        let s = self.session(name, &mut resp).await?;
                        let t = Instant::now();
                        (s.execute(code).await, t)
                    }
                    None => {
                        let t = Instant::now();
                        (self.sandbox.execute(code).await, t)
                    }
                };
                self.end(&mut resp);
                resp.elapsed_ms = t.elapsed().as_secs_f64() * 1000.0;
                match result {
                    Ok(out) => {
                        resp.ok = true;
                        resp.value = Value::String(out.stdout);
                        resp.stderr = Value::String(out.stderr);
                        resp.result = out.result.map_or(Value::Null, Value::String);
                        resp.result_error = out.result_error.map_or(Value::Null, Value::String);
                        resp.peak_memory_bytes = out.stats.peak_memory_bytes.unwrap_or(0);
                    }
                    Err(e) => {
                        resp.error = Value::String(error_text(&e));
                        if let Some(name) = session.filter(|_| loses_instance(&e)) {
                            self.sessions.remove(name);
                        }
                    }
                }
                Ok(resp)
            }
            "snapshot" | "restore" | "clear" => {
                let name = session.ok_or_else(|| format!("op '{op}' needs a 'session'"))?;
                let data = if op == "restore" {
                    let hex = str_field(req, "hex")?.ok_or("missing field 'hex'")?;
                    Some(decode_hex(hex)?)
                } else {
                    None
                };
                let s = self.session(name, &mut resp).await?;
                let t = Instant::now();
                let result = match (op, data) {
                    ("snapshot", _) => s
                        .snapshot_state()
                        .await
                        .map(|snap| Value::String(encode_hex(snap.data()))),
                    ("restore", Some(bytes)) => {
                        // The crate's own byte form: an 8-byte timestamp, then the guest's bytes.
                        let mut framed = vec![0u8; 8];
                        framed.extend_from_slice(&bytes);
                        match PythonStateSnapshot::from_bytes(&framed) {
                            Ok(snap) => s.restore_state(&snap).await.map(|()| Value::Null),
                            Err(e) => Err(e),
                        }
                    }
                    _ => s.clear_state().await.map(|()| Value::Null),
                };
                resp.elapsed_ms = t.elapsed().as_secs_f64() * 1000.0;
                match result {
                    Ok(v) => {
                        resp.ok = true;
                        resp.value = v;
                    }
                    Err(e) => {
                        resp.error = Value::String(error_text(&e));
                        if loses_instance(&e) {
                            self.sessions.remove(name);
                        }
                    }
                }
                Ok(resp)
            }
            "info" => {
                resp.ok = true;
                resp.value = json!({ "load_ms": self.load_ms, "use_cache": self.precompiled, "host": "eryx 0.5.0" });
                Ok(resp)
            }
            "drop" => {
                let name = session.ok_or("op 'drop' needs a 'session'")?;
                self.sessions.remove(name);
                resp.ok = true;
                Ok(resp)
            }
            "finalize_preinit" => {
                Err("op 'finalize_preinit' is not offered by the eryx 0.5 crate's API".to_string())
            }
            other => Err(format!("unknown op '{other}'")),
        }
    }
}
