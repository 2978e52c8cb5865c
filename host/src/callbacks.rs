//! Host callbacks: the fixed test registry, the per-execute dispatcher and the
//! invocation recorder.
//!
//! The guest's `invoke` import never runs a callback itself. As in the eryx
//! 0.2.0 host, it sends a request over a channel to a handler task that runs
//! beside the execution, and awaits the reply. So a callback result almost
//! never is ready on the first poll (the guest sees a pending subtask), and
//! several callbacks can be in flight at once.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;

/// Invocations allowed per `execute` (eryx `ResourceLimits::default`).
pub const MAX_CALLBACK_INVOCATIONS: u32 = 1000;
/// Host-side timeout of one callback (eryx `ResourceLimits::default`).
pub const CALLBACK_TIMEOUT: Duration = Duration::from_secs(10);

/// Why a callback failed; the `Display` texts are the ones eryx's
/// `CallbackError` produces, and they are what the guest receives.
#[derive(Debug)]
pub enum CallbackError {
    InvalidArguments(String),
    ExecutionFailed(String),
    #[allow(dead_code)]
    NotFound(String),
    Timeout,
}

impl std::fmt::Display for CallbackError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::InvalidArguments(m) => write!(f, "invalid arguments: {m}"),
            Self::ExecutionFailed(m) => write!(f, "execution failed: {m}"),
            Self::NotFound(m) => write!(f, "callback not found: {m}"),
            Self::Timeout => write!(f, "timeout"),
        }
    }
}

/// A callback's successful payload: the exact text handed to the guest.
/// Normally compact JSON (`Value::to_string()`); the `value` callback can
/// return raw non-JSON text on purpose.
pub type Payload = String;

pub type CallbackFuture = Pin<Box<dyn Future<Output = Result<Payload, CallbackError>> + Send>>;
type Handler = fn(Value) -> CallbackFuture;

/// One registered callback.
pub struct CallbackDef {
    pub name: &'static str,
    pub description: &'static str,
    /// JSON Schema of the keyword arguments.
    pub schema: Value,
    handler: Handler,
}

impl CallbackDef {
    /// The schema as compact JSON, the form `list-callbacks` hands out.
    pub fn schema_json(&self) -> String {
        self.schema.to_string()
    }

    /// Runs the callback (here and in eryx-host/, which shares this registry).
    pub fn invoke(&self, args: Value) -> CallbackFuture {
        (self.handler)(args)
    }
}

/// The callbacks the host offers, in registration order.
pub struct Registry {
    defs: Vec<CallbackDef>,
    index: HashMap<&'static str, usize>,
}

impl Registry {
    fn new(defs: Vec<CallbackDef>) -> Self {
        let index = defs.iter().enumerate().map(|(i, d)| (d.name, i)).collect();
        Self { defs, index }
    }

    pub fn defs(&self) -> &[CallbackDef] {
        &self.defs
    }

    fn get(&self, name: &str) -> Option<&CallbackDef> {
        self.index.get(name).map(|&i| &self.defs[i])
    }

    /// The fixed set of callbacks the tests rely on, plus the test-only
    /// `fuzz` callback when `ERYX_AS_HOST_FUZZ_CALLBACK=1` (npm run fuzz).
    pub fn standard() -> Self {
        let mut defs = vec![
            CallbackDef {
                name: "echo",
                description: "Echo the message back as {\"echo\": message}.",
                schema: object_schema(
                    json!({"message": {"type": "string", "description": "Text to echo"}}),
                    &["message"],
                ),
                handler: |args| Box::pin(echo(args)),
            },
            CallbackDef {
                name: "add",
                description: "Add two numbers.",
                schema: object_schema(
                    json!({"a": {"type": "number"}, "b": {"type": "number"}}),
                    &["a", "b"],
                ),
                handler: |args| Box::pin(add(args)),
            },
            CallbackDef {
                name: "fail",
                description: "Always fails with the given message (default 'boom').",
                schema: object_schema(json!({"message": {"type": "string"}}), &[]),
                handler: |args| Box::pin(fail(args)),
            },
            CallbackDef {
                name: "sleep",
                description:
                    "Wait ms milliseconds on a host timer, then return {\"slept_ms\": ms}.",
                schema: object_schema(json!({"ms": {"type": "integer", "minimum": 0}}), &["ms"]),
                handler: |args| Box::pin(sleep(args)),
            },
            CallbackDef {
                name: "http.get",
                description: "Pretend HTTP GET: returns {\"status\": 200, \"url\": url}.",
                schema: object_schema(json!({"url": {"type": "string"}}), &["url"]),
                handler: |args| Box::pin(http_get(args)),
            },
            CallbackDef {
                name: "defaults",
                description:
                    "Only optional arguments: greeting (default 'hello'), count (default 1).",
                schema: object_schema(
                    json!({
                        "greeting": {"type": "string", "default": "hello"},
                        "count": {"type": "integer", "default": 1}
                    }),
                    &[],
                ),
                handler: |args| Box::pin(defaults(args)),
            },
            CallbackDef {
                name: "value",
                description: "Return a JSON value of the given kind: string, number, int, null, \
                              bool, list, nested, or invalid (non-JSON text).",
                schema: object_schema(
                    json!({"kind": {"type": "string", "enum": [
                        "string", "number", "int", "null", "bool", "list", "nested", "invalid"
                    ]}}),
                    &["kind"],
                ),
                handler: |args| Box::pin(value(args)),
            },
        ];
        if std::env::var_os(FUZZ_CALLBACK_ENV).is_some_and(|v| v == "1") {
            defs.push(fuzz_def());
        }
        Self::new(defs)
    }
}

