// Snapshot, clear and restore of a session's state (docs/contract.md §9, and
// §12 for what we keep that eryx drops): what survives, what is skipped, merge semantics,
// refusal of bad bytes, and the callback API across clear/restore.

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Host, freshSession, type Response } from "./host.ts";

let host: Host;
before(async () => { host = await Host.start(); });
after(async () => { await host.close(); });

async function ok(code: string, session: string): Promise<string> {
  const r = await host.execute(code, session);
  assert.equal(r.error, null, `unexpected error for ${JSON.stringify(code)}`);
  assert.equal(r.ok, true);
  return r.value!;
}

async function nameError(code: string, session: string, name: string): Promise<void> {
  const r = await host.execute(code, session);
  assert.equal(r.ok, false, `expected a NameError for ${JSON.stringify(code)}, got ${JSON.stringify(r.value)}`);
  assert.match(r.error!, new RegExp(`NameError: name '${name}' is not defined`));
}

async function snapshot(session: string): Promise<string> {
  const r = await host.request({ op: "snapshot", session });
  assert.equal(r.error, null);
  assert.equal(r.ok, true);
  assert.match(r.value!, /^([0-9a-f]{2})+$/);
  return r.value!;
}

async function clear(session: string): Promise<void> {
  const r = await host.request({ op: "clear", session });
  assert.equal(r.error, null);
  assert.equal(r.ok, true);
}

function restore(session: string, hex: string): Promise<Response> {
  return host.request({ op: "restore", session, hex });
}

async function restoreOk(session: string, hex: string): Promise<void> {
  const r = await restore(session, hex);
  assert.equal(r.error, null);
  assert.equal(r.ok, true);
}

const STATE = [
  "n = None",
  "i = 7",
  "s = 'text'",
  "l = [1, [2, 3]]",
  "d = {'a': {'b': [1, None]}, 'c': (1, 2)}",
  "def f(a, b=10, *, c=100):",
  "    return a + b + c",
  "def mk(k):",
  "    def inner(v):",
  "        return v * k",
  "    return inner",
  "times3 = mk(3)",
  "sq = lambda v: v * v",
  "class P:",
  "    kind = 'point'",
  "    def __init__(self, x, y):",
  "        self.x = x",
  "        self.y = y",
  "    def norm2(self):",
  "        return self.x ** 2 + self.y ** 2",
  "p = P(3, 4)",
].join("\n");

const CHECK = "print(n, i, s, l, d, f(1), f(1, 2, c=3), times3(5), sq(4), P.kind, p.x, p.y, p.norm2(), isinstance(p, P))";
const CHECK_OUT = "None 7 text [1, [2, 3]] {'a': {'b': [1, None]}, 'c': (1, 2)} 111 6 15 16 point 3 4 25 True";

test("values, None, functions, closures, lambdas, classes and instances survive snapshot → clear → restore", async () => {
  const s = freshSession();
  assert.equal(await ok(STATE, s), "");
  assert.equal(await ok(CHECK, s), CHECK_OUT);
  const hex = await snapshot(s);
  await clear(s);
  for (const name of ["n", "i", "s", "l", "d", "f", "mk", "times3", "sq", "P", "p"]) {
    await nameError(`print(${name})`, s, name);
  }
  await restoreOk(s, hex);
  assert.equal(await ok(CHECK, s), CHECK_OUT);
  // Restored objects behave like the originals.
  assert.equal(await ok("print(f.__name__, f.__defaults__, f.__kwdefaults__, mk(2)(4), type(p).__name__)", s), "f (10,) {'c': 100} 8 P");
  assert.equal(await ok("q = P(1, 1)\nprint(q.norm2(), isinstance(q, P), type(q) is type(p))", s), "2 True True");
});

test("modules are not persisted, callback wrappers are kept working across clear and restore", async () => {
  const s = freshSession();
  assert.equal(await ok("import json\nx = json.dumps([1])\nprint(x)", s), "[1]");
  const hex = await snapshot(s);
  await clear(s);
  await nameError("print(json)", s, "json");
  assert.equal(await ok("print(await echo(message='after clear'))", s), "{'echo': 'after clear'}");
  assert.equal(await ok("print(await invoke('echo', message='i'))", s), "{'echo': 'i'}");
  await restoreOk(s, hex);
  await nameError("print(json)", s, "json");
  assert.equal(await ok("print(x)", s), "[1]");
  assert.equal(await ok("print(await echo(message='after restore'))", s), "{'echo': 'after restore'}");
  assert.equal(await ok("print(await invoke('add', a=2, b=3))", s), "5");
  assert.equal(await ok("print(echo.__name__)", s), "echo");
});

