// `npm run sandbox` (node-host/sandbox.mjs → src/cli.ts on the pinned Node):
// the reference host's command line, through the Node host.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { projectRoot } from "../src/transpile.ts";
import { runtime } from "./helpers.ts";

const launcher = join(projectRoot, "node-host", "sandbox.mjs");
const sandbox = (...args: string[]) => spawnSync(process.execPath, [launcher, "--runtime", runtime, ...args], { cwd: projectRoot, encoding: "utf8" });

test("npm run sandbox -- -c 'print(1+1)' prints exactly 2", () => {
  const r = sandbox("-c", "print(1+1)");
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, "2\n");
});

test("a Python error goes to stderr with exit 1", () => {
  const r = sandbox("-c", "1/0");
  assert.equal(r.status, 1);
  assert.equal(r.stdout, "");
  assert.match(r.stderr, /ZeroDivisionError: division by zero/);
});

test("--session keeps state across snippets; the demo callbacks answer", () => {
  const r = sandbox("--session", "-c", "x = 42", "-c", "print(x, (await echo(message='hi'))['echo'])");
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout, "42 hi\n");
});

test("usage errors exit 2", () => {
  const r = sandbox("-c", "1", "-c", "2");
  assert.equal(r.status, 2);
  assert.match(r.stderr, /several snippets need --session/);
});
