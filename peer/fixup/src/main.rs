//! peer-fixup IN OUT: re-encode a componentize-py 0.19.3 component in the
//! component-model async encoding that wasmtime 40 (wasmparser 0.243) reads.
//!
//! componentize-py 0.19.3 was built on wasm-tools 0.240, which still marked an
//! async function by an `[async]` prefix on its import/export name
//! (`[async]invoke`, `[async]execute`) and a plain (sync) function type.
//! wasmparser 0.243 rejects those names ("`[async]invoke` is not in kebab
//! case") and expects the async flag on the function type instead (0x43).
//! So, at the top level of the component only:
//!
//! * `[async]NAME` imports and exports are renamed to `NAME`;
//! * the function types of those imports and of every `canon lift` with the
//!   `async` option get the async flag;
//! * a sync `canon lift` that shares such a type (componentize-py gives
//!   `clear-state` and `finalize-preinit` the same `func()` type) gets a sync
//!   copy of it, appended after the last type definition.
//!
//! Nested core modules and components are copied byte for byte. The result is
//! validated with all features before it is written.

use std::collections::{HashMap, HashSet};
use std::convert::Infallible;

use wasm_encoder::reencode::{component_utils, Error, Reencode, ReencodeComponent};
use wasm_encoder::{ComponentSectionId, RawSection};
use wasmparser::{
    CanonicalFunction, CanonicalOption, ComponentAlias, ComponentExternalKind,
    ComponentOuterAliasKind, ComponentType, ComponentTypeRef, Parser, Payload, Validator,
    WasmFeatures,
};

const ASYNC_PREFIX: &str = "[async]";

fn strip(name: &str) -> &str {
    name.strip_prefix(ASYNC_PREFIX).unwrap_or(name)
}

/// How many component types a top-level section adds to the type index space.
fn types_added(payload: &Payload<'_>) -> anyhow_lite::Result<u32> {
    let mut n = 0;
    match payload {
        Payload::ComponentTypeSection(s) => n = s.count(),
        Payload::ComponentImportSection(s) => {
            for i in s.clone() {
                if matches!(i?.ty, ComponentTypeRef::Type(_)) {
                    n += 1;
                }
            }
        }
        Payload::ComponentAliasSection(s) => {
            for a in s.clone() {
                match a? {
                    ComponentAlias::InstanceExport {
                        kind: ComponentExternalKind::Type,
                        ..
                    } => n += 1,
                    ComponentAlias::Outer {
                        kind: ComponentOuterAliasKind::Type,
                        ..
                    } => n += 1,
                    _ => {}
                }
            }
        }
        Payload::ComponentExportSection(s) => {
            for e in s.clone() {
                if e?.kind == ComponentExternalKind::Type {
                    n += 1;
                }
            }
        }
        _ => {}
    }
    Ok(n)
}

/// Top-level payloads in order, without descending into nested modules/components.
fn top_level(data: &[u8]) -> anyhow_lite::Result<Vec<Payload<'_>>> {
    let mut parser = Parser::new(0);
    let mut remaining = data;
    let mut out = Vec::new();
    while !remaining.is_empty() {
        match parser.parse(remaining, true)? {
            wasmparser::Chunk::Parsed { consumed, payload } => {
                remaining = &remaining[consumed..];
                if let Payload::ComponentSection {
                    unchecked_range, ..
                }
                | Payload::ModuleSection {
                    unchecked_range, ..
                } = &payload
                {
                    remaining = &remaining[unchecked_range.len()..];
                }
                out.push(payload);
            }
            wasmparser::Chunk::NeedMoreData(_) => return Err("truncated component".into()),
        }
    }
    Ok(out)
}

struct Plan {
    async_types: HashSet<u32>,
    /// type shared by async and sync users -> index of its sync copy
    sync_copies: HashMap<u32, u32>,
    /// index (in payload order) of the canonical section before which the copies go
    insert_before: Option<usize>,
}

fn plan(payloads: &[Payload<'_>]) -> anyhow_lite::Result<Plan> {
    let mut async_types = HashSet::new();
    let mut sync_users: Vec<(usize, u32)> = Vec::new();
    let mut counter = 0u32;
    let mut last_type_section = 0usize;
    for (i, p) in payloads.iter().enumerate() {
        match p {
            Payload::ComponentImportSection(s) => {
                for imp in s.clone() {
                    let imp = imp?;
                    if let ComponentTypeRef::Func(t) = imp.ty {
                        if imp.name.0.starts_with(ASYNC_PREFIX) {
                            async_types.insert(t);
                        } else {
                            sync_users.push((i, t));
                        }
                    }
                }
            }
            Payload::ComponentCanonicalSection(s) => {
                for f in s.clone() {
                    if let CanonicalFunction::Lift {
                        type_index,
                        options,
                        ..
                    } = f?
                    {
                        if options.iter().any(|o| matches!(o, CanonicalOption::Async)) {
                            async_types.insert(type_index);
                        } else {
                            sync_users.push((i, type_index));
                        }
                    }
                }
            }
            _ => {}
        }
        let added = types_added(p)?;
        if added > 0 {
            last_type_section = i;
        }
        counter += added;
    }
    let mut sync_copies = HashMap::new();
    let mut insert_before = None;
    for (i, t) in sync_users {
        if async_types.contains(&t) && !sync_copies.contains_key(&t) {
            if !matches!(payloads[i], Payload::ComponentCanonicalSection(_))
                || i < last_type_section
            {
                return Err(format!("type {t} is shared by a sync import or by a lift before the last type definition; not supported").into());
            }
            if insert_before.map_or(true, |b| i < b) {
                insert_before = Some(i);
            }
            sync_copies.insert(t, counter + sync_copies.len() as u32);
        }
    }
    Ok(Plan {
        async_types,
        sync_copies,
        insert_before,
    })
}

struct Fixup<'a> {
    plan: Plan,
    func_types: HashMap<u32, wasmparser::ComponentFuncType<'a>>,
    counter: u32,
    section_index: usize,
}

