// What the fuzz harness feeds the sandbox: real snippets (ordinary programs
// and the hostile ones that found traps), a small statement grammar, and
// mutations of both. Every loop the corpus and the grammar make is bounded, so
// such an input can fail but never runs into the host's 30 s timeout;
// mutations are kept from the unbounded code found so far (powers, loops),
// but can still make some (docs/robustness.md).

import type { Rng } from "./rng.ts";

/** Ordinary Python a user would send. */
export const ORDINARY: readonly string[] = [
  "print(1 + 1)",
  "x = [i * i for i in range(10)]\nprint(sum(x))",
  "def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\nprint(fib(15))",
  "class P:\n    def __init__(self, x): self.x = x\n    def __repr__(self): return f'P({self.x})'\np = P(3)\nprint(p)",
  "import json\nprint(json.dumps({'a': [1, 2, {'b': None}]}, sort_keys=True))",
  "import re\nprint(re.findall(r'\\d+', 'a1b22c333'))",
  "import math\nprint(math.sqrt(2), math.factorial(20))",
  "d = {}\nfor w in 'the quick brown fox jumps over the lazy dog'.split():\n    d[w[0]] = d.get(w[0], 0) + 1\nprint(sorted(d.items()))",
  "def gen():\n    yield from range(3)\n    return 'done'\nprint(list(gen()))",
  "try:\n    1 / 0\nexcept ZeroDivisionError as e:\n    print('caught', e)",
  "import collections\nprint(collections.Counter('mississippi').most_common(2))",
  "import itertools\nprint(list(itertools.permutations('abc', 2))[:4])",
  "import functools\n@functools.lru_cache\ndef f(n): return 1 if n < 2 else n * f(n - 1)\nprint(f(50))",
  "s = 'héllo wörld ✓ 😀'\nprint(s.upper(), len(s), s.encode('utf-8')[:8])",
  "import dataclasses\n@dataclasses.dataclass\nclass C:\n    a: int\n    b: str = 'x'\nprint(C(1))",
  "import asyncio\nasync def f(i):\n    await asyncio.sleep(0)\n    return i\nprint(await asyncio.gather(*(f(i) for i in range(5))))",
  "r = await echo(message='hi')\nprint(r)",
  "print(await add(a=2, b=3))",
  "import asyncio\nrs = await asyncio.gather(echo(message='a'), add(a=1, b=2), value(kind='nested'))\nprint(rs)",
  "try:\n    await fail(message='nope')\nexcept RuntimeError as e:\n    print('failed:', e)",
  "print(list_callbacks()[0]['name'])",
  "import asyncio\nasync with asyncio.timeout(1):\n    await asyncio.sleep(0.001)\nprint('ok')",
  "counter = globals().get('counter', 0) + 1\nprint(counter)",
  "f = lambda *a, **k: (a, k)\nprint(f(1, 2, x=3))",
  "import decimal, fractions\nprint(decimal.Decimal('1.1') + decimal.Decimal('2.2'), fractions.Fraction(1, 3) * 3)",
  "import textwrap\nprint(textwrap.fill('word ' * 30, 40))",
  "import datetime\nprint(datetime.date(2024, 2, 29) + datetime.timedelta(days=1))",
  "import hashlib\nprint(hashlib.sha256(b'abc').hexdigest()[:16])",
  "import base64\nprint(base64.b64encode(bytes(range(10))))",
  "matrix = [[i * j for j in range(4)] for i in range(4)]\nprint(list(zip(*matrix)))",
  "x = 10\ndef outer():\n    y = 1\n    def inner():\n        nonlocal y\n        y += x\n        return y\n    return inner()\nprint(outer())",
  "match {'k': [1, 2]}:\n    case {'k': [a, b]}:\n        print(a + b)",
  "print(f'{3.14159:.2f} {255:#x} {\"s\"!r:>5}')",
  "import sys\nprint(sys.version_info[:2], sys.platform)",
  "import io\nb = io.StringIO()\nprint('to buffer', file=b)\nprint(b.getvalue().strip())",
  "import pickle\nprint(pickle.loads(pickle.dumps({1: (2, 3)})))",
  "import struct\nprint(struct.pack('<IhB', 1, -2, 3))",
  "import heapq\nh = [5, 1, 4]\nheapq.heapify(h)\nprint(heapq.heappop(h))",
  "import string\nprint(string.Template('$a-$b').substitute(a=1, b=2))",
  "import enum\nclass Color(enum.Enum):\n    RED = 1\nprint(Color.RED, Color(1))",
  "import typing\nT = typing.TypeVar('T')\ndef first(xs: list[T]) -> T: return xs[0]\nprint(first([9]))",
  "import weakref\nclass O: pass\no = O()\nr = weakref.ref(o)\ndel o\nprint(r())",
  "import gc\nprint(gc.collect() >= 0)",
  "raise ValueError('plain error')",
  "def f():\n    raise KeyError('k')\ntry:\n    f()\nexcept KeyError:\n    raise RuntimeError('wrapped')",
  "async def g():\n    raise ValueError('in coroutine')\nawait g()",
  "import asyncio\nq = asyncio.Queue()\nawait q.put(1)\nprint(await q.get())",
  "import asyncio\nt = asyncio.create_task(echo(message='bg'))\nprint(await t)",
  "print(*range(5), sep=',')",
  "import sys\nprint('err line', file=sys.stderr)\nprint('out line')",
];

