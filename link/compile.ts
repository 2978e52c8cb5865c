// Stage: compile assembly/ with asc, twice, at two memory and table bases
// (the relocation stage diffs the two builds).

import { readFile } from "node:fs/promises";
import { relative, resolve } from "node:path";
import asc from "assemblyscript/asc";
import type { Build } from "./relocate.ts";

export interface CompileInput {
  /** Entry file, relative to the project root. */
  entry: string;
  /** Custom runtime file (without .ts), relative to the project root. */
  runtime: string;
  /** `--use abort=...` target. */
  abort: string;
  optimize: boolean;
  /** Generated sources asc reads from here instead of the disk, by path relative to the project root. */
  files?: Record<string, string>;
}

/** Two base pairs whose addresses need the same LEB width up to ~900 KiB of static data. */
export const BUILD_BASES = [
  { memoryBase: 0x10000, tableBase: 1 },
  { memoryBase: 0x20000, tableBase: 33 },
] as const;

/**
 * asc gives any custom runtime a 32 KiB shadow stack of its own; in memory
 * shared with libc that would be a second stack nobody owns. Turn it off.
 */
const noShadowStack = {
  afterInitialize(program: { options: { stackSize: number }; module: { useShadowStack: boolean } }) {
    program.options.stackSize = 0;
    program.module.useShadowStack = false;
  },
};

/** asc's file reader, answering the generated paths from memory. */
function generatedFirst(files: Record<string, string>) {
  return async (name: string, baseDir: string): Promise<string | null> => {
    const path = relative(".", resolve(baseDir, name)).replaceAll("\\", "/");
    if (Object.hasOwn(files, path)) return files[path];
    try {
      return await readFile(resolve(baseDir, name), "utf8");
    } catch {
      return null;
    }
  };
}

export async function compileOnce(input: CompileInput, bases: { memoryBase: number; tableBase: number }): Promise<Build> {
  let binary: Uint8Array | null = null;
  const stderr: string[] = [];
  const args = [
    input.entry,
    "--runtime", input.runtime,
    "--importMemory", "--noExportMemory", "--importTable",
    "--exportStart", "_initialize",
    "--noAssert",
    "--use", `abort=${input.abort}`,
    "--memoryBase", String(bases.memoryBase),
    "--tableBase", String(bases.tableBase),
    ...(input.optimize ? ["-O3"] : []),
    "--outFile", "out.wasm",
  ];
  const result = await asc.main(args, {
    transforms: [noShadowStack],
    ...(input.files ? { readFile: generatedFirst(input.files) } : {}),
    writeFile(name: string, contents: Uint8Array | string) {
      if (name.endsWith(".wasm")) binary = contents as Uint8Array;
    },
    stderr: { write(chunk: string | Uint8Array) { stderr.push(String(chunk)); return true; } },
  } as unknown as Parameters<typeof asc.main>[1]);
  if (result.error || !binary) {
    throw new Error(`asc failed to compile ${input.entry}:\n${stderr.join("")}${result.error ? String(result.error) : ""}`);
  }
  return { bytes: binary, ...bases };
}

export async function compileTwice(input: CompileInput): Promise<[Build, Build]> {
  const a = await compileOnce(input, BUILD_BASES[0]);
  const b = await compileOnce(input, BUILD_BASES[1]);
  return [a, b];
}
