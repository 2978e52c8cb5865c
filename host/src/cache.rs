//! Cache of the compiled component, so that only the first start after a
//! component or host change pays for Cranelift (several seconds for
//! `dist/runtime.wasm`).
//!
//! * Key: the sha256 of the component bytes (first 16 hex digits) and the
//!   wasmtime version: `runtime-<hash>-<wasmtime version>.cwasm`.
//! * Directory: `$ERYX_AS_CACHE_DIR` if set and not empty, else
//!   `<dir of the component>/../build/cwasm-cache/` when
//!   `<dir of the component>/../build` exists, else a private per-user
//!   directory `eryx-as-cwasm-cache-<uid>` in the OS temp dir.
//! * A hit is loaded with `Component::deserialize_file` (mmap). An artifact
//!   wasmtime refuses (other engine config, CPU features, version, corrupt)
//!   is recompiled and overwritten.
//! * A miss compiles the bytes that were hashed, then writes the artifact to a
//!   temp file in the cache directory and renames it into place, so readers
//!   never see a partial file and processes that have the old file mapped
//!   keep a valid mapping. Concurrent cold starts wait on a lock file instead
//!   of all compiling at once.
//! * Nothing here fails a run: cache problems are warnings on stderr and the
//!   component is compiled as if there were no cache. Nothing goes to stdout.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context as _, Result};
use sha2::{Digest as _, Sha256};
use wasmtime::component::Component;
use wasmtime::Engine;

/// The wasmtime version this host is built with (the workspace pin, see
/// `build.rs`).
pub const WASMTIME_VERSION: &str = env!("WASMTIME_VERSION");
/// Environment variable that overrides the cache directory.
pub const CACHE_DIR_ENV: &str = "ERYX_AS_CACHE_DIR";
/// Artifacts kept per cache directory (newest by mtime); older ones are
/// removed whenever a new one is written.
const KEEP_ARTIFACTS: usize = 4;
/// Leftover temp and lock files older than this are removed.
const STALE_AFTER: Duration = Duration::from_secs(3600);
/// How long a cold start waits for another process compiling the same
/// component before compiling itself.
const LOCK_WAIT: Duration = Duration::from_secs(120);

fn warn(msg: impl std::fmt::Display) {
    eprintln!("eryx-as-host: warning: {msg}");
}

/// Load the component at `path`, through the cache unless `use_cache` is
/// false.
pub fn load_component(engine: &Engine, path: &Path, use_cache: bool) -> Result<Component> {
    if !use_cache {
        return Component::from_file(engine, path)
            .with_context(|| format!("loading component {}", path.display()));
    }
    let bytes = fs::read(path).with_context(|| format!("reading component {}", path.display()))?;
    let compile = |bytes: &[u8]| {
        Component::new(engine, bytes)
            .with_context(|| format!("loading component {}", path.display()))
    };
    let dir = match cache_dir(path) {
        Ok(dir) => dir,
        Err(e) => {
            warn(format_args!("compiled-component cache disabled: {e}"));
            return compile(&bytes);
        }
    };
    let digest = Sha256::digest(&bytes);
    let key: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    let name = format!("runtime-{key}-{WASMTIME_VERSION}.cwasm");
    let artifact = dir.join(&name);

    let first = try_load(engine, &artifact);
    let first_missing = matches!(first, Cached::Missing);
    if let Cached::Hit(component) = first {
        return Ok(component);
    }
    // Miss. If another process is compiling the same component, wait for it
    // and use its artifact; the lock is released when `lock` is dropped (or
    // its holder dies).
    let lock = lock(&dir.join(format!(".{name}.lock")));
    if lock.is_some() && first_missing {
        if let Cached::Hit(component) = try_load(engine, &artifact) {
            return Ok(component);
        }
    }
    let component = compile(&bytes)?;
    match component.serialize() {
        Ok(data) => match write_atomically(&dir, &artifact, &data) {
            Ok(()) => prune(&dir, &artifact),
            Err(e) => warn(format_args!(
                "cannot write compiled component {}: {e}",
                artifact.display()
            )),
        },
        Err(e) => warn(format_args!(
            "cannot serialize the compiled component: {e:#}"
        )),
    }
    drop(lock);
    Ok(component)
}

enum Cached {
    Hit(Component),
    Missing,
    /// There is something, but not a usable artifact (a warning was printed).
    Unusable,
}