/**
 * Hostile snippets: each went, or could go, for a trap (process exit,
 * abort, native stack overflow, allocation failure, interpreter state).
 */
export const HOSTILE: readonly string[] = [
  "import os\nos._exit(3)",
  "import os\nos.abort()",
  "import posix\nposix._exit(0)",
  "import sys\nsys.exit(2)",
  "raise SystemExit('bye')",
  "import signal\nsignal.raise_signal(signal.SIGTERM)",
  "import signal\nsignal.raise_signal(signal.SIGINT)",
  "import signal\nsignal.raise_signal(signal.SIGABRT)",
  "import signal\nsignal.raise_signal(signal.SIGSEGV)",
  "import signal\nsignal.signal(signal.SIGTERM, signal.SIG_DFL)\nsignal.raise_signal(signal.SIGTERM)",
  "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)",
  "import faulthandler\nfaulthandler._sigsegv()",
  "import faulthandler\nfaulthandler._sigabrt()",
  "import faulthandler\nfaulthandler._fatal_error('boom')",
  "import faulthandler\nfaulthandler._read_null()",
  "import faulthandler\nfaulthandler._stack_overflow()",
  "import faulthandler\nfaulthandler.enable()\nfaulthandler.dump_traceback()",
  "import sys\nsys.setrecursionlimit(10**5)\ndef f(): return f()\nf()",
  "import sys\nsys.setrecursionlimit(10**6)\ndef f(n): return f(n + 1)\nf(0)",
  "import sys\nsys.setrecursionlimit(10**9)\ndef f(): return f()\nf()",
  "import sys\nsys.setrecursionlimit(2**31 - 1)\ndef f(): return 1 + f()\nf()",
  "import sys\nsys.setrecursionlimit(10**5)\nclass A:\n    def __repr__(self): return repr(A())\nrepr(A())",
  "import sys\nsys.setrecursionlimit(10**5)\nclass A:\n    def __getattr__(self, n): return getattr(self, n)\nA().x",
  "import sys\nsys.setrecursionlimit(10**5)\ndef f(n): return [f(n + 1)]\nf(0)",
  "import sys\nsys.setrecursionlimit(10**5)\nasync def f(): return await f()\nawait f()",
  "import sys\nsys.setrecursionlimit(10**5)\ndef g():\n    yield from g()\nlist(g())",
  "import sys\nsys.setrecursionlimit(10**5)\nsys.settrace(lambda *a: None)\ndef f(): return f()\nf()",
  "import sys\nsys.setrecursionlimit(10**5)\nf = lambda x: x(x)\nf(f)",
  "import sys\nsys.setrecursionlimit(10**5)\nimport functools\n@functools.lru_cache\ndef f(n): return f(n + 1)\nf(0)",
  "import sys\nsys.setrecursionlimit(10**5)\ndef f(n): return sorted([1, 2], key=lambda _: f(n + 1))\nf(0)",
  "import sys\nsys.setrecursionlimit(10**5)\nclass M(type):\n    def __call__(cls): return cls()\nclass K(metaclass=M): pass\nK()",
  "import sys\nsys.setrecursionlimit(10**5)\ndef f(): return str(f())\nf()",
  // 200 000 levels built by untraced (_private) functions: as traced loops at
  // top level they made 400 000 trace events, 7 s on a loaded machine and
  // twice past the 30 s timeout in a full run.
  "def _deep(n):\n    x = None\n    for _ in range(n):\n        x = [x]\n    return x\nx = _deep(2 * 10**5)\ndel x\nprint('freed')",
  "def _deep(n):\n    x = None\n    for _ in range(n):\n        x = {'k': x}\n    return x\nx = _deep(2 * 10**5)\nprint(len(repr(x)))",
  "x = []\nfor _ in range(10**5):\n    x = [x]\nimport json\njson.dumps(x)",
  "x = []\nfor _ in range(10**5):\n    x = [x]\nimport pickle\npickle.dumps(x)",
  "x = []\nfor _ in range(10**5):\n    x = [x]\nprint(x == x, str(x)[:5])",
  "import copy\nx = []\nfor _ in range(10**5):\n    x = [x]\ncopy.deepcopy(x)",
  "eval('(' * 10000 + ')' * 10000)",
  "eval('-' * 100000 + '1')",
  "eval('not ' * 100000 + '1')",
  "eval('~' * 100000 + '1')",
  "eval('2' + '**2' * 100000)",
  "eval('lambda: ' * 10000 + '1')",
  "exec('if 1:\\n' + ''.join(' ' * i + 'if 1:\\n' for i in range(1, 200)) + ' ' * 200 + 'pass')",
  "exec('x = ' + '[' * 5000 + ']' * 5000)",
  "import ast\nast.parse('1' + '+1' * 100000)",
  "import json\njson.loads('[' * 100000 + ']' * 100000)",
  "import sys\nsys.setrecursionlimit(10**5)\nimport json\njson.loads('[' * 100000 + ']' * 100000)",
  "r = await fuzz(kind='deep', size=100000)\nprint(type(r))",
  "import sys\nsys.setrecursionlimit(10**6)\nr = await fuzz(kind='deep', size=1000000)\nprint(type(r))",
  "r = await fuzz(kind='huge', size=20000000)\nprint(len(r))",
  "r = await fuzz(kind='surrogate')\nprint(r)",
  "r = await fuzz(kind='text', size=1000)\nprint(r)",
  "r = await fuzz(kind='empty')\nprint(repr(r))",
  "import sys\nsys.setrecursionlimit(10**5)\nasync def f(n):\n    await echo(message=str(n))\n    return await f(n + 1)\nawait f(0)",
  "b = bytearray(2**31)",
  "s = 'x' * (2**31)",
  "l = [0] * (2**29)",
  "import sys\nsys.set_int_max_str_digits(0)\nprint(len(str(10 ** 200000)))",
  "import sys\nsys.stdout = None\nprint('lost')",
  "import sys\nsys.stdout.close()",
  "import sys\nsys.stderr = 42\nraise ValueError('x')",
  "import builtins\nbuiltins.print = None",
  "import sys\nsys.modules['json'] = None",
  "import asyncio\nasyncio.get_running_loop().stop()",
  "import asyncio\nasyncio.get_event_loop().close()",
  "import asyncio\nasyncio.run(asyncio.sleep(0))",
  "import threading\nthreading.Thread(target=print).start()",
  "import os\nos.fork()",
  "import subprocess\nsubprocess.run(['ls'])",
  "import socket\nsocket.socket().connect(('example.com', 80))",
  "open('/python-stdlib/evil.py', 'w').write('x')",
  "import os\nprint(len(os.listdir('/python-stdlib')) > 0)",
  "import ctypes",
  "import _testcapi",
  "import sys\nsys.setswitchinterval(1e-9)",
  // With a collection at every allocation, building a deep structure takes
  // quadratic time (20 000 levels: 7.5 s, 50 000: over 30 s), so the
  // threshold is put back for the inputs after this one.
  "import gc\nold = gc.get_threshold()\ngc.freeze()\ngc.set_threshold(1)\ntry:\n    print(gc.collect())\nfinally:\n    gc.set_threshold(*old)\n    gc.unfreeze()",
  "import sys\nsys.settrace(lambda *a: (_ for _ in ()).throw(SystemExit))\nprint(1)",
  "import sys\nsys.setprofile(lambda *a: 1 / 0)\nprint(1)",
  "import sys\nsys.monitoring.use_tool_id(0, 'x')",
  "import sys\nfor t in range(6):\n    sys.monitoring.free_tool_id(t)",
  "import sys\nsys.excepthook = None\nsys.unraisablehook = None\nraise ValueError",
  "class D:\n    def __del__(self): raise SystemExit\nd = D()\ndel d\nprint('after del')",
  "class D:\n    def __del__(self):\n        import os\n        os._exit(1)\nd = D()\ndel d",
  "import atexit\natexit.register(lambda: print('atexit'))",
  "import sys\nsys.exit(object())",
  "raise BaseException('base')",
  "raise GeneratorExit",
  "import os\nos.environ.clear()",
  "import time\ntime.sleep(0.01)\nprint('slept')",
  "import sys\nsys.setrecursionlimit(1)\nprint('low limit')",
  "import sys\nsys.setrecursionlimit(50)\nimport json\nprint(json.dumps([[[1]]]))",
];

