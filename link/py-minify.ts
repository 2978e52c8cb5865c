// Shrinks the Python glue before the runtime embeds it: comments, docstrings,
// blank-line content and most whitespace go, indentation becomes one space a
// level. Every physical line stays where it was (a dropped line leaves its
// newline), so a glue traceback's line numbers still point into
// python/eryx_glue/. Works on tokens, never on text patterns, so a '#' or
// triple quote inside a string is left alone; what it cannot lex it refuses.

type Kind = "name" | "number" | "string" | "op" | "nl" | "cont";

interface Token {
  kind: Kind;
  text: string;
}

/** A logical line (tokens empty for a blank or comment-only line), with its indentation column. */
interface Line {
  indent: number;
  tokens: Token[];
}

// Longest first, so the first match is the longest.
const OPERATORS = [
  "**=", "//=", ">>=", "<<=", "...",
  "->", ":=", "**", "//", ">>", "<<", "<=", ">=", "==", "!=", "+=", "-=", "*=", "/=", "%=", "&=", "|=", "^=", "@=",
  "+", "-", "*", "/", "%", "@", "&", "|", "^", "~", "<", ">", "(", ")", "[", "]", "{", "}", ",", ":", ";", ".", "=", "!",
];
const NAME = /[\p{ID_Start}_][\p{ID_Continue}]*/uy;
const STRING_PREFIX = /^(?:[rR][bBfFtT]?|[bBfFtT][rR]?|[uU])$/;
const NUMBER = /(?:0[xX][\da-fA-F_]+|0[oO][0-7_]+|0[bB][01_]+|(?:\d[\d_]*(?:\.[\d_]*)?|\.\d[\d_]*)(?:[eE][+-]?\d[\d_]*)?[jJ]?)/y;

class Lexer {
  constructor(readonly src: string) {}

  fail(at: number, why: string): never {
    const line = this.src.slice(0, at).split("\n").length;
    throw new Error(`py-minify: line ${line}: ${why}`);
  }

  /** The end of the string literal whose prefix starts at `start` and whose quote is at `quoteAt`. */
  stringEnd(start: number, quoteAt: number): number {
    const src = this.src;
    const prefix = src.slice(start, quoteAt).toLowerCase();
    const formatted = prefix.includes("f") || prefix.includes("t");
    const raw = prefix.includes("r");
    const quote = src.startsWith(src[quoteAt].repeat(3), quoteAt) ? src[quoteAt].repeat(3) : src[quoteAt];
    let i = quoteAt + quote.length;
    for (;;) {
      if (i >= src.length) this.fail(start, "unterminated string");
      const c = src[i];
      if (src.startsWith(quote, i)) return i + quote.length;
      if (c === "\n" && quote.length === 1) this.fail(start, "unterminated string");
      if (c === "\\") {
        // \N{NAME} in a formatted string is an escape, not a replacement field.
        if (formatted && !raw && src[i + 1] === "N" && src[i + 2] === "{") i = src.indexOf("}", i) + 1;
        else i += 2;
      } else if (formatted && c === "{") {
        i = src[i + 1] === "{" ? i + 2 : this.fieldEnd(i + 1);
      } else i++;
    }
  }

  /** The end (past its '}') of a formatted string's replacement field whose expression starts at `i`. */
  fieldEnd(i: number): number {
    const src = this.src;
    let depth = 0;
    for (;;) {
      if (i >= src.length) this.fail(i, "unterminated replacement field");
      const c = src[i];
      const word = this.word(i);
      if (word !== undefined) {
        i = word.kind === "string" ? this.stringEnd(i, word.quoteAt) : word.end;
      } else if ("([{".includes(c)) {
        depth++;
        i++;
      } else if (")]".includes(c)) {
        depth--;
        i++;
      } else if (c === "}") {
        if (depth === 0) return i + 1;
        depth--;
        i++;
      } else if (c === ":" && depth === 0) {
        return this.specEnd(i + 1);
      } else if (c === "'" || c === '"') {
        i = this.stringEnd(i, i);
      } else i++;
    }
  }

  /** The end (past the field's '}') of a format spec, which may hold nested fields. */
  specEnd(i: number): number {
    const src = this.src;
    for (;;) {
      if (i >= src.length) this.fail(i, "unterminated format spec");
      const c = src[i];
      if (c === "}") return i + 1;
      if (c === "{") i = this.fieldEnd(i + 1);
      else if (c === "\\") i += 2;
      else i++;
    }
  }

  /** A name at `i` (or a string it prefixes), else undefined. */
  word(i: number): { kind: "name"; end: number } | { kind: "string"; quoteAt: number } | undefined {
    NAME.lastIndex = i;
    const m = NAME.exec(this.src);
    if (!m) return undefined;
    const end = i + m[0].length;
    const next = this.src[end];
    if ((next === "'" || next === '"') && STRING_PREFIX.test(m[0])) return { kind: "string", quoteAt: end };
    return { kind: "name", end };
  }

