// Host callbacks (docs/contract.md §5, §6 and the differences in §12): the
// component-model async `invoke` import, the embedded event loop, the
// wrappers (keyword-only in the 0.1.0 world) and namespaces, and failures as RuntimeError.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Host, freshSession, world } from "./host.ts";

let host: Host;
before(async () => { host = await Host.start(); });
after(async () => { await host.close(); });

async function ok(code: string, session?: string) {
  const r = await host.execute(code, session);
  assert.equal(r.error, null, `expected Ok for ${JSON.stringify(code)}`);
  return r;
}

test("await a callback wrapper and invoke() directly", async () => {
  const r = await ok("a = await echo(message='hi')\nb = await invoke('echo', message='yo')\nprint(a, b)");
  assert.equal(r.value, "{'echo': 'hi'} {'echo': 'yo'}");
  assert.deepEqual(r.callbacks.map((c) => [c.name, JSON.parse(c.args)]), [["echo", { message: "hi" }], ["echo", { message: "yo" }]]);
});

test("asyncio.gather runs three 100 ms host sleeps concurrently (the host sees them overlap)", async () => {
  const r = await ok("import asyncio\nrs = await asyncio.gather(sleep(ms=100), sleep(ms=100), sleep(ms=100))\nprint(rs)");
  assert.equal(r.value, "[{'slept_ms': 100}, {'slept_ms': 100}, {'slept_ms': 100}]");
  assert.equal(r.callbacks.length, 3);
  const latestStart = Math.max(...r.callbacks.map((c) => c.start_ms));
  const earliestEnd = Math.min(...r.callbacks.map((c) => c.end_ms!));
  assert.ok(latestStart < earliestEnd, `all three were in flight at once: ${JSON.stringify(r.callbacks)}`);
});

test("create_task, Future, nested coroutines, sleep(0), and queues/events/locks woken by callbacks", async () => {
  const code = [
    "import asyncio",
    "async def inner(x):",
    "    return (await add(a=x, b=1))",
    "async def outer():",
    "    return await inner(await inner(1))",
    "t = asyncio.create_task(outer())",
    "await asyncio.sleep(0)",
    "fut = asyncio.get_running_loop().create_future()",
    "async def resolve():",
    "    await echo(message='r')",
    "    fut.set_result('resolved')",
    "asyncio.create_task(resolve())",
    "q = asyncio.Queue(); ev = asyncio.Event(); lock = asyncio.Lock()",
    "async def producer():",
    "    async with lock:",
    "        await q.put(await echo(message='queued'))",
    "    ev.set()",
    "asyncio.create_task(producer())",
    "await ev.wait()",
    "print(await t, await fut, await q.get())",
  ].join("\n");
  assert.equal((await ok(code)).value, "3 resolved {'echo': 'queued'}");
});

test("a failing callback raises RuntimeError with the host's message", async () => {
  const r = await ok("try:\n    await fail(message='nope')\nexcept RuntimeError as e:\n    print('CAUGHT', e)");
  assert.equal(r.value, "CAUGHT execution failed: nope");
  const slow = await ok("import asyncio\nasync def late():\n    await sleep(ms=20)\n    await fail(message='later')\ntry:\n    await late()\nexcept RuntimeError as e:\n    print('CAUGHT', e)");
  assert.equal(slow.value, "CAUGHT execution failed: later");
});

test("an unknown callback is a RuntimeError naming it", async () => {
  const r = await ok("try:\n    await invoke('no_such_thing', x=1)\nexcept RuntimeError as e:\n    print(e)");
  assert.equal(r.value, "Callback 'no_such_thing' not found");
  const uncaught = await host.execute("await invoke('no_such_thing')");
  assert.match(uncaught.error!, /RuntimeError: Callback 'no_such_thing' not found/);
});

test("results of every JSON type arrive as Python values", async () => {
  const kinds: Record<string, string> = {
    string: "'text with \\'\\'\\' and \\\\ and \" quotes'",
    number: "3.5", int: "7", null: "None", bool: "True", list: "[1, 'two', None]", nested: "{'a': {'b': [1, 2, {'c': None}]}}",
  };
  for (const [kind, expected] of Object.entries(kinds)) {
    const r = await ok(`v = await value(kind='${kind}')\nprint(repr(v))`);
    assert.equal(r.value, expected, kind);
  }
});

test("quotes, backslashes and ''' in arguments round-trip", async () => {
  const r = await ok(`m = "it's ''' a \\\\ \\"test\\""\nr = await echo(message=m)\nprint(r['echo'] == m, r['echo'].count(chr(92)), r['echo'].count(chr(39)))`);
  assert.equal(r.value, "True 1 4"); // one backslash, four single quotes
});