const GRAMMAR_NAMES = ["a", "b", "x", "y", "data", "n", "s"];
const GRAMMAR_ATOMS = ["0", "1", "-1", "2**64", "1e308", "float('nan')", "'txt'", "b'\\x00'", "None", "True", "[]", "{}", "()", "'é😀'", "...", "3j"];
const BINOPS = ["+", "-", "*", "/", "//", "%", "**", "&", "|", "^", "<<", ">>", "==", "<", "and", "or", "in", "is"];

function expr(rng: Rng, depth: number): string {
  if (depth > 3 || rng.chance(0.35)) return rng.chance(0.5) ? rng.pick(GRAMMAR_ATOMS) : rng.pick(GRAMMAR_NAMES);
  switch (rng.below(10)) {
    case 0: return `(${expr(rng, depth + 1)} ${rng.pick(BINOPS)} ${expr(rng, depth + 1)})`;
    case 1: return `[${expr(rng, depth + 1)} for _ in range(${rng.below(4)})]`;
    case 2: return `{${expr(rng, depth + 1)}: ${expr(rng, depth + 1)}}`;
    case 3: return `(lambda v: ${expr(rng, depth + 1)})(${expr(rng, depth + 1)})`;
    case 4: return `${rng.pick(["len", "str", "repr", "int", "float", "list", "hash", "abs", "sorted", "bool", "bytes"])}(${expr(rng, depth + 1)})`;
    case 5: return `${expr(rng, depth + 1)}[${expr(rng, depth + 1)}]`;
    case 6: return `f'{${expr(rng, depth + 1)}!r}'`;
    case 7: return `(await fuzz(kind=${JSON.stringify(rng.pick(["json", "text", "fail", "slow", "surrogate", "empty"]))}, seed=${rng.below(1e6)}, size=${rng.below(64)}))`;
    case 8: return `(${expr(rng, depth + 1)} if ${expr(rng, depth + 1)} else ${expr(rng, depth + 1)})`;
    default: return `getattr(${expr(rng, depth + 1)}, ${JSON.stringify(rng.pick(["real", "__class__", "__dict__", "keys", "x"]))}, None)`;
  }
}