/// The cached artifact, if there is a usable one.
fn try_load(engine: &Engine, artifact: &Path) -> Cached {
    match fs::metadata(artifact) {
        Ok(m) if m.is_file() => {}
        Ok(_) => {
            warn(format_args!(
                "{} is not a file; not using it",
                artifact.display()
            ));
            return Cached::Unusable;
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Cached::Missing,
        Err(e) => {
            warn(format_args!("cannot read {}: {e}", artifact.display()));
            return Cached::Unusable;
        }
    }
    // SAFETY: `deserialize_file` runs the machine code in the file, so the
    // file must be an artifact wasmtime produced. It is: only this host
    // writes files with this name, from `Component::serialize` on an engine
    // built by `build_engine`, renamed into place only once complete, into
    // a directory that is ours (the temp-dir fallback is checked to be
    // private). wasmtime itself rejects artifacts from another version,
    // engine configuration or CPU, which lands in the `Err` arm below. The
    // file is mapped, so it must not be modified in place while in use; we
    // only ever replace it by rename.
    match unsafe { Component::deserialize_file(engine, artifact) } {
        Ok(component) => Cached::Hit(component),
        // Removed by a concurrent prune between the two calls: a miss.
        Err(_) if !artifact.exists() => Cached::Missing,
        Err(e) => {
            warn(format_args!(
                "cached compiled component {} is not usable, recompiling: {e:#}",
                artifact.display()
            ));
            Cached::Unusable
        }
    }
}

/// Take the per-artifact lock file, waiting at most `LOCK_WAIT`. `None` when
/// locking is not possible or took too long (then we compile unlocked).
fn lock(path: &Path) -> Option<File> {
    let file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .ok()?;
    let deadline = Instant::now() + LOCK_WAIT;
    loop {
        match file.try_lock() {
            Ok(()) => return Some(file),
            Err(fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(fs::TryLockError::WouldBlock) => {
                warn(format_args!(
                    "waited {LOCK_WAIT:?} for {}; compiling anyway",
                    path.display()
                ));
                return None;
            }
            Err(fs::TryLockError::Error(_)) => return None,
        }
    }
}

/// The cache directory, created if needed.
fn cache_dir(component: &Path) -> Result<PathBuf, String> {
    if let Some(dir) = std::env::var_os(CACHE_DIR_ENV).filter(|v| !v.is_empty()) {
        let dir = PathBuf::from(dir);
        fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {CACHE_DIR_ENV}={}: {e}", dir.display()))?;
        return Ok(dir);
    }
    let parent = match component.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let build = parent.join("..").join("build");
    if build.is_dir() {
        let dir = build.join("cwasm-cache");
        fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        return Ok(dir);
    }
    private_temp_dir()
}

/// `<temp>/eryx-as-cwasm-cache-<uid>`, mode 0700. The temp dir is shared
/// with other users, so an existing directory is only used if it is a real
/// directory owned by us that nobody else can write to: anyone who can put a
/// file there could make us run their machine code.
#[cfg(unix)]
fn private_temp_dir() -> Result<PathBuf, String> {
    use std::os::unix::fs::{DirBuilderExt as _, MetadataExt as _};
    // SAFETY: geteuid has no preconditions and cannot fail.
    let uid = unsafe { libc::geteuid() };
    let dir = std::env::temp_dir().join(format!("eryx-as-cwasm-cache-{uid}"));
    match fs::DirBuilder::new().mode(0o700).create(&dir) {
        Ok(()) => return Ok(dir),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(format!("cannot create {}: {e}", dir.display())),
    }
    let m = fs::symlink_metadata(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    if !m.is_dir() || m.uid() != uid || m.mode() & 0o022 != 0 {
        return Err(format!(
            "{} is not a private directory of this user (set {CACHE_DIR_ENV})",
            dir.display()
        ));
    }
    Ok(dir)
}

#[cfg(not(unix))]
fn private_temp_dir() -> Result<PathBuf, String> {
    let dir = std::env::temp_dir().join("eryx-as-cwasm-cache");
    fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    Ok(dir)
}

/// Write `data` to `dest` through a temp file in `dir` and a rename.
fn write_atomically(dir: &Path, dest: &Path, data: &[u8]) -> io::Result<()> {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    let file_name = dest.file_name().unwrap_or_default().to_string_lossy();
    let tmp = dir.join(format!(".{file_name}.{}.{nanos}.tmp", std::process::id()));
    let result = (|| {
        let mut f = OpenOptions::new().write(true).create_new(true).open(&tmp)?;
        f.write_all(data)?;
        // Durable before it becomes visible: after a crash the artifact is
        // either absent or complete, never a file of zeros to be executed.
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, dest)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// Keep the `KEEP_ARTIFACTS` newest artifacts (always `current`) and drop
/// stale temp and lock files. Best effort: errors are ignored. Removing an
/// artifact another process has mapped is harmless on Unix.
fn prune(dir: &Path, current: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let now = SystemTime::now();
    let mut artifacts = Vec::new();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let Ok(meta) = entry.metadata() else { continue };
        let mtime = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
        let path = entry.path();
        if name.starts_with("runtime-") && name.ends_with(".cwasm") && meta.is_file() {
            if path != current {
                artifacts.push((mtime, path));
            }
        } else if name.starts_with(".runtime-")
            && (name.ends_with(".tmp") || name.ends_with(".lock"))
            && now.duration_since(mtime).is_ok_and(|age| age > STALE_AFTER)
        {
            let _ = fs::remove_file(&path);
        }
    }
    artifacts.sort_by_key(|a| std::cmp::Reverse(a.0));
    for (_, path) in artifacts.into_iter().skip(KEEP_ARTIFACTS - 1) {
        let _ = fs::remove_file(path);
    }
}