test("restore merges: a variable defined after the snapshot survives the restore", async () => {
  const s = freshSession();
  await ok("a = 1\nb = 'old'", s);
  const hex = await snapshot(s);
  await ok("b = 'new'\nlate = 42", s);
  await restoreOk(s, hex);
  assert.equal(await ok("print(a, b, late)", s), "1 old 42");
});

/** Flip one byte of a hex string at byte index `at`. */
function flipByte(hex: string, at: number): string {
  const byte = parseInt(hex.slice(2 * at, 2 * at + 2), 16) ^ 0xff;
  return hex.slice(0, 2 * at) + byte.toString(16).padStart(2, "0") + hex.slice(2 * at + 2);
}

for (const [label, damage] of [
  ["a corrupt snapshot (one byte flipped in the middle)", (hex: string) => flipByte(hex, Math.floor(hex.length / 4))],
  ["a truncated snapshot", (hex: string) => hex.slice(0, 2 * Math.floor(hex.length / 4))],
  ["random bytes", () => "deadbeef00112233445566778899aabbccddeeff0123456789"],
  ["a plain pickle of {'x': 1} (not an eryx snapshot)", () => "8005950a000000000000007d948c0178944b01732e"],
] as const) {
  test(`${label}: restore is an Err with a reason and the state is untouched`, async () => {
    const s = freshSession();
    await ok("keep = 'kept'\nx = 1", s);
    const hex = await snapshot(s);
    await ok("x = 2", s);
    const r = await restore(s, damage(hex));
    assert.equal(r.ok, false);
    assert.match(r.error!, /Failed to restore state/);
    assert.ok(r.error!.length > "Failed to restore state: ".length, `no reason in ${JSON.stringify(r.error)}`);
    assert.doesNotMatch(r.error!, /Unknown error/);
    assert.equal(await ok("print(keep, x)", s), "kept 2");
  });
}

test("restoring empty bytes is Ok and has no effect", async () => {
  const s = freshSession();
  await ok("x = 'still here'", s);
  const before = await ok("print(sorted(globals()))", s);
  await restoreOk(s, "");
  assert.equal(await ok("print(x)", s), "still here");
  assert.equal(await ok("print(sorted(globals()))", s), before);
});

test("clear keeps the callback API", async () => {
  const s = freshSession();
  await ok("x = 1\ny = [2]", s);
  await clear(s);
  await nameError("print(x)", s, "x");
  assert.equal(await ok("print(await echo(message='x'))", s), "{'echo': 'x'}");
  assert.equal(await ok("print(sorted(c['name'] for c in list_callbacks()))", s),
    "['add', 'defaults', 'echo', 'fail', 'http.get', 'sleep', 'value']");
  assert.equal(await ok("print(await http.get(url='https://example.com'))", s), "{'status': 200, 'url': 'https://example.com'}");
});

test("clear on a fresh session and a second clear are harmless", async () => {
  const s = freshSession();
  await clear(s);
  await clear(s);
  assert.equal(await ok("print(await echo(message='fresh'))", s), "{'echo': 'fresh'}");
});

test("a snapshot restores into another, fresh session", async () => {
  const a = freshSession("from");
  const b = freshSession("to");
  await ok(STATE, a);
  const hex = await snapshot(a);
  await ok("print(1)", b);
  await restoreOk(b, hex);
  assert.equal(await ok(CHECK, b), CHECK_OUT);
  // The source session is unaffected by the restore elsewhere.
  await ok("i = 8", b);
  assert.equal(await ok("print(i)", a), "7");
});

test("a snapshot restores into a session that has not executed anything yet", async () => {
  const a = freshSession("from");
  const b = freshSession("to");
  await ok("x = {'k': [1, 2]}\ndef g(v=3):\n    return v * 2", a);
  const hex = await snapshot(a);
  await restoreOk(b, hex);
  assert.equal(await ok("print(x, g(), await echo(message='e'))", b), "{'k': [1, 2]} 6 {'echo': 'e'}");
});

test("a value that cannot be pickled (a generator) is skipped, the rest is kept", async () => {
  const s = freshSession();
  await ok("g = (i for i in range(3))\nkeep = [1, 2, 3]", s);
  const hex = await snapshot(s);
  await clear(s);
  await restoreOk(s, hex);
  assert.equal(await ok("print(keep)", s), "[1, 2, 3]");
  await nameError("print(g)", s, "g");
});