fn object_schema(properties: Value, required: &[&str]) -> Value {
    json!({"type": "object", "properties": properties, "required": required})
}

fn parse<T: for<'de> Deserialize<'de>>(args: Value) -> Result<T, CallbackError> {
    serde_json::from_value(args).map_err(|e| CallbackError::InvalidArguments(e.to_string()))
}

#[derive(Deserialize)]
struct MessageArgs {
    message: String,
}

#[derive(Deserialize)]
struct OptMessageArgs {
    #[serde(default)]
    message: Option<String>,
}

#[derive(Deserialize)]
struct AddArgs {
    a: serde_json::Number,
    b: serde_json::Number,
}

#[derive(Deserialize)]
struct SleepArgs {
    ms: u64,
}

#[derive(Deserialize)]
struct UrlArgs {
    url: String,
}

#[derive(Deserialize)]
struct DefaultsArgs {
    #[serde(default = "default_greeting")]
    greeting: String,
    #[serde(default = "default_count")]
    count: i64,
}

fn default_greeting() -> String {
    "hello".to_string()
}

fn default_count() -> i64 {
    1
}

#[derive(Deserialize)]
struct KindArgs {
    kind: String,
}

async fn echo(args: Value) -> Result<Payload, CallbackError> {
    let a: MessageArgs = parse(args)?;
    Ok(json!({"echo": a.message}).to_string())
}

async fn add(args: Value) -> Result<Payload, CallbackError> {
    let a: AddArgs = parse(args)?;
    // Integers add as integers (2 + 3 -> 5), anything else as floats, the way
    // Python would.
    let v = match (a.a.as_i64(), a.b.as_i64()) {
        (Some(x), Some(y)) if x.checked_add(y).is_some() => json!(x + y),
        _ => {
            let x = a.a.as_f64().unwrap_or(f64::NAN);
            let y = a.b.as_f64().unwrap_or(f64::NAN);
            json!(x + y)
        }
    };
    Ok(v.to_string())
}

async fn fail(args: Value) -> Result<Payload, CallbackError> {
    let a: OptMessageArgs = parse(args)?;
    Err(CallbackError::ExecutionFailed(
        a.message.unwrap_or_else(|| "boom".to_string()),
    ))
}

async fn sleep(args: Value) -> Result<Payload, CallbackError> {
    let a: SleepArgs = parse(args)?;
    tokio::time::sleep(Duration::from_millis(a.ms)).await;
    Ok(json!({"slept_ms": a.ms}).to_string())
}

async fn http_get(args: Value) -> Result<Payload, CallbackError> {
    let a: UrlArgs = parse(args)?;
    Ok(json!({"status": 200, "url": a.url}).to_string())
}

async fn defaults(args: Value) -> Result<Payload, CallbackError> {
    let a: DefaultsArgs = parse(args)?;
    Ok(json!({"greeting": a.greeting, "count": a.count}).to_string())
}

async fn value(args: Value) -> Result<Payload, CallbackError> {
    let a: KindArgs = parse(args)?;
    let v = match a.kind.as_str() {
        "string" => json!("text with ''' and \\ and \" quotes"),
        "number" => json!(3.5),
        "int" => json!(7),
        "null" => Value::Null,
        "bool" => json!(true),
        "list" => json!([1, "two", null]),
        "nested" => json!({"a": {"b": [1, 2, {"c": null}]}}),
        "invalid" => return Ok("not json {".to_string()),
        other => {
            return Err(CallbackError::InvalidArguments(format!(
                "unknown kind '{other}'"
            )))
        }
    };
    Ok(v.to_string())
}