impl Reencode for Fixup<'_> {
    type Error = Infallible;
}

impl ReencodeComponent for Fixup<'_> {
    fn parse_component_payload(
        &mut self,
        component: &mut wasm_encoder::Component,
        payload: Payload<'_>,
        whole: &[u8],
    ) -> Result<(), Error<Infallible>> {
        if Some(self.section_index) == self.plan.insert_before {
            let mut copies: Vec<(u32, u32)> = self
                .plan
                .sync_copies
                .iter()
                .map(|(a, b)| (*b, *a))
                .collect();
            copies.sort();
            let mut types = wasm_encoder::ComponentTypeSection::new();
            for (_, original) in copies {
                let mut ty = self.func_types[&original].clone();
                ty.async_ = false;
                component_utils::parse_component_func_type(self, types.ty().function(), ty)?;
            }
            component.section(&types);
        }
        let added = types_added(&payload).expect("payload was parsed in the planning pass");
        component_utils::parse_component_payload(self, component, payload, whole)?;
        self.counter += added;
        self.section_index += 1;
        Ok(())
    }

    fn parse_component_submodule(
        &mut self,
        component: &mut wasm_encoder::Component,
        _parser: Parser,
        module: &[u8],
    ) -> Result<(), Error<Infallible>> {
        component.section(&RawSection {
            id: ComponentSectionId::CoreModule as u8,
            data: module,
        });
        Ok(())
    }

    fn parse_component_subcomponent(
        &mut self,
        component: &mut wasm_encoder::Component,
        _parser: Parser,
        subcomponent: &[u8],
        _whole: &[u8],
    ) -> Result<(), Error<Infallible>> {
        component.section(&RawSection {
            id: ComponentSectionId::Component as u8,
            data: subcomponent,
        });
        Ok(())
    }

    fn parse_component_type_section(
        &mut self,
        types: &mut wasm_encoder::ComponentTypeSection,
        section: wasmparser::ComponentTypeSectionReader<'_>,
    ) -> Result<(), Error<Infallible>> {
        for (i, ty) in section.into_iter().enumerate() {
            match ty? {
                ComponentType::Func(mut f) => {
                    f.async_ |= self.plan.async_types.contains(&(self.counter + i as u32));
                    component_utils::parse_component_func_type(self, types.ty().function(), f)?;
                }
                other => component_utils::parse_component_type(self, types.ty(), other)?,
            }
        }
        Ok(())
    }

    fn parse_component_import_section(
        &mut self,
        imports: &mut wasm_encoder::ComponentImportSection,
        section: wasmparser::ComponentImportSectionReader<'_>,
    ) -> Result<(), Error<Infallible>> {
        for import in section {
            let import = import?;
            imports.import(strip(import.name.0), self.component_type_ref(import.ty)?);
        }
        Ok(())
    }

    fn parse_component_export(
        &mut self,
        exports: &mut wasm_encoder::ComponentExportSection,
        mut export: wasmparser::ComponentExport<'_>,
    ) -> Result<(), Error<Infallible>> {
        export.name.0 = strip(export.name.0);
        component_utils::parse_component_export(self, exports, export)
    }

    fn parse_component_canonical(
        &mut self,
        section: &mut wasm_encoder::CanonicalFunctionSection,
        mut func: CanonicalFunction,
    ) -> Result<(), Error<Infallible>> {
        if let CanonicalFunction::Lift {
            type_index,
            options,
            ..
        } = &mut func
        {
            if !options.iter().any(|o| matches!(o, CanonicalOption::Async)) {
                if let Some(copy) = self.plan.sync_copies.get(type_index) {
                    *type_index = *copy;
                }
            }
        }
        component_utils::parse_component_canonical(self, section, func)
    }
}

mod anyhow_lite {
    pub type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;
}

fn run() -> anyhow_lite::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 3 {
        return Err("usage: peer-fixup IN.wasm OUT.wasm".into());
    }
    let input = std::fs::read(&args[1])?;
    let payloads = top_level(&input)?;
    let plan = plan(&payloads)?;
    let mut func_types = HashMap::new();
    let mut counter = 0u32;
    for p in &payloads {
        if let Payload::ComponentTypeSection(s) = p {
            for (i, ty) in s.clone().into_iter().enumerate() {
                if let ComponentType::Func(f) = ty? {
                    func_types.insert(counter + i as u32, f);
                }
            }
        }
        counter += types_added(p)?;
    }
    let mut fixup = Fixup {
        plan,
        func_types,
        counter: 0,
        section_index: 0,
    };
    let mut component = wasm_encoder::Component::new();
    fixup
        .parse_component(&mut component, Parser::new(0), &input)
        .map_err(|e| format!("re-encoding failed: {e:?}"))?;
    let output = component.finish();
    Validator::new_with_features(WasmFeatures::all())
        .validate_all(&output)
        .map_err(|e| format!("the re-encoded component does not validate: {e}"))?;
    std::fs::write(&args[2], &output)?;
    eprintln!(
        "peer-fixup: {} async function types, {} sync copies",
        fixup.plan.async_types.len(),
        fixup.plan.sync_copies.len()
    );
    Ok(())
}

fn main() {
    if let Err(e) = run() {
        eprintln!("peer-fixup: {e}");
        std::process::exit(1);
    }
}