function statement(rng: Rng, indent: string, depth: number): string {
  const body = () => [statement(rng, indent + "    ", depth + 1), statement(rng, indent + "    ", depth + 1)].join("\n");
  if (depth > 2) return `${indent}${rng.pick(GRAMMAR_NAMES)} = ${expr(rng, 0)}`;
  switch (rng.below(9)) {
    case 0: return `${indent}try:\n${body()}\n${indent}except ${rng.pick(["Exception", "BaseException", "ValueError", "(TypeError, KeyError)"])} as e:\n${indent}    print(type(e).__name__)`;
    case 1: return `${indent}for ${rng.pick(GRAMMAR_NAMES)} in range(${rng.below(4)}):\n${body()}`;
    case 2: return `${indent}def fn(${rng.pick(["", "p", "*a", "p=1, **k"])}):\n${body()}\n${indent}    return ${expr(rng, 0)}`;
    case 3: return `${indent}if ${expr(rng, 0)}:\n${body()}\n${indent}else:\n${indent}    pass`;
    case 4: return `${indent}print(${expr(rng, 0)})`;
    case 5: return `${indent}class K(${rng.pick(["", "Exception", "dict", "int"])}):\n${indent}    attr = ${expr(rng, 0)}`;
    case 6: return `${indent}with open('/python-stdlib/os.py') as fh:\n${indent}    ${rng.pick(GRAMMAR_NAMES)} = fh.read(${rng.below(100)})`;
    default: return `${indent}${rng.pick(GRAMMAR_NAMES)} = ${expr(rng, 0)}`;
  }
}

