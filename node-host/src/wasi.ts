// The WASI imports of one sandbox, locked down explicitly (runs in the
// sandbox's worker thread, where the preview2-shim modules are private to
// this sandbox):
// * filesystem: the only preopen is the stdlib at /python-stdlib, read-only
//   (every write, create, rename, delete is `read-only`); the shim confines
//   paths to the preopen (no `..` out, no absolute symlinks);
// * environment: PYTHONHOME and PYTHONPATH only, no arguments, no cwd;
// * sockets: creating a TCP or UDP socket and name lookup are `access-denied`;
// * stdin: empty (/dev/null), never the host's;
// * exit: a trap, never the host process;
// * stdout: where the options say (the JSON-lines protocol owns stdout).

import * as shim from "@bytecodealliance/preview2-shim";

export const STDLIB_GUEST_PATH = "/python-stdlib";

export interface WasiOptions {
  stdlib: string;
  sitePackages: string[];
  guestOutput: "stderr" | "inherit";
}

// The shim's modules as jco's generated code uses them: plain JS objects and
// classes whose methods are looked up by name.
// biome-ignore lint/suspicious/noExplicitAny: untyped by design (see above)
type Loose = any;
type Fn = (...args: Loose[]) => unknown;

/** Methods of the shim's Descriptor that change something. */
const mutating = [
  "writeViaStream", "appendViaStream", "setSize", "setTimes", "write", "createDirectoryAt",
  "setTimesAt", "linkAt", "removeDirectoryAt", "renameAt", "symlinkAt", "unlinkFileAt",
];

let descriptorPatched = false;

/** Make every descriptor of the shim read-only (the only preopen is read-only). */
function makeDescriptorsReadOnly(Descriptor: { prototype: Record<string, Fn> }): void {
  if (descriptorPatched) return;
  descriptorPatched = true;
  const proto = Descriptor.prototype;
  for (const name of mutating) {
    proto[name] = function readOnly() {
      throw "read-only";
    };
  }
  const openAt = proto.openAt;
  proto.openAt = function (pathFlags: unknown, path: string, openFlags: Record<string, boolean>, flags: Record<string, boolean>) {
    if (flags?.write || flags?.mutateDirectory || openFlags?.create || openFlags?.truncate || openFlags?.exclusive) {
      throw "read-only";
    }
    return openAt.call(this, pathFlags, path, openFlags, flags);
  };
  const getFlags = proto.getFlags;
  proto.getFlags = function () {
    const f = getFlags.call(this) ?? { read: true };
    return { ...f, write: false, mutateDirectory: false };
  };
}

function denied(): never {
  throw "access-denied";
}

/** The WASI import object, keyed as the transpiled component imports it (versionless). */
export function wasiImports(options: WasiOptions): Record<string, unknown> {
  const fs = shim.filesystem as Loose;
  makeDescriptorsReadOnly(fs.types.Descriptor);
  const mounts: Record<string, string> = { [STDLIB_GUEST_PATH]: options.stdlib };
  options.sitePackages.forEach((dir, i) => { mounts[`/site-packages-${i}`] = dir; });
  const { preopens } = fs.createFilesystem({ preopens: mounts });

  // An empty stdin: a read stream on /dev/null, through a preopen the guest never sees.
  let stdinStream: unknown;
  const devnull = () => {
    if (!stdinStream) {
      const [[dev]] = fs.createFilesystem({ preopens: { "/dev": "/dev" } }).preopens.getDirectories();
      // The read-only wrapper of openAt lets a read-only open through.
      stdinStream = dev.openAt({ symlinkFollow: false }, "null", {}, { read: true }).readViaStream(0n);
    }
    return stdinStream;
  };

  const env: [string, string][] = [["PYTHONHOME", STDLIB_GUEST_PATH], ["PYTHONPATH", Object.keys(mounts).join(":")]];
  const cli = shim.cli as Loose;
  const stdout = options.guestOutput === "stderr" ? { getStdout: () => cli.stderr.getStderr() } : cli.stdout;

  const sockets = shim.sockets as Loose;
  return {
    "wasi:cli/environment": {
      getEnvironment: () => env,
      getArguments: () => [],
      initialCwd: () => undefined,
    },
    "wasi:cli/exit": {
      exit: () => {
        throw new Error("the guest called wasi:cli/exit");
      },
    },
    "wasi:cli/stdin": { getStdin: devnull },
    "wasi:cli/stdout": stdout,
    "wasi:cli/stderr": cli.stderr,
    "wasi:cli/terminal-input": cli.terminalInput,
    "wasi:cli/terminal-output": cli.terminalOutput,
    "wasi:cli/terminal-stdin": { getTerminalStdin: () => undefined },
    "wasi:cli/terminal-stdout": { getTerminalStdout: () => undefined },
    "wasi:cli/terminal-stderr": { getTerminalStderr: () => undefined },
    "wasi:filesystem/preopens": preopens,
    "wasi:filesystem/types": fs.types,
    "wasi:io/error": shim.io.error,
    "wasi:io/poll": shim.io.poll,
    "wasi:io/streams": shim.io.streams,
    "wasi:random/random": shim.random.random,
    "wasi:random/insecure": shim.random.insecure,
    "wasi:random/insecure-seed": shim.random.insecureSeed,
    "wasi:clocks/monotonic-clock": shim.clocks.monotonicClock,
    "wasi:clocks/wall-clock": shim.clocks.wallClock,
    "wasi:sockets/instance-network": sockets.instanceNetwork,
    "wasi:sockets/network": sockets.network,
    "wasi:sockets/ip-name-lookup": { ...sockets.ipNameLookup, resolveAddresses: denied },
    "wasi:sockets/tcp": sockets.tcp,
    "wasi:sockets/tcp-create-socket": { createTcpSocket: denied },
    "wasi:sockets/udp": sockets.udp,
    "wasi:sockets/udp-create-socket": { createUdpSocket: denied },
  };
}
