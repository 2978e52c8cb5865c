// `npm run sandbox -- …` on the Node host: the command line of the reference
// host (host/README.md), run with the pinned Node 26 (JSPI).
//
//   -c CODE | FILE              one snippet in a fresh instance (128 MiB cap)
//   --session (-c CODE|FILE)…   all snippets in one instance, state kept
//   --serve                     the JSON-lines protocol on stdin/stdout
//   --runtime PATH, --stdlib DIR, --site-packages DIR (repeatable)

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Sandbox } from "./sandbox.ts";
import { demoCallbacks } from "./demo-callbacks.ts";
import { serve } from "./serve.ts";

const USAGE = `usage: npm run sandbox -- [options] -c CODE
       npm run sandbox -- [options] FILE
       npm run sandbox -- [options] --session (-c CODE | FILE)...
       npm run sandbox -- [options] --serve

Runs Python in eryx-as on the Node host (jco, Node 26). --host rust (or
npm run sandbox:rust) runs the reference host instead.

options:
  --runtime PATH         the runtime component (default dist/runtime.wasm)
  --stdlib DIR           the Python stdlib directory (default dist/python-stdlib)
  --site-packages DIR    mount DIR read-only as /site-packages-<i> (repeatable)
  -c CODE                Python code to execute
  --session              run every snippet in order in one instance
  --serve                answer JSON-lines requests on stdin (host/README.md)
  --no-cache             transpile into a fresh temporary directory instead
                         of reusing build/jco (benchmarks)
  -h, --help             show this help`;

interface Args { runtime: string; stdlib: string; sitePackages: string[]; snippets: string[]; session: boolean; serve: boolean; noCache: boolean }

function parse(argv: string[]): Args | null {
  const a: Args = { runtime: "dist/runtime.wasm", stdlib: "dist/python-stdlib", sitePackages: [], snippets: [], session: false, serve: false, noCache: false };
  for (let i = 0; i < argv.length; i++) {
    let flag = argv[i];
    let inline: string | undefined;
    const eq = flag.indexOf("=");
    if (flag.startsWith("--") && eq > 0) {
      inline = flag.slice(eq + 1);
      flag = flag.slice(0, eq);
    }
    const value = () => {
      if (inline !== undefined) return inline;
      if (i + 1 >= argv.length) throw new Error(`${flag} needs a value`);
      return argv[++i];
    };
    switch (flag) {
      case "-h": case "--help": return null;
      case "--runtime": a.runtime = value(); break;
      case "--stdlib": a.stdlib = value(); break;
      case "--site-packages": a.sitePackages.push(value()); break;
      case "-c": a.snippets.push(value()); break;
      case "--session": a.session = true; break;
      case "--serve": a.serve = true; break;
      case "--no-cache": a.noCache = true; break;
      default:
        if (flag.startsWith("-") && flag !== "-") throw new Error(`unknown option ${flag}`);
        try {
          a.snippets.push(readFileSync(flag, "utf8"));
        } catch (e) {
          throw new Error(`cannot read ${flag}: ${(e as Error).message}`);
        }
    }
  }
  if (a.serve) {
    if (a.snippets.length || a.session) throw new Error("--serve takes no code, file or --session");
  } else if (a.snippets.length === 0) {
    throw new Error("nothing to run: give -c CODE, a FILE, or --serve");
  } else if (a.snippets.length > 1 && !a.session) {
    throw new Error("several snippets need --session");
  }
  return a;
}

function printError(text: string): void {
  process.stderr.write(text.endsWith("\n") ? text : text + "\n");
}

async function main(argv: string[]): Promise<number> {
  let args: Args | null;
  try {
    args = parse(argv);
  } catch (e) {
    process.stderr.write(`sandbox: ${(e as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (!args) {
    process.stdout.write(USAGE + "\n");
    return 0;
  }
  if (args.noCache) {
    const dir = mkdtempSync(join(tmpdir(), "eryx-as-jco-"));
    process.env.ERYX_AS_JCO_DIR = dir;
    process.env.ERYX_AS_JCO_NO_CACHE = "1";
    process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
  }
  if (args.serve) {
    await serve({ runtime: args.runtime, stdlib: args.stdlib, sitePackages: args.sitePackages });
    return 0;
  }
  let sb: Sandbox;
  try {
    sb = await Sandbox.create({
      runtime: args.runtime, stdlib: args.stdlib, sitePackages: args.sitePackages, callbacks: demoCallbacks(),
      memoryLimitBytes: args.session ? null : undefined, guestOutput: "inherit",
    });
  } catch (e) {
    printError((e as Error).message);
    return 1;
  }
  try {
    for (const code of args.snippets) {
      const r = await sb.executeReport(code);
      if (!r.ok) {
        printError(r.error ?? "");
        return 1;
      }
      const out = r.value as string;
      if (out) await new Promise((resolve) => process.stdout.write(out + "\n", resolve));
    }
    return 0;
  } finally {
    await sb.close();
  }
}

process.exitCode = await main(process.argv.slice(2));
