// link/py-minify.ts, judged by CPython 3.14 itself (Pyodide, as the glue's
// Python tests use): the minified source parses to the same AST as the
// original once its string-only statements are gone, on every line where the
// original had it, and runs to the same results.

import { before, test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { loadPyodide, type PyodideInterface } from "pyodide";
import { minifyPython } from "../../link/py-minify.ts";
import { embedGlue } from "../../link/glue.ts";
import { ROOT } from "./paths.ts";

let py: PyodideInterface;

before(async () => {
  py = await loadPyodide();
  py.runPython(`
import ast

def _normalised(tree):
    # What the minifier may change: statements that are only a (non-f) string go, an emptied body becomes pass (on its last line).
    for node in ast.walk(tree):
        for field in ("body", "orelse", "finalbody"):
            body = getattr(node, field, None)
            if not isinstance(body, list) or not body or not isinstance(body[0], ast.stmt):
                continue
            kept = [s for s in body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant) and isinstance(s.value.value, str))]
            setattr(node, field, kept or [ast.Pass(lineno=body[-1].lineno, col_offset=0, end_lineno=body[-1].lineno, end_col_offset=4)])
    return tree

def compare(original, minified):
    a = _normalised(ast.parse(original))
    b = _normalised(ast.parse(minified))
    if ast.dump(a) != ast.dump(b):
        return "different AST"
    lines_a = [(type(n).__name__, getattr(n, "lineno", None), getattr(n, "end_lineno", None)) for n in ast.walk(a)]
    lines_b = [(type(n).__name__, getattr(n, "lineno", None), getattr(n, "end_lineno", None)) for n in ast.walk(b)]
    if lines_a != lines_b:
        return next(f"{x} became {y}" for x, y in zip(lines_a, lines_b) if x != y)
    return ""

def run(source):
    namespace = {}
    exec(compile(source, "<test>", "exec"), namespace)
    return repr(namespace["RESULT"])
`);
});

function compare(original: string, minified: string): string {
  return py.globals.get("compare")(original, minified);
}

// Everything a tokenizer can get wrong: '#' and quotes inside strings, nested
// f-strings and format specs, prefixes, continuations, comments in brackets,
// bodies that are only a docstring, operators that would merge.
const TRICKY = `#!/usr/bin/env python3
"""Module docstring with a # and ''' inside."""

import re  # a comment


def only_doc():
    """Only a docstring: the body needs a pass."""


class OnlyDoc:
    'single-quoted docstring'
    "and a second string statement"


def f(a, *args, b=-1, **kwargs) -> dict:
    """Doc."""
    # comment line
    s = "# not a comment"
    t = '''triple with "quotes" and # hash
spanning lines'''
    u = f"{a!r:>{b + 12}} {'#'} {kwargs.get('k', '}')}"
    v = (f'{"nested" + f"{a}"}' r"\\"" 'y' "z", rb'\\d+' b"x")
    w = f"\\N{BULLET} {{literal}} {a=}"
    x = [1, 2,  # comment inside brackets
         3, 4][::-1]
    y = (a if a else -a) ** -2 if a else ~-a
    z = 1 .real + 1.5e-3 + 0x_ff + 1_000j.imag + .5
    total = a + \\
        b
    if (n := len(args)) > 0 and not-n:
        pass
    lam = lambda *p, **k: (p, k)
    return {"s": s, "t": t, "u": u, "v": v, "w": w, "x": x, "y": y, "z": z, "total": total, "lam": lam(1, k=2), "n": n}


@staticmethod
def g():
    match [1, 2]:
        case [first, *rest] if first:
            return first, rest
        case _:
            return None


def h():
    "dropped"
    return [i for i in range(3) if i not in (1,)], "a" "b", ...


class C(dict):
    """Doc."""

    def m(self):
        try:
            return self
        except (TypeError, ValueError):
            "only a string here"
        finally:
            "and here"


RESULT = (f(3, 4, 5, b=2, k=1), g.__func__(), h(), only_doc(), OnlyDoc.__doc__, C().m(), re.escape("a.b"))
`;

test("the tricky module minifies to the same AST, on the same lines, and runs to the same result", () => {
  const minified = minifyPython(TRICKY);
  assert.equal(compare(TRICKY, minified), "");
  assert.equal(minified.split("\n").length, TRICKY.split("\n").length, "every line kept");
  const run = py.globals.get("run");
  const expected = run(TRICKY).replace("'single-quoted docstring'", "None");
  assert.equal(run(minified), expected);
  // The docstring-only bodies got a pass; strings holding '#' and quotes are intact.
  assert.match(minified, /^def only_doc\(\):\n pass$/m);
  assert.ok(minified.includes(`'''triple with "quotes" and # hash\nspanning lines'''`));
  assert.ok(!minified.includes("# a comment") && !minified.includes("Module docstring"));
  assert.ok(minified.length < TRICKY.length * 0.75, `${minified.length} of ${TRICKY.length} bytes`);
});

test("every glue module minifies to the same AST on the same lines", () => {
  const dir = join(ROOT, "python", "eryx_glue");
  const files = readdirSync(dir).filter((f) => f.endsWith(".py"));
  assert.ok(files.length >= 10);
  for (const file of files) {
    const source = readFileSync(join(dir, file), "utf8");
    const minified = minifyPython(source);
    assert.equal(compare(source, minified), "", file);
    assert.ok(minified.length < source.length, file);
  }
});

test("one-space indentation, no comments, operators kept apart where they would merge", () => {
  assert.equal(minifyPython("if a:\n    if b:  # c\n        x = y ** -z\n"), "if a:\n if b:\n  x=y**-z\n");
  assert.equal(minifyPython("x = a * *b\n"), "x=a* *b\n");
  assert.equal(minifyPython("x = r 'a'\n"), "x=r 'a'\n");
  assert.equal(minifyPython("x = '' 'a'\n"), "x='' 'a'\n");
  assert.equal(minifyPython("x = 1 if y else 2\n"), "x=1 if y else 2\n");
});

test("refuses what it cannot lex instead of guessing", () => {
  assert.throws(() => minifyPython("x = 'unterminated\n"), /line 1: unterminated string/);
  assert.throws(() => minifyPython('x = """never closed\n'), /unterminated string/);
  assert.throws(() => minifyPython("x = (1,\n"), /unbalanced brackets/);
  assert.throws(() => minifyPython("x = a $ b\n"), /unexpected character/);
});

test("each world embeds only its modules: net.py in eryx-0.5, not in eryx-0.1", () => {
  const without = embedGlue(ROOT, ["net"]);
  const all = embedGlue(ROOT);
  assert.ok(!without.text.includes('"net"') && all.text.includes('"net"'));
  for (const { sizes } of [without, all]) {
    assert.ok(sizes.minified < sizes.source && sizes.deflated < sizes.minified, JSON.stringify(sizes));
  }
});
