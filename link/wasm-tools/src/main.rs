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

/// A command's arguments: options with a value (in order, repeatable), switches, positionals.
struct Arguments {
    values: Vec<(String, String)>,
    switches: Vec<String>,
    positional: Vec<String>,
}

impl Arguments {
    /// Splits `args` by the options `command` takes; any other `-…` is an error naming it
    /// (a lone `-` is a positional: stdin).
    fn parse(
        command: &str,
        args: &[String],
        with_value: &[&str],
        switches: &[&str],
    ) -> Result<Self> {
        let mut parsed = Arguments {
            values: Vec::new(),
            switches: Vec::new(),
            positional: Vec::new(),
        };
        let mut it = args.iter();
        while let Some(arg) = it.next() {
            let a = arg.as_str();
            if with_value.contains(&a) {
                let value = it
                    .next()
                    .with_context(|| format!("{command}: {a} needs a value"))?;
                parsed.values.push((a.to_string(), value.clone()));
            } else if switches.contains(&a) {
                parsed.switches.push(a.to_string());
            } else if a.starts_with('-') && a != "-" {
                bail!("{command}: unsupported option {a}");
            } else {
                parsed.positional.push(arg.clone());
            }
        }
        Ok(parsed)
    }

    /// Every value given to one of `flags`, in order.
    fn all<'a>(&'a self, flags: &'a [&'a str]) -> impl Iterator<Item = &'a str> + 'a {
        self.values
            .iter()
            .filter(move |(f, _)| flags.contains(&f.as_str()))
            .map(|(_, v)| v.as_str())
    }

    /// The last value given to one of `flags`.
    fn last<'a>(&'a self, flags: &'a [&'a str]) -> Option<&'a str> {
        self.all(flags).last()
    }

    fn has(&self, switch: &str) -> bool {
        self.switches.iter().any(|s| s == switch)
    }
}

/// The WIT package at `path` (a directory or a file) and its world `name` (the only one if None).
fn load_world(
    path: &str,
    name: Option<&str>,
) -> Result<(wit_parser::Resolve, wit_parser::WorldId)> {
    let mut resolve = wit_parser::Resolve::default();
    let (package, _) = resolve.push_path(path)?;
    let world = resolve.select_world(&[package], name)?;
    Ok((resolve, world))
}

/// `wasm-tools wit-dylib`: the world's bindings library naming its interpreter, with the world's
/// type information embedded (UTF-8 strings).
fn wit_dylib(args: &[String]) -> Result<()> {
    let args = Arguments::parse("wit-dylib", args, &["--interpreter", "-o"], &[])?;
    // wasm-tools takes an input file after the WIT directory and does not read it.
    let wit = args
        .positional
        .first()
        .context("wit-dylib: no WIT directory")?;
    let out = args.last(&["-o"]).context("wit-dylib: no -o")?;
    let (resolve, world) = load_world(wit, None)?;
    let mut opts = wit_dylib::DylibOpts {
        interpreter: args.last(&["--interpreter"]).map(str::to_string),
        ..Default::default()
    };
    let mut wasm = wit_dylib::create(&resolve, world, Some(&mut opts));
    opts.async_.ensure_all_used()?;
    embed_component_metadata(&mut wasm, &resolve, world, StringEncoding::UTF8)?;
    write(out, &wasm)
}

/// `wasm-tools component embed`: the world's type information as a custom section of a module.
fn component_embed(args: &[String]) -> Result<()> {
    let args = Arguments::parse("component embed", args, &["--world", "-w", "-o"], &[])?;
    let ([wit, module], Some(out)) = (args.positional.as_slice(), args.last(&["-o"])) else {
        bail!("component embed: expected <wit-path> <module> -o <out>");
    };
    let (resolve, world) = load_world(wit, args.last(&["--world", "-w"]))?;
    let mut wasm = wasm_input(module)?;
    embed_component_metadata(&mut wasm, &resolve, world, StringEncoding::UTF8)?;
    write(out, &wasm)
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
    let args = Arguments::parse(
        "component link",
        args,
        &["--adapt", "--dl-openable", "-o"],
        &[
            "--use-built-in-libdl",
            "--stub-missing-functions",
            "--validate",
        ],
    )?;
    let out = args.last(&["-o"]).context("component link: no -o")?;
    let mut linker = Linker::default()
        .validate(true)
        .debug_names(true)
        .use_built_in_libdl(args.has("--use-built-in-libdl"))
        .stub_missing_functions(args.has("--stub-missing-functions"));
    for file in &args.positional {
        let (name, wasm) = named_file(file)?;
        linker = linker.library(&name, &wasm, false)?;
    }
    for file in args.all(&["--dl-openable"]) {
        let (name, wasm) = named_file(file)?;
        linker = linker.library(&name, &wasm, true)?;
    }
    for file in args.all(&["--adapt"]) {
        let (name, wasm) = named_file(file)?;
        linker = linker.adapter(&name, &wasm)?;
    }
    let bytes = linker
        .encode()
        .context("failed to encode a component from modules")?;
    write(out, &bytes)
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