test("user code sees only the API names in a fresh session's globals", async () => {
  const s = freshSession();
  // Modules a pre-initialised image pre-imported (eryx's protocol runs `import …` as an execute) may be bound too.
  const names = await ok("import types\nprint(sorted(k for k, v in globals().items() if not k.startswith('__') and not isinstance(v, types.ModuleType)))", s);
  assert.equal(names,
    "['_EryxCallbackLeaf', '_EryxNamespace', 'add', 'defaults', 'echo', 'fail', 'http', 'invoke', 'list_callbacks', 'sleep', 'value']");
  const dunders = await ok("print(sorted(k for k in globals() if k.startswith('__')))", s);
  assert.equal(dunders, "['__builtins__', '__name__']");
});

test("after clear, globals hold only the API names again", async () => {
  const s = freshSession();
  await ok("import json\nx = 1\ndef f():\n    pass", s);
  await clear(s);
  assert.equal(await ok("print(sorted(k for k in globals()))", s),
    "['_EryxCallbackLeaf', '_EryxNamespace', '__builtins__', '__name__', 'add', 'defaults', 'echo', 'fail', 'http', 'invoke', 'list_callbacks', 'sleep', 'value']");
});

test("a snapshot where nothing at all can be serialised is an Err naming the value", async () => {
  const s = freshSession();
  await ok("g = (i for i in range(3))", s);
  const r = await host.request({ op: "snapshot", session: s });
  assert.equal(r.ok, false);
  assert.match(r.error!, /Failed to snapshot state/);
  assert.match(r.error!, /\bg\b/);
  assert.equal(await ok("print(next(g))", s), "0");
});

test("a snapshot of a session without user variables is Ok and restores to nothing", async () => {
  const a = freshSession();
  await ok("print('nothing kept')", a);
  const hex = await snapshot(a);
  const b = freshSession();
  await ok("x = 1", b);
  const before = await ok("print(sorted(globals()))", b);
  await restoreOk(b, hex);
  assert.equal(await ok("print(sorted(globals()))", b), before);
});

test("shared references, cycles, recursion, big ints, floats, sets and bytes survive", async () => {
  const s = freshSession();
  await ok([
    "a = [1]", "b = a", "cyc = []", "cyc.append(cyc)",
    "def fact(k):", "    return 1 if k <= 1 else k * fact(k - 1)",
    "big = 2 ** 100", "fl = 1.5", "st = {1, 2}", "by = b'\\x00\\xff'",
  ].join("\n"), s);
  const hex = await snapshot(s);
  await clear(s);
  await restoreOk(s, hex);
  assert.equal(await ok("print(a is b, cyc[0] is cyc, fact(5), big, fl, st, by)", s),
    "True True 120 1267650600228229401496703205376 1.5 {1, 2} b'\\x00\\xff'");
});

test("subclasses (super()) and exception subclasses survive", async () => {
  const s = freshSession();
  await ok([
    "class Base:", "    def who(self):", "        return 'base'",
    "class Child(Base):", "    def who(self):", "        return 'child+' + super().who()",
    "ch = Child()",
    "class E(Exception):", "    pass",
    "e = E('x')",
  ].join("\n"), s);
  const hex = await snapshot(s);
  await clear(s);
  await restoreOk(s, hex);
  assert.equal(await ok("print(ch.who(), isinstance(ch, Base), Child.__mro__[1] is Base, repr(e), isinstance(e, E), issubclass(E, Exception))", s),
    "child+base True True E('x') True True");
});

test("a class with staticmethod, classmethod and property survives with its instance", async () => {
  const s = freshSession();
  await ok([
    "class K:",
    "    @staticmethod", "    def s():", "        return 1",
    "    @classmethod", "    def c(cls):", "        return cls.__name__",
    "    @property", "    def p(self):", "        return 3",
    "k = K()",
  ].join("\n"), s);
  const hex = await snapshot(s);
  await clear(s);
  await restoreOk(s, hex);
  assert.equal(await ok("print(K.s(), K.c(), k.p, isinstance(k, K))", s), "1 K 3 True");
});

test("a dataclass and its instance survive", async () => {
  const s = freshSession();
  await ok("from dataclasses import dataclass\n@dataclass\nclass Pt:\n    x: int\n    y: int = 0\npt = Pt(1)", s);
  const hex = await snapshot(s);
  await clear(s);
  await restoreOk(s, hex);
  assert.equal(await ok("print(pt, Pt(2, 3), pt == Pt(1, 0))", s), "Pt(x=1, y=0) Pt(x=2, y=3) True");
});

test("a class with __slots__ and its instance survive (and do not spoil the rest)", async () => {
  const s = freshSession();
  await ok("class S:\n    __slots__ = ('a',)\n    def __init__(self):\n        self.a = 1\nsv = S()\nkeep = 'k'", s);
  const hex = await snapshot(s);
  await clear(s);
  await restoreOk(s, hex);
  assert.equal(await ok("print(keep, sv.a, isinstance(sv, S))", s), "k 1 True");
});
