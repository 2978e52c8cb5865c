// Helpers for tests that look inside the real libraries.

import { readFileSync } from "node:fs";
import { Writer } from "../../link/wasm/bytes.ts";
import { parseModule, readSections, SectionId, type Import } from "../../link/wasm/module.ts";

/**
 * The imports of any module, read with parseModule from a module made of only its
 * type and import sections (parseModule accepts only the element and data forms
 * asc emits, which wit-dylib's bindings do not use).
 */
export function importsOf(bytes: Uint8Array): Import[] {
  const w = new Writer().bytes([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
  for (const s of readSections(bytes)) {
    if (s.id === SectionId.type || s.id === SectionId.import) w.u8(s.id).sized(s.payload);
  }
  return parseModule(w.finish()).imports;
}

/** The `wit_dylib_*` functions that wit-dylib's bindings import from `env` (what our library must export). */
export function witDylibNames(bindingsPath: string): string[] {
  return importsOf(readFileSync(bindingsPath))
    .filter((i) => i.module === "env" && i.desc.kind === 0 && i.name.startsWith("wit_dylib_"))
    .map((i) => i.name);
}
