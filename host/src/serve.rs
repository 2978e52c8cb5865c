//! `--serve`: a JSON-lines protocol on stdin/stdout.
//!
//! One request per line, one response line per request (flushed), until EOF;
//! a line that is not UTF-8 or not a JSON object gets an error response.
//! Request: `{"id": any, "op": str, "code"?: str, "session"?: str, "hex"?: str}`;
//! ops: execute, snapshot, restore, clear, finalize_preinit, drop (a session),
//! info (`{"load_ms", "use_cache"}`: how long loading the component took).
//! Response: `{"id", "ok", "value", "error", "trace", "callbacks",
//! "elapsed_ms", "peak_memory_bytes", "instantiate_ms"}`.

use std::collections::HashMap;
use std::io::Write as _;
use std::time::Instant;

use serde_json::{json, Map, Value};
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::engine::{Instance, Outcome, RawTrace, Runtime, ONE_SHOT_MEMORY_LIMIT};
use crate::protocol::{decode_hex, encode_hex, str_field};

/// A response under construction; every field is always present on the wire.
/// Written out as it is (no JSON value tree of millions of trace events).
#[derive(serde::Serialize)]
struct Response {
    id: Value,
    ok: bool,
    value: Value,
    error: Value,
    trace: Vec<RawTrace>,
    callbacks: Vec<Value>,
    elapsed_ms: f64,
    peak_memory_bytes: u64,
    instantiate_ms: Option<f64>,
}

impl Response {
    fn new(id: Value) -> Self {
        Self {
            id,
            ok: false,
            value: Value::Null,
            error: Value::Null,
            trace: Vec::new(),
            callbacks: Vec::new(),
            elapsed_ms: 0.0,
            peak_memory_bytes: 0,
            instantiate_ms: None,
        }
    }

    fn fail(mut self, error: impl Into<String>) -> Self {
        self.ok = false;
        self.error = Value::String(error.into());
        self
    }
}

struct Server {
    runtime: Runtime,
    sessions: HashMap<String, Instance>,
}

/// Read requests from stdin until EOF.
pub async fn serve(runtime: Runtime) -> anyhow::Result<()> {
    let mut server = Server {
        runtime,
        sessions: HashMap::new(),
    };
    let mut input = BufReader::new(tokio::io::stdin());
    let mut bytes = Vec::new();
    loop {
        bytes.clear();
        if input.read_until(b'\n', &mut bytes).await? == 0 {
            break;
        }
        // A line that is not UTF-8 is answered like any other bad request:
        // the host stays up for the next line (and the sessions in it).
        let response = match std::str::from_utf8(&bytes) {
            Ok(line) if line.trim().is_empty() => continue,
            Ok(line) => server.handle_line(line).await,
            Err(e) => Response::new(Value::Null).fail(format!("invalid request: not UTF-8: {e}")),
        };
        let mut out = std::io::stdout().lock();
        serde_json::to_writer(&mut out, &response)?;
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

    /// The instance of a named session, created on first use.
    async fn session(&mut self, name: &str, resp: &mut Response) -> Result<&mut Instance, String> {
        if !self.sessions.contains_key(name) {
            let t = Instant::now();
            let instance = self
                .runtime
                .instantiate(None)
                .await
                .map_err(|e| format!("{e:#}"))?;
            resp.instantiate_ms = Some(t.elapsed().as_secs_f64() * 1000.0);
            self.sessions.insert(name.to_string(), instance);
        }
        Ok(self.sessions.get_mut(name).expect("session just inserted"))
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
                match session {
                    Some(name) => {
                        let instance = self.session(name, &mut resp).await?;
                        let report = instance.execute(code).await;
                        let trapped = matches!(report.outcome, Outcome::Trap(_));
                        fill_exec(&mut resp, report);
                        if trapped {
                            self.sessions.remove(name);
                        }
                    }
                    None => {
                        let t = Instant::now();
                        let mut instance = self
                            .runtime
                            .instantiate(Some(ONE_SHOT_MEMORY_LIMIT))
                            .await
                            .map_err(|e| format!("{e:#}"))?;
                        resp.instantiate_ms = Some(t.elapsed().as_secs_f64() * 1000.0);
                        let report = instance.execute(code).await;
                        fill_exec(&mut resp, report);
                    }
                }
                Ok(resp)
            }
            "snapshot" | "restore" | "clear" | "finalize_preinit" => {
                let name = session.ok_or_else(|| format!("op '{op}' needs a 'session'"))?;
                let data = if op == "restore" {
                    let hex = str_field(req, "hex")?.ok_or("missing field 'hex'")?;
                    Some(decode_hex(hex)?)
                } else {
                    None
                };
                let instance = self.session(name, &mut resp).await?;
                let started = Instant::now();
                let outcome = match (op, data) {
                    ("snapshot", _) => match instance.snapshot_state().await {
                        Outcome::Ok(bytes) => Outcome::Ok(Value::String(encode_hex(&bytes))),
                        Outcome::Err(e) => Outcome::Err(e),
                        Outcome::Trap(e) => Outcome::Trap(e),
                    },
                    ("restore", Some(bytes)) => unit(instance.restore_state(bytes).await),
                    ("clear", _) => unit(instance.clear_state().await),
                    _ => unit(instance.finalize_preinit().await),
                };
                resp.elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
                resp.peak_memory_bytes = instance.peak_memory_bytes();
                match outcome {
                    Outcome::Ok(v) => {
                        resp.ok = true;
                        resp.value = v;
                    }
                    Outcome::Err(e) => resp.error = Value::String(e),
                    Outcome::Trap(e) => {
                        resp.error = Value::String(e);
                        self.sessions.remove(name);
                    }
                }
                Ok(resp)
            }
            "info" => {
                // How long loading the component took (compiling it, with
                // --no-cache), for benchmarks.
                resp.ok = true;
                resp.value = json!({ "load_ms": self.runtime.load_ms, "use_cache": self.runtime.uses_cache() });
                Ok(resp)
            }
            "drop" => {
                let name = session.ok_or("op 'drop' needs a 'session'")?;
                self.sessions.remove(name);
                resp.ok = true;
                Ok(resp)
            }
            other => Err(format!("unknown op '{other}'")),
        }
    }
}

fn unit(o: Outcome<()>) -> Outcome<Value> {
    match o {
        Outcome::Ok(()) => Outcome::Ok(Value::Null),
        Outcome::Err(e) => Outcome::Err(e),
        Outcome::Trap(e) => Outcome::Trap(e),
    }
}

fn fill_exec(resp: &mut Response, report: crate::engine::ExecReport) {
    match report.outcome {
        Outcome::Ok(v) => {
            resp.ok = true;
            resp.value = Value::String(v);
        }
        Outcome::Err(e) | Outcome::Trap(e) => {
            resp.ok = false;
            resp.error = Value::String(e);
        }
    }
    resp.trace = report.trace;
    resp.callbacks = report.callbacks.iter().map(|c| c.to_json()).collect();
    resp.elapsed_ms = report.elapsed_ms;
    resp.peak_memory_bytes = report.peak_memory_bytes;
}