/// Setting this to `1` registers the test-only `fuzz` callback. It is not
/// part of the eryx host; tests that list callbacks run without it.
pub const FUZZ_CALLBACK_ENV: &str = "ERYX_AS_HOST_FUZZ_CALLBACK";
/// Largest `size` the `fuzz` callback honours (bytes or nesting levels).
const FUZZ_MAX_SIZE: u64 = 64 * 1024 * 1024;

fn fuzz_def() -> CallbackDef {
    CallbackDef {
        name: "fuzz",
        description: "Test only: answers hostile data of the given kind (json, deep, huge, text, \
                      surrogate, empty, fail, slow), chosen by seed, size bytes or levels.",
        schema: object_schema(
            json!({
                "kind": {"type": "string"},
                "seed": {"type": "integer", "minimum": 0},
                "size": {"type": "integer", "minimum": 0}
            }),
            &["kind"],
        ),
        handler: |args| Box::pin(fuzz(args)),
    }
}

#[derive(Deserialize)]
struct FuzzArgs {
    kind: String,
    #[serde(default)]
    seed: u64,
    #[serde(default)]
    size: u64,
}

/// SplitMix64: a seeded generator, so one `(kind, seed, size)` always
/// answers the same bytes (a fuzz failure reproduces from its seed).
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// Text that is valid UTF-8 (a Rust `String`, as the canonical ABI requires)
/// but hostile: NUL, controls, quotes, escapes, right-to-left marks, astral.
fn fuzz_text(rng: &mut SplitMix, len: usize) -> String {
    const POOL: &[char] = &[
        'a',
        'Z',
        '0',
        ' ',
        '\0',
        '\n',
        '\r',
        '\t',
        '"',
        '\\',
        '{',
        '}',
        '[',
        '\'',
        '\u{7f}',
        '\u{e9}',
        '\u{202e}',
        '\u{fffd}',
        '\u{ffff}',
        '\u{1f600}',
        '\u{10ffff}',
    ];
    (0..len)
        .map(|_| POOL[rng.below(POOL.len() as u64) as usize])
        .collect()
}

fn fuzz_json(rng: &mut SplitMix, depth: u32) -> Value {
    let leaf_only = depth >= 6;
    match rng.below(if leaf_only { 6 } else { 8 }) {
        0 => Value::Null,
        1 => json!(rng.below(2) == 1),
        2 => json!(rng.next() as i64),
        3 => json!(f64::from_bits(rng.next())), // NaN and infinities become null
        4 => json!(rng.next()),
        5 => {
            let len = rng.below(40) as usize;
            json!(fuzz_text(rng, len))
        }
        6 => Value::Array(
            (0..rng.below(5))
                .map(|_| fuzz_json(rng, depth + 1))
                .collect(),
        ),
        _ => {
            let mut map = serde_json::Map::new();
            for _ in 0..rng.below(5) {
                let len = rng.below(12) as usize;
                map.insert(fuzz_text(rng, len), fuzz_json(rng, depth + 1));
            }
            Value::Object(map)
        }
    }
}

