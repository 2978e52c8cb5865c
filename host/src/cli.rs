//! One-shot and session runs from the command line.

use std::io::Write as _;

use crate::engine::{Outcome, Runtime, ONE_SHOT_MEMORY_LIMIT};

/// Print an `execute` Ok value the way the CLI promises: the value and a
/// newline, nothing at all for an empty value.
fn print_value(value: &str) {
    if value.is_empty() {
        return;
    }
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(value.as_bytes());
    let _ = out.write_all(b"\n");
    let _ = out.flush();
}

fn print_error(error: &str) {
    let mut err = std::io::stderr().lock();
    let _ = err.write_all(error.as_bytes());
    if !error.ends_with('\n') {
        let _ = err.write_all(b"\n");
    }
    let _ = err.flush();
}

/// Run the snippets in order. Without `session` there is exactly one snippet
/// and it runs in a fresh instance with the one-shot memory limit; with
/// `session` all run in one instance (no memory limit). Returns the process
/// exit code: 0, or 1 at the first error.
pub async fn run(runtime: &Runtime, snippets: &[String], session: bool) -> i32 {
    let limit = if session {
        None
    } else {
        Some(ONE_SHOT_MEMORY_LIMIT)
    };
    let mut instance = match runtime.instantiate(limit).await {
        Ok(i) => i,
        Err(e) => {
            print_error(&format!("{e:#}"));
            return 1;
        }
    };
    for code in snippets {
        let report = instance.execute(code).await;
        match report.outcome {
            Outcome::Ok(v) => print_value(&v),
            Outcome::Err(e) | Outcome::Trap(e) => {
                print_error(&e);
                return 1;
            }
        }
    }
    0
}
