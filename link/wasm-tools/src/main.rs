//! The wasm-tools 1.243.0 subcommands the link runs, with wasm-tools' own arguments and the calls
//! its command line makes into the same library crates (src/bin/wasm-tools/{wit_dylib, component,
//! validate, print}.rs in the wasm-tools 1.243.0 package):
//!
//!   eryx-as-wasm-tools wit-dylib <wit-dir> --interpreter <name> -o <out.so> [<ignored input>]
//!   eryx-as-wasm-tools component link [--use-built-in-libdl] [--stub-missing-functions] [--validate]
//!       [--adapt [NAME=]FILE]... [--dl-openable [NAME=]FILE]... [NAME=]FILE... -o <out.wasm>
//!   eryx-as-wasm-tools component wit <component.wasm>
//!   eryx-as-wasm-tools component embed <wit-path> [--world <name>] <module> -o <out.wasm>
//!   eryx-as-wasm-tools component new <module> -o <out.wasm>
//!   eryx-as-wasm-tools parse <file.wat|-> -o <out.wasm>
//!   eryx-as-wasm-tools validate <file.wasm>
//!   eryx-as-wasm-tools print --skeleton <file.wasm>
//!   eryx-as-wasm-tools --version            (prints "wasm-tools 1.243.0", the version it matches)
//!
//! The link itself runs the first four; the tests also build small modules from text with the
//! last three. Libraries given to `component link` and `--adapt` are read as binaries; other inputs
//! may be text or binary, as in wasm-tools.

use anyhow::{bail, Context, Result};
use std::path::Path;
use wit_component::{embed_component_metadata, Linker, StringEncoding};

/// The wasm-tools release whose commands (and library crates) these are.
const MATCHES_WASM_TOOLS: &str = "1.243.0";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Err(e) = run(&args) {
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}

fn run(args: &[String]) -> Result<()> {
    match args {
        [v] if v == "--version" => {
            println!("wasm-tools {MATCHES_WASM_TOOLS} (eryx-as-wasm-tools)");
            Ok(())
        }
        [cmd, rest @ ..] if cmd == "wit-dylib" => wit_dylib(rest),
        [cmd, sub, rest @ ..] if cmd == "component" && sub == "link" => component_link(rest),
        [cmd, sub, file] if cmd == "component" && sub == "wit" => component_wit(file),
        [cmd, sub, rest @ ..] if cmd == "component" && sub == "embed" => component_embed(rest),
        [cmd, sub, module, o, out] if cmd == "component" && sub == "new" && o == "-o" => component_new(module, out),
        [cmd, input, o, out] if cmd == "parse" && o == "-o" => write(out, &wasm_input(input)?),
        [cmd, file] if cmd == "validate" => validate(&read(file)?).with_context(|| format!("{file} is not valid")),
        [cmd, flag, file] if cmd == "print" && flag == "--skeleton" => print_skeleton(file),
        _ => bail!("unsupported arguments {args:?}; this is not all of wasm-tools (src/main.rs lists what is)"),
    }
}

fn read(path: &str) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("failed to read `{path}`"))
}

fn write(path: &str, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).with_context(|| format!("failed to write `{path}`"))
}

/// A module from a file (or `-`, stdin), in the binary or the text format.
fn wasm_input(path: &str) -> Result<Vec<u8>> {
    if path == "-" {
        let mut text = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut text)
            .context("failed to read <stdin>")?;
        return Ok(wat::parse_bytes(&text)?.into_owned());
    }
    Ok(wat::parse_file(path)?)
}

/// wasm-tools' `[NAME=]FILE`: the name defaults to the file's name.
fn named_file(arg: &str) -> Result<(String, Vec<u8>)> {
    let (name, path) = match arg.split_once('=') {
        Some((name, path)) => (name.to_string(), path),
        None => (
            Path::new(arg)
                .file_name()
                .context("no file name")?
                .to_string_lossy()
                .into_owned(),
            arg,
        ),
    };
    Ok((name, read(path)?))
}

/// `wasm-tools validate`: the default feature set (every proposal at phase 4 or later).
fn validate(wasm: &[u8]) -> Result<()> {
    wasmparser::Validator::new().validate_all(wasm)?;
    Ok(())
}

