// Shared set-up of the Node host tests: the images and the stdlib of `npm run link`.

import { existsSync } from "node:fs";
import { join } from "node:path";
import { projectRoot } from "../src/transpile.ts";

export const stdlib = join(projectRoot, "dist", "python-stdlib");

/** The image under test: ERYX_AS_E2E_RUNTIME, else dist/runtime.wasm. */
export const runtime = process.env.ERYX_AS_E2E_RUNTIME ?? join(projectRoot, "dist", "runtime.wasm");

if (!existsSync(runtime)) throw new Error(`${runtime} not found: run npm run link first`);
