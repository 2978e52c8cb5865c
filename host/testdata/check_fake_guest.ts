// Self-check of the host against fake_guest.wat (no CPython needed):
//   npx tsx host/testdata/check_fake_guest.ts [--with-timeout]
// Builds the fake component with the link's wasm-tools commands (link/wasm-tools/), runs the
// host in --serve mode and checks callbacks, concurrency, traces, traps and
// the session ops. `--with-timeout` adds the 30 s epoch-timeout case.

import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ensureWasmTools } from "../../link/tools.ts";
import { ensureHostBuilt } from "../sandbox.ts";

const here = dirname(fileURLToPath(import.meta.url));
const root = dirname(dirname(here));
const outDir = join(root, "target", "fake-guest");
const wasmTools = await ensureWasmTools(root, (line) => process.stderr.write(`[fake-guest] ${line}\n`));

function run(cmd: string, args: string[], input?: string): string {
  const r = spawnSync(cmd, args, { cwd: root, input, encoding: "utf8", maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${r.stderr}`);
  return r.stdout;
}

type Resp = {
  id: unknown; ok: boolean; value: string | null; error: string | null;
  trace: { lineno: number; event: unknown; context: unknown }[];
  callbacks: { name: string; args: string; start_ms: number; end_ms: number | null }[];
  elapsed_ms: number; peak_memory_bytes: number; instantiate_ms: number | null;
};

const binary = await ensureHostBuilt();
mkdirSync(outDir, { recursive: true });
const core = join(outDir, "fake_guest.core.wasm");
const component = join(outDir, "fake_guest.wasm");
run(wasmTools, ["component", "embed", "wit/runtime.wit", "--world", "sandbox", join(here, "fake_guest.wat"), "-o", core]);
run(wasmTools, ["component", "new", core, "-o", component]);

const calls = (...lines: [string, unknown?][]) =>
  lines.map(([n, a]) => (a === undefined ? n : `${n}\t${typeof a === "string" ? a : JSON.stringify(a)}`)).join("\n");

const requests: Record<string, unknown>[] = [
  { id: "echo", op: "execute", code: calls(["echo", { message: "hi" }]) },
  { id: "gather", op: "execute", code: calls(["sleep", { ms: 300 }], ["sleep", { ms: 300 }], ["sleep", { ms: 300 }]) },
  {
    id: "errors", op: "execute",
    code: calls(["nope"], ["fail", { message: "bad" }], ["fail"], ["echo", "not json"], ["echo", {}],
      ["value", { kind: "invalid" }], ["add", { a: 2, b: 3 }], ["defaults"], ["http.get", { url: "u" }]),
  },
  { id: "limit", op: "execute", code: calls(...Array.from({ length: 1001 }, (): [string, unknown] => ["echo", { message: "x" }])) },
  { id: "abandoned", op: "execute", code: calls(["&sleep", { ms: 500 }], ["echo", { message: "a" }]), session: "s" },
  { id: "after-abandoned", op: "execute", code: calls(["sleep", { ms: 50 }]), session: "s" },
  { id: "trap", op: "execute", code: "!", session: "s" },
  { id: "after-trap", op: "execute", code: calls(["echo", { message: "again" }]), session: "s" },
  { id: "snapshot", op: "snapshot", session: "s" },
  { id: "restore", op: "restore", session: "s", hex: "616263" },
  { id: "bad-hex", op: "restore", session: "s", hex: "6" },
  { id: "clear", op: "clear", session: "s" },
  { id: "finalize", op: "finalize_preinit", session: "s" },
  { id: "drop", op: "drop", session: "s" },
  { id: "unknown-op", op: "frob" },
];
if (process.argv.includes("--with-timeout")) requests.push({ id: "timeout", op: "execute", code: "~" });

const stdin = requests.map((r) => JSON.stringify(r)).join("\n") + "\nnot json\n";
const responses: Resp[] = run(binary, ["--runtime", component, "--serve"], stdin)
  .trim().split("\n").map((l) => JSON.parse(l) as Resp);
const byId = new Map(responses.map((r) => [r.id, r]));

let failed = 0;
let passed = 0;
function check(name: string, cond: boolean, detail?: unknown) {
  if (cond) passed++;
  else {
    failed++;
    console.error(`FAIL ${name}`, detail === undefined ? "" : JSON.stringify(detail));
  }
}

const get = (id: string) => byId.get(id)!;
check("one response per line", responses.length === requests.length + 1, responses.length);
// A leading `*` marks a result the host gave on the first poll (a race the
// channel design allows, as in eryx); both forms are fine.
check("echo", get("echo").ok && get("echo").value?.replace(/^\*/, "") === 'ok:{"echo":"hi"}\n', get("echo"));
check("trace collected", JSON.stringify(get("echo").trace) === '[{"context":null,"event":{"type":"line"},"lineno":1}]', get("echo").trace);
const g = get("gather");
check("gather overlaps", g.ok && g.elapsed_ms < 550 && g.callbacks.length === 3 &&
  g.callbacks.every((c) => c.start_ms < 100 && (c.end_ms ?? 0) >= 300), g);
check("gather deferred", g.value === 'ok:{"slept_ms":300}\n'.repeat(3), g.value);
const ab = get("abandoned");
check("abandoned subtask", ab.ok && ab.value?.replace(/^\*/gm, "") === 'ok:\nok:{"echo":"a"}\n' &&
  ab.callbacks.length === 2 && ab.callbacks[0].end_ms === null, ab);
check("session usable after abandoned subtask", get("after-abandoned").ok &&
  get("after-abandoned").value?.replace(/^\*/, "") === 'ok:{"slept_ms":50}\n', get("after-abandoned"));
const e = (get("errors").value ?? "").replace(/^\*/gm, "").split("\n");
check("errors", JSON.stringify(e) === JSON.stringify([
  "err:Callback 'nope' not found", "err:execution failed: bad", "err:execution failed: boom",
  "err:Invalid arguments JSON: expected ident at line 1 column 2", "err:invalid arguments: missing field `message`",
  "ok:not json {", "ok:5", 'ok:{"count":1,"greeting":"hello"}', 'ok:{"status":200,"url":"u"}', "",
]), e);
const lim = (get("limit").value ?? "").trim().split("\n");
// All 1001 invokes start at once, so which one the host counts last depends on
// the order their requests reach the handler: exactly one is refused.
const limitErrors = lim.filter((l) => l.endsWith("err:Callback limit exceeded (1000 invocations)"));
const limitOks = lim.filter((l) => l.endsWith('ok:{"echo":"x"}'));
check("limit", lim.length === 1001 && limitErrors.length === 1 && limitOks.length === 1000 &&
  get("limit").callbacks.length === 1001, { errors: limitErrors.length, oks: limitOks.length, last: lim.slice(-2) });
check("trap", !get("trap").ok && (get("trap").error ?? "").startsWith("WASM execution error: ") &&
  (get("trap").error ?? "").includes("unreachable"), get("trap").error);
check("session re-instantiated after trap", get("after-trap").ok && get("after-trap").instantiate_ms !== null, get("after-trap"));
check("snapshot hex", get("snapshot").ok && get("snapshot").value === "616263", get("snapshot"));
check("restore", get("restore").ok && get("restore").value === null, get("restore"));
check("bad hex", !get("bad-hex").ok && (get("bad-hex").error ?? "").startsWith("invalid hex"), get("bad-hex"));
check("clear", get("clear").ok, get("clear"));
check("finalize_preinit", get("finalize").ok, get("finalize"));
check("drop", get("drop").ok, get("drop"));
check("unknown op", !get("unknown-op").ok && get("unknown-op").error === "unknown op 'frob'", get("unknown-op"));
const bad = responses[responses.length - 1];
check("bad json", bad.id === null && !bad.ok && (bad.error ?? "").startsWith("invalid request"), bad);
check("peak memory", get("echo").peak_memory_bytes === 64 * 65536, get("echo").peak_memory_bytes);
if (byId.has("timeout")) check("timeout", get("timeout").error === "Execution timed out after 30s", get("timeout"));

console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