/** A random program from the grammar: a few statements at top level. */
export function generate(rng: Rng): string {
  const lines: string[] = [];
  for (let i = rng.between(1, 5); i > 0; i--) lines.push(statement(rng, "", 0));
  return lines.join("\n");
}

const SMALL_NUMBERS = ["0", "1", "-1", "2", "3", "7"];
const BIG_NUMBERS = ["2**31", "2**63", "-2**63", "10**20", "1e308", "-0.0", "10**4000"];
const TOKENS = ["(", ")", "[", "]", ":", "\n", "    ", "await ", "yield ", "lambda: ", "\\", "'''", "#", "\0", "\ud800", "\u202e", "😀", "async ", "del ", "global x\n", "return ", "*", "**", "@", ","];

/** A mutation of `code`: deletions, duplications, splices, token and number substitutions. */
export function mutate(rng: Rng, code: string, other: string): string {
  // Unbounded numbers only where no loop, sleep, allocation or power can take
  // them, in the code and again after each step: a big number put in by one
  // step is a power (`2**63`), and another big number in its exponent
  // (`2**63**63`) would never finish.
  const risky = (text: string) => /range|while|sleep|\*|bytearray|repeat/.test(text);
  let out = code;
  for (let n = rng.between(1, 3); n > 0; n--) {
    const at = rng.below(out.length + 1);
    const len = rng.below(Math.min(20, out.length - at) + 1);
    switch (rng.below(6)) {
      case 0: out = out.slice(0, at) + out.slice(at + len); break;
      case 1: out = out.slice(0, at) + out.slice(at, at + len).repeat(rng.between(2, 4)) + out.slice(at + len); break;
      case 2: out = out.slice(0, at) + rng.pick(TOKENS) + out.slice(at); break;
      case 3: {
        const from = rng.below(other.length + 1);
        out = out.slice(0, at) + other.slice(from, from + rng.below(60)) + out.slice(at);
        break;
      }
      case 4: out = out.replace(/\d+/, rng.pick(risky(code) || risky(out) ? SMALL_NUMBERS : [...SMALL_NUMBERS, ...BIG_NUMBERS])); break;
      default: {
        const lines = out.split("\n");
        lines.splice(rng.below(lines.length), 0, lines[rng.below(lines.length)]);
        out = lines.join("\n");
      }
    }
  }
  // A mutation must not turn a bounded loop into an endless one,
  if (/while/.test(out) && !/while/.test(code)) out = out.replace(/while/g, "if");
  // nor a power into one that never finishes: a tower (`2**63**63`, from a
  // duplicated `**63`) or an exponent grown past a million by duplicated digits.
  out = out.replace(/(\*\*\s*\d+\s*)\*\*/g, "$1*");
  return out.replace(/\*\*(\s*)(\d{7,})/g, (power, space: string, digits: string) => (code.includes(power) ? power : `**${space}${digits.slice(0, 6)}`));
}