async fn fuzz(args: Value) -> Result<Payload, CallbackError> {
    let a: FuzzArgs = parse(args)?;
    let mut rng = SplitMix(a.seed);
    let size = a.size.min(FUZZ_MAX_SIZE) as usize;
    match a.kind.as_str() {
        "json" => Ok(fuzz_json(&mut rng, 0).to_string()),
        "deep" => Ok("[".repeat(size) + &"]".repeat(size)),
        "huge" => Ok(Value::String("x".repeat(size)).to_string()),
        "text" => Ok(fuzz_text(&mut rng, size)),
        // Valid JSON whose decoded string holds lone surrogates.
        "surrogate" => Ok(r#""\ud800 \udfff""#.to_string()),
        "empty" => Ok(String::new()),
        "fail" => Err(CallbackError::ExecutionFailed(fuzz_text(&mut rng, size))),
        "slow" => {
            tokio::time::sleep(Duration::from_millis(rng.below(50))).await;
            Ok(fuzz_json(&mut rng, 0).to_string())
        }
        other => Err(CallbackError::InvalidArguments(format!(
            "unknown kind '{other}'"
        ))),
    }
}

/// What the `invoke` import sends to the handler task.
pub struct CallbackRequest {
    pub name: String,
    pub arguments_json: String,
    pub reply: oneshot::Sender<Result<String, String>>,
}

/// One invocation as seen by the host, times in ms since the execute began.
#[derive(Clone, Debug)]
pub struct CallbackRecord {
    pub name: String,
    pub args: String,
    pub start_ms: f64,
    /// `None` when the execution ended before the callback finished.
    pub end_ms: Option<f64>,
}

impl CallbackRecord {
    pub fn to_json(&self) -> Value {
        json!({
            "name": self.name,
            "args": self.args,
            "start_ms": self.start_ms,
            "end_ms": self.end_ms,
        })
    }
}

/// The handler task of one `execute`.
pub struct CallbackHandler {
    task: tokio::task::JoinHandle<()>,
    stop: oneshot::Sender<()>,
    records: Arc<Mutex<Vec<CallbackRecord>>>,
}

impl CallbackHandler {
    /// Start a handler whose clock starts at `started`; returns it with the
    /// sender the `invoke` import uses.
    pub fn start(
        registry: Arc<Registry>,
        started: Instant,
    ) -> (Self, mpsc::Sender<CallbackRequest>) {
        let (tx, rx) = mpsc::channel(64);
        let (stop, stopped) = oneshot::channel();
        let records = Arc::new(Mutex::new(Vec::new()));
        let task = tokio::spawn(run_handler(rx, stopped, registry, started, records.clone()));
        (
            Self {
                task,
                stop,
                records,
            },
            tx,
        )
    }

    /// The execution is over: stop the handler, abandon callbacks still
    /// running (their `end_ms` stays `None`) and return the records.
    pub async fn finish(self) -> Vec<CallbackRecord> {
        let _ = self.stop.send(());
        let _ = self.task.await;
        let records = self.records.lock().unwrap_or_else(|e| e.into_inner());
        records.clone()
    }
}

fn ms_since(started: Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1000.0
}

async fn run_handler(
    mut rx: mpsc::Receiver<CallbackRequest>,
    mut stopped: oneshot::Receiver<()>,
    registry: Arc<Registry>,
    started: Instant,
    records: Arc<Mutex<Vec<CallbackRecord>>>,
) {
    let mut count: u32 = 0;
    let mut in_flight = JoinSet::new();
    loop {
        tokio::select! {
            biased;
            _ = &mut stopped => break,
            req = rx.recv() => {
                let Some(req) = req else { break };
                let index = {
                    let mut r = records.lock().unwrap_or_else(|e| e.into_inner());
                    r.push(CallbackRecord {
                        name: req.name.clone(),
                        args: req.arguments_json.clone(),
                        start_ms: ms_since(started),
                        end_ms: None,
                    });
                    r.len() - 1
                };
                let finish = {
                    let records = records.clone();
                    move || {
                        let mut r = records.lock().unwrap_or_else(|e| e.into_inner());
                        r[index].end_ms = Some(ms_since(started));
                    }
                };
                // Same checks, in the same order, as eryx 0.2.0's handler.
                let current = count;
                count = count.saturating_add(1);
                if current >= MAX_CALLBACK_INVOCATIONS {
                    finish();
                    let _ = req.reply.send(Err(format!(
                        "Callback limit exceeded ({MAX_CALLBACK_INVOCATIONS} invocations)"
                    )));
                    continue;
                }
                let Some(def) = registry.get(&req.name) else {
                    finish();
                    let _ = req.reply.send(Err(format!("Callback '{}' not found", req.name)));
                    continue;
                };
                let args: Value = match serde_json::from_str(&req.arguments_json) {
                    Ok(v) => v,
                    Err(e) => {
                        finish();
                        let _ = req.reply.send(Err(format!("Invalid arguments JSON: {e}")));
                        continue;
                    }
                };
                let fut = def.invoke(args);
                in_flight.spawn(async move {
                    let result = match tokio::time::timeout(CALLBACK_TIMEOUT, fut).await {
                        Ok(r) => r,
                        Err(_) => Err(CallbackError::Timeout),
                    };
                    finish();
                    let _ = req.reply.send(result.map_err(|e| e.to_string()));
                });
            }
            Some(_) = in_flight.join_next(), if !in_flight.is_empty() => {}
        }
    }
    // The execution is over: nobody can receive the remaining replies.
    // Requests that arrived but were not started are recorded as abandoned.
    while let Ok(req) = rx.try_recv() {
        let mut r = records.lock().unwrap_or_else(|e| e.into_inner());
        r.push(CallbackRecord {
            name: req.name,
            args: req.arguments_json,
            start_ms: ms_since(started),
            end_ms: None,
        });
    }
    in_flight.shutdown().await;
}
