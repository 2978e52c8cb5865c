// Escape attempts from Python (node-host/README.md, Isolation): each one must fail inside
// Python, and the host must be left as it was. The WASI lock-down is in
// src/wasi.ts: the stdlib is the only preopen and read-only, no host
// environment, no sockets, no host cwd, no host stdin.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createServer, type Server } from "node:net";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { Sandbox } from "../src/index.ts";
import { runtime, stdlib } from "./helpers.ts";

let sb: Sandbox;
before(async () => {
  process.env.ERYX_AS_HOST_SECRET = "do-not-leak-7f3a";
  sb = await Sandbox.create({ runtime, stdlib, memoryLimitBytes: null });
});
after(async () => { await sb.close(); });

async function run(code: string): Promise<string> {
  return (await sb.execute(code)).stdout;
}

/** A fingerprint of the stdlib directory: names, sizes and mtimes of the top level and json/, and json/__init__.py's bytes. */
function fingerprint(): string {
  const h = createHash("sha256");
  for (const dir of [stdlib, join(stdlib, "json")]) {
    for (const name of readdirSync(dir).sort()) {
      const st = statSync(join(dir, name));
      h.update(`${dir}/${name} ${st.size} ${st.mtimeMs}\n`);
    }
  }
  h.update(readFileSync(join(stdlib, "json", "__init__.py")));
  return h.digest("hex");
}

test("writing to the stdlib fails in Python (read-only) and leaves the host directory unchanged", async () => {
  const before = fingerprint();
  const attempts = [
    "open('/python-stdlib/evil.txt', 'w').write('x')",
    "open('/python-stdlib/json/__init__.py', 'a').write('# pwned')",
    "open('/python-stdlib/json/__init__.py', 'r+').write('# pwned')",
    "import os; os.mkdir('/python-stdlib/newdir')",
    "import os; os.remove('/python-stdlib/json/tool.py')",
    "import os; os.rename('/python-stdlib/json/tool.py', '/python-stdlib/json/moved.py')",
    "import os; os.symlink('/etc/passwd', '/python-stdlib/link')",
    "import os; os.truncate('/python-stdlib/json/__init__.py', 0)",
    "import os; os.utime('/python-stdlib/json/__init__.py', (0, 0))",
    "import os; os.rmdir('/python-stdlib/json')",
  ];
  for (const code of attempts) {
    const out = await run(`try:\n    ${code.replaceAll("; ", "\n    ")}\n    print('ESCAPED')\nexcept OSError as e:\n    print(type(e).__name__, e.errno)`);
    assert.doesNotMatch(out, /ESCAPED/, code);
    assert.match(out, /Error \d+/, code);
  }
  assert.equal(fingerprint(), before);
});

test("reading outside the stdlib fails: absolute paths, .. out of the preopen, the host's root", async () => {
  const attempts = [
    "open('/etc/passwd').read()",
    "open('/python-stdlib/../../../../etc/passwd').read()",
    "open('/python-stdlib/../runtime.wasm', 'rb').read(4)",
    "import os; print(os.listdir('/python-stdlib/..'))",
    "open('../../../../etc/hostname').read()",
    "import os; print(os.listdir('/etc'))",
  ];
  for (const code of attempts) {
    const out = await run(`try:\n    ${code.replaceAll("; ", "\n    ")}\n    print('ESCAPED')\nexcept OSError as e:\n    print(type(e).__name__)`);
    assert.doesNotMatch(out, /ESCAPED|root:|runtime\.wasm/, `${code}: ${out}`);
  }
  // The host's root is not there at all: '/' is no directory the guest can open.
  const root = await run("import os\ntry:\n    print(sorted(os.listdir('/')))\nexcept OSError as e:\n    print(type(e).__name__)");
  assert.doesNotMatch(root, /'(etc|usr|work|tmp|home)'/, root);
});

test("the host environment is not visible: only PYTHONHOME and PYTHONPATH, and the hash seed the runtime sets", async () => {
  const out = await run("import os\nprint(sorted(os.environ.items()))");
  // PYTHONHASHSEED=0 comes from the runtime, which fixes the seed when the host sets none (docs/contract.md).
  assert.equal(out, "[('PYTHONHASHSEED', '0'), ('PYTHONHOME', '/python-stdlib'), ('PYTHONPATH', '/python-stdlib')]");
  assert.doesNotMatch(out, /do-not-leak/);
});

test("sockets are denied: TCP connect to a listening host port, UDP, and name lookup fail; the server sees nothing", async () => {
  let connections = 0;
  const server: Server = createServer(() => { connections++; });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  try {
    const out = await run([
      "import socket",
      "for name, attempt in [",
      `    ('tcp', lambda: socket.create_connection(('127.0.0.1', ${port}), timeout=2)),`,
      "    ('tcp-socket', lambda: socket.socket(socket.AF_INET, socket.SOCK_STREAM)),",
      "    ('udp', lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM)),",
      "    ('dns', lambda: socket.getaddrinfo('localhost', 80)),",
      "]:",
      "    try:",
      "        attempt()",
      "        print(name, 'ESCAPED')",
      "    except OSError as e:",
      "        print(name, 'denied')",
    ].join("\n"));
    assert.equal(out, "tcp denied\ntcp-socket denied\nudp denied\ndns denied");
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(connections, 0);
  } finally {
    server.close();
  }
});

test("no host cwd: relative paths do not reach the host's working directory", async () => {
  // The test runs in the project root, where package.json exists.
  const out = await run("import os\nprint(os.getcwd())\ntry:\n    open('package.json').read()\n    print('ESCAPED')\nexcept OSError as e:\n    print(type(e).__name__)");
  const [cwd, result] = out.split("\n");
  assert.notEqual(cwd, process.cwd());
  assert.notEqual(result, "ESCAPED");
});

test("stdin is empty, never the host's", async () => {
  assert.equal(await run("import sys\nprint(repr(sys.stdin.read()))"), "''");
});
