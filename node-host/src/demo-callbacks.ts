// The demo/test callbacks, with the same names, schemas, results and error
// texts as the reference host's registry (host/src/callbacks.rs), so that the
// contract suites run unchanged on both hosts. Objects are built with sorted
// keys because serde_json (no preserve_order) writes them sorted.

import { CallbackError } from "./callback-error.ts";
import { RawResult, type Callback, type CallbackArgs } from "./types.ts";

function objectSchema(properties: Record<string, unknown>, required: string[]): Record<string, unknown> {
  return { properties, required, type: "object" };
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (typeof v === "string") return `string ${JSON.stringify(v)}`;
  if (typeof v === "boolean") return `boolean \`${v}\``;
  if (typeof v === "number") return Number.isInteger(v) ? `integer \`${v}\`` : `floating point \`${v}\``;
  return Array.isArray(v) ? "a sequence" : "a map";
}

/** A field of the given JSON type, with serde's wording when it is missing or of the wrong type. */
function field(args: CallbackArgs, name: string, type: "string" | "number" | "integer", optional = false): unknown {
  if (typeof args !== "object" || args === null || Array.isArray(args)) {
    throw new CallbackError("invalid", `invalid type: ${describe(args)}, expected a map`);
  }
  const v = args[name];
  if (v === undefined || (optional && v === null)) {
    if (optional) return undefined;
    throw new CallbackError("invalid", `missing field \`${name}\``);
  }
  const ok = type === "string" ? typeof v === "string"
    : type === "number" ? typeof v === "number"
    : typeof v === "number" && Number.isInteger(v);
  if (!ok) {
    const expected = type === "string" ? "a string" : type === "number" ? "a number" : "an integer";
    throw new CallbackError("invalid", `invalid type: ${describe(v)}, expected ${expected}`);
  }
  return v;
}

const kinds: Record<string, unknown> = {
  string: "text with ''' and \\ and \" quotes",
  number: 3.5,
  int: 7,
  null: null,
  bool: true,
  list: [1, "two", null],
  nested: { a: { b: [1, 2, { c: null }] } },
};

/** The fixed set of callbacks the tests rely on, in registration order. */
export function demoCallbacks(): Callback[] {
  return [
    {
      name: "echo",
      description: "Echo the message back as {\"echo\": message}.",
      parameters: objectSchema({ message: { description: "Text to echo", type: "string" } }, ["message"]),
      handler: (args) => ({ echo: field(args, "message", "string") }),
    },
    {
      name: "add",
      description: "Add two numbers.",
      parameters: objectSchema({ a: { type: "number" }, b: { type: "number" } }, ["a", "b"]),
      handler: (args) => (field(args, "a", "number") as number) + (field(args, "b", "number") as number),
    },
    {
      name: "fail",
      description: "Always fails with the given message (default 'boom').",
      parameters: objectSchema({ message: { type: "string" } }, []),
      handler: (args) => {
        throw new CallbackError("failed", (field(args, "message", "string", true) as string | undefined) ?? "boom");
      },
    },
    {
      name: "sleep",
      description: "Wait ms milliseconds on a host timer, then return {\"slept_ms\": ms}.",
      parameters: objectSchema({ ms: { minimum: 0, type: "integer" } }, ["ms"]),
      handler: async (args) => {
        const ms = field(args, "ms", "integer") as number;
        if (ms < 0) throw new CallbackError("invalid", `invalid value: integer \`${ms}\`, expected u64`);
        await new Promise((r) => setTimeout(r, ms));
        return { slept_ms: ms };
      },
    },
    {
      name: "http.get",
      description: "Pretend HTTP GET: returns {\"status\": 200, \"url\": url}.",
      parameters: objectSchema({ url: { type: "string" } }, ["url"]),
      handler: (args) => ({ status: 200, url: field(args, "url", "string") }),
    },
    {
      name: "defaults",
      description: "Only optional arguments: greeting (default 'hello'), count (default 1).",
      parameters: objectSchema({ count: { default: 1, type: "integer" }, greeting: { default: "hello", type: "string" } }, []),
      handler: (args) => ({
        count: field(args, "count", "integer", true) ?? 1,
        greeting: field(args, "greeting", "string", true) ?? "hello",
      }),
    },
    {
      name: "value",
      description: "Return a JSON value of the given kind: string, number, int, null, bool, list, nested, or invalid (non-JSON text).",
      parameters: objectSchema({ kind: { enum: ["string", "number", "int", "null", "bool", "list", "nested", "invalid"], type: "string" } }, ["kind"]),
      handler: (args) => {
        const kind = field(args, "kind", "string") as string;
        if (kind === "invalid") return new RawResult("not json {");
        if (!(kind in kinds)) throw new CallbackError("invalid", `unknown kind '${kind}'`);
        return kinds[kind];
      },
    },
  ];
}
