// The Python lint phase of npm test: ruff (pinned, hash-checked, installed by
// this script into .tools/python with pip) checks and format-checks the glue
// and its tests, with the rules in ruff.toml. Exit status 0 when clean.

import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dirname, "..", "..");
const RUFF_VERSION = "0.17.5"; // keep in step with ruff-requirements.txt
const target = join(root, ".tools", "python");
const ruff = join(target, "bin", "ruff");

function installedVersion(): string | null {
  if (!existsSync(ruff)) return null;
  const r = spawnSync(ruff, ["--version"], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim().split(/\s+/)[1] ?? null : null;
}

if (installedVersion() !== RUFF_VERSION) {
  process.stdout.write(`[lint] installing ruff ${RUFF_VERSION} with pip into .tools/python\n`);
  const r = spawnSync("python3", ["-m", "pip", "install", "--quiet", "--upgrade", "--no-deps", "--only-binary=:all:",
    "--require-hashes", "--target", target, "-r", join(root, "tests", "python", "ruff-requirements.txt")], { stdio: "inherit" });
  if (r.status !== 0 || installedVersion() !== RUFF_VERSION) {
    process.stderr.write(`[lint] could not install ruff ${RUFF_VERSION} (python3 with pip is needed; exit ${r.status})\n`);
    process.exit(1);
  }
}

let status = 0;
for (const args of [["check"], ["format", "--check", "--diff"]]) {
  process.stdout.write(`[lint] ruff ${args.join(" ")}\n`);
  const r = spawnSync(ruff, [...args, "--config", join(root, "ruff.toml"), "python", "tests/python"], { cwd: root, stdio: "inherit" });
  if (r.status !== 0) status = 1;
}
process.exit(status);
