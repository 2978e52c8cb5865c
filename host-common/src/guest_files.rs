//! The guest's view of the Python files, as the eryx host sets it up: the
//! stdlib read-only at `/python-stdlib` (also PYTHONHOME), the i-th
//! site-packages directory read-only at `/site-packages-<i>`, and PYTHONPATH
//! listing them in that order.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _, Result};
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{DirPerms, FilePerms, WasiCtx, WasiCtxBuilder, WasiCtxView};

/// Where the stdlib is mounted in the guest.
pub const STDLIB_GUEST_DIR: &str = "/python-stdlib";

/// Where the `index`-th site-packages directory is mounted in the guest.
pub fn site_packages_guest_dir(index: usize) -> String {
    format!("/site-packages-{index}")
}

/// The host directories the guest sees.
#[derive(Clone, Debug)]
pub struct GuestFiles {
    pub stdlib: PathBuf,
    pub site_packages: Vec<PathBuf>,
}

impl GuestFiles {
    /// Fail with a clear message before wasmtime does with an obscure one.
    pub fn check(&self) -> Result<()> {
        check_dir(&self.stdlib, "python stdlib directory")?;
        for sp in &self.site_packages {
            check_dir(sp, "site-packages directory")?;
        }
        Ok(())
    }

    /// A WASI builder with the mounts, PYTHONHOME, PYTHONPATH and the host's
    /// stderr; the caller chooses stdout and adds its own settings.
    pub fn wasi_builder(&self) -> Result<WasiCtxBuilder> {
        let mut b = WasiCtxBuilder::new();
        b.inherit_stderr();
        b.env("PYTHONHOME", STDLIB_GUEST_DIR);
        b.preopened_dir(
            &self.stdlib,
            STDLIB_GUEST_DIR,
            DirPerms::READ,
            FilePerms::READ,
        )
        .with_context(|| format!("mounting {}", self.stdlib.display()))?;
        let mut python_path = vec![STDLIB_GUEST_DIR.to_string()];
        for (i, sp) in self.site_packages.iter().enumerate() {
            let guest = site_packages_guest_dir(i);
            b.preopened_dir(sp, &guest, DirPerms::READ, FilePerms::READ)
                .with_context(|| format!("mounting {}", sp.display()))?;
            python_path.push(guest);
        }
        b.env("PYTHONPATH", python_path.join(":"));
        Ok(b)
    }
}

fn check_dir(path: &Path, what: &str) -> Result<()> {
    if !path.is_dir() {
        bail!("{what} not found: {}", path.display());
    }
    Ok(())
}

/// The WASI half of a store's data.
pub struct GuestWasi {
    pub ctx: WasiCtx,
    pub table: ResourceTable,
}

impl GuestWasi {
    pub fn new(ctx: WasiCtx) -> Self {
        Self {
            ctx,
            table: ResourceTable::new(),
        }
    }

    /// For `impl WasiView for State { fn ctx(&mut self) … { self.wasi.view() } }`.
    pub fn view(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.ctx,
            table: &mut self.table,
        }
    }
}
