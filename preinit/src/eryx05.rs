//! The eryx 0.5 world (`wit/eryx-0.5/`) during pre-initialisation: the same
//! protocol as the 0.1.0 world, with stubs for what that world adds. Nothing
//! the pre-initialiser runs (start-up, `import …`, the image warm-up of
//! `finalize-preinit`) may depend on a host: networking answers
//! `not-permitted` (with the reason eryx's own pre-initialiser gives), and
//! `report-output` drops what it gets (the guest's execute-output still
//! carries it).

use std::future::Future;

use anyhow::{anyhow, Result};
use wasmtime::component::{Accessor, Component, HasData, Instance, Linker};
use wasmtime::{Engine, Store};

use crate::{PreinitState, INVOKE_STUB_ERROR};

mod bindings {
    wasmtime::component::bindgen!({
        path: "../wit/eryx-0.5",
        world: "sandbox",
        exports: { default: async },
    });
}

use bindings::eryx::net::{tcp, tls};
use bindings::{CallbackInfo, Sandbox, SandboxImports, SandboxImportsWithStore};

const NET_STUB_ERROR: &str = "networking not available during pre-init";

/// True for a component of this world: only it imports `report-output`.
pub fn is_world(engine: &Engine, component: &Component) -> bool {
    component
        .component_type()
        .get_import(engine, "report-output")
        .is_some()
}

/// The `HasData` marker of this world's stub imports.
struct Stubs;

impl HasData for Stubs {
    type Data<'a> = &'a mut PreinitState;
}

impl SandboxImports for PreinitState {
    fn list_callbacks(&mut self) -> Vec<CallbackInfo> {
        Vec::new()
    }

    fn report_trace(&mut self, _lineno: u32, _event_json: String, _context_json: String) {}

    fn report_output(&mut self, _stream_id: u32, _data: String) {}
}

impl SandboxImportsWithStore for Stubs {
    fn invoke<T>(
        _accessor: &Accessor<T, Self>,
        _name: String,
        _arguments_json: String,
    ) -> impl Future<Output = Result<String, String>> + Send {
        async { Err(INVOKE_STUB_ERROR.to_string()) }
    }
}

fn tcp_denied() -> tcp::TcpError {
    tcp::TcpError::NotPermitted(NET_STUB_ERROR.to_string())
}

fn tls_denied() -> tls::TlsError {
    tls::TlsError::Tcp(tcp_denied())
}

impl tcp::Host for PreinitState {
    fn connect(
        &mut self,
        _host: String,
        _port: u16,
        _timeout_ms: u32,
    ) -> Result<u32, tcp::TcpError> {
        Err(tcp_denied())
    }

    fn read(
        &mut self,
        _handle: u32,
        _len: u32,
        _timeout_ms: u32,
    ) -> Result<Vec<u8>, tcp::TcpError> {
        Err(tcp_denied())
    }

    fn write(
        &mut self,
        _handle: u32,
        _timeout_ms: u32,
        _data: Vec<u8>,
    ) -> Result<u32, tcp::TcpError> {
        Err(tcp_denied())
    }

    fn close(&mut self, _handle: u32) {}
}

impl tls::Host for PreinitState {
    fn upgrade(
        &mut self,
        _tcp: u32,
        _hostname: String,
        _timeout_ms: u32,
    ) -> Result<u32, tls::TlsError> {
        Err(tls_denied())
    }

    fn read(
        &mut self,
        _handle: u32,
        _len: u32,
        _timeout_ms: u32,
    ) -> Result<Vec<u8>, tls::TlsError> {
        Err(tls_denied())
    }

    fn write(
        &mut self,
        _handle: u32,
        _timeout_ms: u32,
        _data: Vec<u8>,
    ) -> Result<u32, tls::TlsError> {
        Err(tls_denied())
    }

    fn close(&mut self, _handle: u32) {}
}

pub fn add_stubs(linker: &mut Linker<PreinitState>) -> Result<()> {
    Sandbox::add_to_linker::<PreinitState, Stubs>(linker, |s| s)
}

/// This world's exports on the instantiated component.
pub struct Exports(Sandbox);

impl Exports {
    pub fn new(store: &mut Store<PreinitState>, instance: &Instance) -> Result<Self> {
        Ok(Self(Sandbox::new(store, instance)?))
    }

    /// `execute(code)`: the traceback of an uncaught exception as `Err`.
    pub async fn execute(
        &self,
        store: &mut Store<PreinitState>,
        code: String,
    ) -> Result<Result<(), String>> {
        let sandbox = &self.0;
        let result = store
            .run_concurrent(async move |accessor| sandbox.call_execute(accessor, code).await)
            .await
            .and_then(|inner| inner)
            .map_err(|e| anyhow!("execute trapped during pre-init: {e:?}"))?;
        Ok(result.map(|_output| ()))
    }

    pub async fn finalize_preinit(&self, store: &mut Store<PreinitState>) -> Result<()> {
        self.0.call_finalize_preinit(store).await
    }
}