// An eryx 0.5 callback answers a serde_json::Value: no host on that crate can send text that is not JSON.
const noInvalidJson = world === "eryx-0.5" && "eryx 0.5 callbacks answer JSON values: invalid JSON cannot reach the guest";
test("an invalid-JSON result is a clear error", { skip: noInvalidJson }, async () => {
  const r = await host.execute("await value(kind='invalid')");
  assert.match(r.error!, /JSONDecodeError|Expecting value/);
});

// Positional arguments: a TypeError in the 0.1.0 world (the 0.2.0 contract is keyword-only); eryx 0.5's
// runtime binds them to the schema's properties in order, and so does ours in that world.
const badCalls = "for code in ('echo(1, message=2)', 'add(1, 2, 3)', 'http.get(\\'u\\', url=\\'v\\')', 'invoke(\\'echo\\', \\'x\\')'):\n    try:\n        await eval(code)\n    except TypeError as e:\n        print(e)";

test("wrappers are named and documented; positional arguments as the world has them", async () => {
  const r = await ok(`print(echo.__name__, echo.__doc__)\n${badCalls}`);
  const takesNone = (name: string, given: string) => `${name}() takes 0 positional arguments but ${given} given`;
  const invokeError = "invoke() takes 1 positional argument but 2 were given";
  assert.equal(r.value, [
    "echo Invoke the 'echo' callback (async).",
    ...(world === "eryx-0.5"
      ? ["echo() got multiple values for argument 'message'", "add() takes 2 positional arguments but 3 were given", "http.get() got multiple values for argument 'url'"]
      : [takesNone("echo", "1 was"), takesNone("add", "3 were"), takesNone("http.get", "1 was")]),
    invokeError,
  ].join("\n"));
  assert.equal(r.callbacks.length, 0, "no bad call reaches the host");
});

test("positional arguments bound in the schema's order (eryx 0.5 world only)", { skip: world !== "eryx-0.5" && "the 0.1.0 world is keyword-only" }, async () => {
  const r = await ok("print(await add(10, 32), await add(10, b=32), await echo('hi'), await http.get('u'))");
  assert.equal(r.value, "42 42 {'echo': 'hi'} {'status': 200, 'url': 'u'}");
  assert.deepEqual(r.callbacks.map((c) => [c.name, JSON.parse(c.args)]), [
    ["add", { a: 10, b: 32 }], ["add", { a: 10, b: 32 }], ["echo", { message: "hi" }], ["http.get", { url: "u" }],
  ]);
});

test("dotted callbacks become namespaces; unknown leaves fail only when awaited", async () => {
  const r = await ok("print(await http.get(url='u'))\nleaf = http.typo\ntry:\n    await leaf()\nexcept RuntimeError as e:\n    print(e)\ntry:\n    http._private\nexcept AttributeError:\n    print('AttributeError')");
  assert.equal(r.value, "{'status': 200, 'url': 'u'}\nCallback 'http.typo' not found\nAttributeError");
});

test("a callback with only optional arguments", async () => {
  assert.equal((await ok("print(await defaults())\nprint(await defaults(count=2))")).value, "{'count': 1, 'greeting': 'hello'}\n{'count': 2, 'greeting': 'hello'}");
});

test("list_callbacks() describes every callback with its parsed parameters_schema", async () => {
  const r = await ok("import json\nprint(json.dumps(sorted(list_callbacks(), key=lambda c: c['name'])))");
  const list = JSON.parse(r.value!);
  assert.deepEqual(list.map((c: { name: string }) => c.name), ["add", "defaults", "echo", "fail", "http.get", "sleep", "value"]);
  const echo = list.find((c: { name: string }) => c.name === "echo");
  assert.equal(typeof echo.description, "string");
  assert.equal(echo.parameters_schema.type, "object");
  assert.ok("message" in echo.parameters_schema.properties);
});

test("reserved names get no wrapper, and a user binding wins over a wrapper", async () => {
  const s = freshSession();
  const r = await ok("import builtins\nprint(callable(echo))\necho = 'mine'", s);
  assert.equal(r.value, "True");
  assert.equal((await ok("print(echo)", s)).value, "mine");
  assert.equal((await ok("print(await invoke('echo', message='still'))", s)).value, "{'echo': 'still'}");
});

test("callbacks work in every execute of a session (the list is re-read each time)", async () => {
  const s = freshSession();
  for (let i = 0; i < 3; i++) assert.equal((await ok(`print((await add(a=${i}, b=10)))`, s)).value, String(i + 10));
});

test("invoke outside of a running execute (from a leftover task) fails cleanly", async () => {
  const s = freshSession();
  const r = await ok("import asyncio\nasync def later():\n    await asyncio.sleep(0)\n    return 1\nt = asyncio.create_task(later())\nprint('done')", s);
  assert.equal(r.value, "done");
  assert.equal((await ok("print(await echo(message='next'))", s)).value, "{'echo': 'next'}");
});
