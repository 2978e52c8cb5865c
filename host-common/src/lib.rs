//! Shared by the reference host (`host/`) and the pre-initialiser
//! (`preinit/`), which both run the runtime component on wasmtime 40:
//!
//! - [`bindings`]: the `eryx:sandbox` world of `wit/runtime.wit`;
//! - [`guest_files`]: the guest's WASI environment (the stdlib at
//!   `/python-stdlib`, site-packages at `/site-packages-<i>`, PYTHONHOME,
//!   PYTHONPATH);
//! - [`flags`]: `--flag value` / `--flag=value` command-line parsing;
//! - [`component_config`]: the engine settings both need.

pub mod flags;
pub mod guest_files;

pub use guest_files::{GuestFiles, GuestWasi};

/// The `sandbox` world. Async WIT functions get `async | store` by default
/// (the `invoke` import becomes a concurrent host function, the async
/// exports are called with `call_concurrent`); the sync `finalize-preinit`
/// export must be called with `call_async` on an async engine.
///
/// The `…WithStore` import trait cannot be implemented for
/// `HasSelf<LocalState>` outside this crate (orphan rule): each user
/// declares its own [`wasmtime::component::HasData`] marker type instead.
pub mod bindings {
    wasmtime::component::bindgen!({
        path: "../wit/runtime.wit",
        world: "sandbox",
        exports: { default: async },
    });
}

/// Component model, component-model async and an async (fiber) engine: what
/// the world's async functions need. The host adds eryx's limits on top.
pub fn component_config() -> wasmtime::Config {
    let mut config = wasmtime::Config::new();
    config.wasm_component_model(true);
    config.wasm_component_model_async(true);
    config.async_support(true);
    config
}
