//! eryx-as-host: the reference host for the eryx-as runtime component.
//!
//! This file only parses the command line; see `cli.rs` (one-shot and session
//! runs), `serve.rs` (the JSON-lines protocol), `engine.rs` (wasmtime setup),
//! `cache.rs` (the compiled-component cache) and `callbacks.rs` (the host
//! callbacks).

mod cache;
mod callbacks;
mod cli;
mod engine;
mod protocol;
mod serve;

use std::path::PathBuf;
use std::sync::Arc;

use callbacks::Registry;
use engine::{Runtime, RuntimeOptions};
use host_common::flags::Flags;
use host_common::GuestFiles;

const USAGE: &str = "\
usage: eryx-as-host [options] -c CODE
       eryx-as-host [options] FILE
       eryx-as-host [options] --session (-c CODE | FILE)...
       eryx-as-host [options] --serve

options:
  --runtime PATH         the runtime component (default dist/runtime.wasm)
  --stdlib DIR           the Python stdlib directory (default dist/python-stdlib)
  --site-packages DIR    mount DIR read-only as /site-packages-<i> (repeatable)
  --no-cache             compile the component, do not use or fill the
                         compiled-component cache ($ERYX_AS_CACHE_DIR, else
                         <runtime dir>/../build/cwasm-cache if ../build
                         exists, else a private dir in the OS temp dir)
  -c CODE                Python code to execute
  --session              run every snippet in order in one instance
  --serve                answer JSON-lines requests on stdin (see serve.rs)
  -h, --help             show this help";

enum Mode {
    Run {
        snippets: Vec<String>,
        session: bool,
    },
    Serve,
}

struct Args {
    options: RuntimeOptions,
    mode: Mode,
}

fn parse_args(argv: Vec<String>) -> Result<Option<Args>, String> {
    let mut runtime = PathBuf::from("dist/runtime.wasm");
    let mut stdlib = PathBuf::from("dist/python-stdlib");
    let mut site_packages = Vec::new();
    let mut snippets = Vec::new();
    let mut session = false;
    let mut serve = false;
    let mut use_cache = true;

    let mut flags = Flags::new(argv);
    while let Some(flag) = flags.next_arg()? {
        match flag.as_str() {
            "-h" | "--help" => return Ok(None),
            "--runtime" => runtime = PathBuf::from(flags.value()?),
            "--stdlib" => stdlib = PathBuf::from(flags.value()?),
            "--site-packages" => site_packages.push(PathBuf::from(flags.value()?)),
            "-c" => snippets.push(flags.value()?),
            "--session" => session = true,
            "--serve" => serve = true,
            "--no-cache" => use_cache = false,
            f if f.starts_with('-') && f != "-" => return Err(format!("unknown option {f}")),
            path => {
                let code = std::fs::read_to_string(path)
                    .map_err(|e| format!("cannot read {path}: {e}"))?;
                snippets.push(code);
            }
        }
    }

    let mode = if serve {
        if !snippets.is_empty() || session {
            return Err("--serve takes no code, file or --session".to_string());
        }
        Mode::Serve
    } else {
        match snippets.len() {
            0 => return Err("nothing to run: give -c CODE, a FILE, or --serve".to_string()),
            1 => {}
            _ if !session => {
                return Err("several snippets need --session".to_string());
            }
            _ => {}
        }
        Mode::Run { snippets, session }
    };
    Ok(Some(Args {
        options: RuntimeOptions {
            runtime,
            files: GuestFiles {
                stdlib,
                site_packages,
            },
            guest_stdout_to_stderr: serve,
            use_cache,
        },
        mode,
    }))
}

fn main() {
    let args = match parse_args(std::env::args().skip(1).collect()) {
        Ok(Some(a)) => a,
        Ok(None) => {
            println!("{USAGE}");
            return;
        }
        Err(e) => {
            eprintln!("eryx-as-host: {e}\n\n{USAGE}");
            std::process::exit(2);
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("eryx-as-host: cannot start tokio: {e}");
            std::process::exit(1);
        }
    };
    let code = rt.block_on(async move {
        let runtime = match Runtime::load(args.options, Arc::new(Registry::standard())) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("eryx-as-host: {e:#}");
                return 1;
            }
        };
        match args.mode {
            Mode::Run { snippets, session } => cli::run(&runtime, &snippets, session).await,
            Mode::Serve => match serve::serve(runtime).await {
                Ok(()) => 0,
                Err(e) => {
                    eprintln!("eryx-as-host: {e:#}");
                    1
                }
            },
        }
    });
    // Do not wait for abandoned callback timers when shutting down.
    rt.shutdown_background();
    std::process::exit(code);
}