  lines(): Line[] {
    const src = this.src;
    const lines: Line[] = [];
    let i = 0;
    while (i < src.length) {
      let indent = 0;
      for (; src[i] === " " || src[i] === "\t" || src[i] === "\f"; i++) indent = src[i] === "\t" ? (indent + 8) & ~7 : src[i] === " " ? indent + 1 : 0;
      if (src[i] === "#") i = src.indexOf("\n", i) < 0 ? src.length : src.indexOf("\n", i);
      if (i >= src.length || src[i] === "\n") {
        lines.push({ indent, tokens: [] });
        i++;
        continue;
      }
      const tokens: Token[] = [];
      let depth = 0;
      while (i < src.length) {
        const c = src[i];
        if (c === " " || c === "\t" || c === "\f") {
          i++;
        } else if (c === "#") {
          const eol = src.indexOf("\n", i);
          i = eol < 0 ? src.length : eol;
        } else if (c === "\\" && src[i + 1] === "\n") {
          tokens.push({ kind: "cont", text: "\\\n" });
          i += 2;
        } else if (c === "\n") {
          i++;
          if (depth === 0) break;
          tokens.push({ kind: "nl", text: "\n" });
        } else {
          const start = i;
          const word = this.word(i);
          let kind: Kind;
          if (word?.kind === "string") {
            kind = "string";
            i = this.stringEnd(start, word.quoteAt);
          } else if (word) {
            kind = "name";
            i = word.end;
          } else if (c === "'" || c === '"') {
            kind = "string";
            i = this.stringEnd(start, start);
          } else if (/\d/.test(c) || (c === "." && /\d/.test(src[i + 1] ?? ""))) {
            NUMBER.lastIndex = i;
            kind = "number";
            i += NUMBER.exec(src)![0].length;
          } else {
            const op = OPERATORS.find((o) => src.startsWith(o, i));
            if (!op) this.fail(i, `unexpected character ${JSON.stringify(c)}`);
            kind = "op";
            i += op.length;
            if ("([{".includes(op)) depth++;
            else if (")]}".includes(op)) depth--;
          }
          tokens.push({ kind, text: src.slice(start, i) });
        }
      }
      if (depth !== 0) this.fail(i, "unbalanced brackets");
      lines.push({ indent, tokens });
    }
    return lines;
  }
}

const wordLike = (kind: Kind) => kind === "name" || kind === "number" || kind === "string";

/** Whether two tokens written without a space between them would lex differently. */
function needsSpace(a: Token, b: Token): boolean {
  if (wordLike(a.kind) && wordLike(b.kind)) return true; // names merge; a name prefixes a string; quotes merge into '''
  if (a.kind === "number" && b.text.startsWith(".")) return true; // 1 .real
  if (a.kind === "op" && b.kind === "op") return OPERATORS.some((o) => o.length > a.text.length && o.startsWith(a.text + b.text[0]));
  return false;
}

/** A statement that is only a string literal (a docstring, or any other), which does nothing. */
function isBareString(line: Line): boolean {
  const tokens = line.tokens.filter((t) => t.kind !== "nl" && t.kind !== "cont");
  return tokens.length > 0 && tokens.every((t) => t.kind === "string" && !/^[a-zA-Z]*[fFtT]/.test(t.text));
}

function newlines(tokens: Token[]): number {
  return tokens.reduce((n, t) => n + t.text.split("\n").length - 1, 0);
}

export function minifyPython(source: string): string {
  const lines = new Lexer(source.replace(/\r\n?/g, "\n")).lines();
  const out: string[] = [];
  const stack = [0];
  let lastEmitted: Line | undefined;
  for (let k = 0; k < lines.length; k++) {
    const line = lines[k];
    if (!line.tokens.length) {
      out.push("\n");
      continue;
    }
    while (line.indent < stack[stack.length - 1]) stack.pop();
    if (line.indent > stack[stack.length - 1]) stack.push(line.indent);
    if (line.indent !== stack[stack.length - 1]) throw new Error(`py-minify: inconsistent dedent before logical line ${k + 1}`);
    const pad = " ".repeat(stack.length - 1);
    const lineBreaks = "\n".repeat(newlines(line.tokens) + 1);
    if (isBareString(line)) {
      // Dropped; a block it was the only statement of gets a `pass`.
      const next = lines.slice(k + 1).find((l) => l.tokens.length);
      const opensBlock = lastEmitted?.tokens.at(-1)?.text === ":";
      if (opensBlock && (!next || next.indent < line.indent)) {
        out.push(`${pad}pass${lineBreaks}`);
        lastEmitted = line;
      } else out.push(lineBreaks);
      continue;
    }
    let text = pad;
    let prev: Token | undefined;
    for (const t of line.tokens) {
      if (t.kind === "nl" || t.kind === "cont") {
        text += t.text;
        continue;
      }
      if (prev && needsSpace(prev, t)) text += " ";
      text += t.text;
      prev = t;
    }
    out.push(`${text}\n`);
    lastEmitted = line;
  }
  return out.join("").replace(/\n+$/, "\n");
}