/// `wasm-tools wit-dylib`: the world's bindings library naming its interpreter, with the world's
/// type information embedded (UTF-8 strings).
fn wit_dylib(args: &[String]) -> Result<()> {
    let (mut wit, mut interpreter, mut out) = (None, None, None);
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--interpreter" => {
                interpreter = Some(it.next().context("--interpreter needs a value")?.clone())
            }
            "-o" => out = Some(it.next().context("-o needs a value")?.clone()),
            flag if flag.starts_with('-') => bail!("wit-dylib: unsupported option {flag}"),
            // wasm-tools takes an input file here and does not read it.
            path if wit.is_none() => wit = Some(path.to_string()),
            _ => {}
        }
    }
    let (wit, out) = (
        wit.context("wit-dylib: no WIT directory")?,
        out.context("wit-dylib: no -o")?,
    );
    let mut resolve = wit_parser::Resolve::default();
    let (package, _) = resolve.push_path(&wit)?;
    let world = resolve.select_world(&[package], None)?;
    let mut opts = wit_dylib::DylibOpts {
        interpreter,
        ..Default::default()
    };
    let mut wasm = wit_dylib::create(&resolve, world, Some(&mut opts));
    opts.async_.ensure_all_used()?;
    embed_component_metadata(&mut wasm, &resolve, world, StringEncoding::UTF8)?;
    write(&out, &wasm)
}

/// `wasm-tools component embed`: the world's type information as a custom section of a module.
fn component_embed(args: &[String]) -> Result<()> {
    let (mut positional, mut world, mut out) = (Vec::new(), None, None);
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--world" | "-w" => world = Some(it.next().context("--world needs a value")?.clone()),
            "-o" => out = Some(it.next().context("-o needs a value")?.clone()),
            flag if flag.starts_with('-') && flag != "-" => {
                bail!("component embed: unsupported option {flag}")
            }
            other => positional.push(other.to_string()),
        }
    }
    let ([wit, module], Some(out)) = (positional.as_slice(), out) else {
        bail!("component embed: expected <wit-path> <module> -o <out>");
    };
    let mut resolve = wit_parser::Resolve::default();
    let (package, _) = resolve.push_path(wit)?;
    let world = resolve.select_world(&[package], world.as_deref())?;
    let mut wasm = wasm_input(module)?;
    embed_component_metadata(&mut wasm, &resolve, world, StringEncoding::UTF8)?;
    write(&out, &wasm)
}

/// `wasm-tools component new`: a module with embedded type information → a component (validated).
fn component_new(module: &str, out: &str) -> Result<()> {
    let wasm = wasm_input(module)?;
    let bytes = wit_component::ComponentEncoder::default()
        .validate(true)
        .module(&wasm)?
        .encode()
        .context("failed to encode a component from module")?;
    write(out, &bytes)
}

/// `wasm-tools component link`: wit-component's linker with wasm-tools' defaults (output
/// validated, debug names on); libraries, then dl-openable ones, then adapters, in that order.
fn component_link(args: &[String]) -> Result<()> {
    let mut linker = Linker::default().validate(true).debug_names(true);
    let (mut libraries, mut dl_openable, mut adapters, mut out) =
        (Vec::new(), Vec::new(), Vec::new(), None);
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || it.next().with_context(|| format!("{arg} needs a value"));
        match arg.as_str() {
            "--use-built-in-libdl" => linker = linker.use_built_in_libdl(true),
            "--stub-missing-functions" => linker = linker.stub_missing_functions(true),
            "--validate" => {}
            "--adapt" => adapters.push(named_file(value()?)?),
            "--dl-openable" => dl_openable.push(named_file(value()?)?),
            "-o" => out = Some(value()?.clone()),
            flag if flag.starts_with('-') => bail!("component link: unsupported option {flag}"),
            file => libraries.push(named_file(file)?),
        }
    }
    let out = out.context("component link: no -o")?;
    for (name, wasm) in &libraries {
        linker = linker.library(name, wasm, false)?;
    }
    for (name, wasm) in &dl_openable {
        linker = linker.library(name, wasm, true)?;
    }
    for (name, wasm) in &adapters {
        linker = linker.adapter(name, wasm)?;
    }
    let bytes = linker
        .encode()
        .context("failed to encode a component from modules")?;
    write(&out, &bytes)
}

/// `wasm-tools component wit` of a component binary: its world as WIT text, docs included, the
/// packages it uses nested after its own.
fn component_wit(file: &str) -> Result<()> {
    let decoded = wit_component::decode(&read(file)?)?;
    let resolve = decoded.resolve();
    let others: Vec<_> = resolve
        .packages
        .iter()
        .map(|(id, _)| id)
        .filter(|id| *id != decoded.package())
        .collect();
    let mut printer = wit_component::WitPrinter::default();
    printer.emit_docs(true);
    printer.print(resolve, decoded.package(), &others)?;
    print!("{}", printer.output);
    Ok(())
}

/// `wasm-tools print --skeleton`: the text form without function bodies and data.
fn print_skeleton(file: &str) -> Result<()> {
    let wasm = read(file)?;
    let mut config = wasmprinter::Config::new();
    config.print_skeleton(true);
    let mut text = String::new();
    config.print(&wasm, &mut wasmprinter::PrintFmtWrite(&mut text))?;
    print!("{text}");
    Ok(())
}
