// What only the eryx 0.5 world has (docs/eryx-0.5.md), through the published
// eryx 0.5.0 crate (eryx-host/): execute-output, report-output streaming, the
// result variable, and networking over eryx:net (socket, http.client,
// urllib.request, ssl) against loopback servers this file starts and stops.
// Runs only with ERYX_AS_E2E_HOST=eryx05 (npm run test:eryx-0.5).

import { test, before, after, describe } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer, type Server as HttpServer } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { createServer as createTcpServer, type AddressInfo, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Host, hostKind, type Response } from "./host.ts";

const skip = hostKind !== "eryx05" ? "the eryx 0.5 world only (ERYX_AS_E2E_HOST=eryx05)" : false;

function port(server: Server | HttpServer): number {
  return (server.address() as AddressInfo).port;
}

async function listen<T extends Server | HttpServer>(server: T): Promise<T> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return server;
}

async function close(server: Server | HttpServer | undefined): Promise<void> {
  if (!server) return;
  (server as HttpServer).closeAllConnections?.();
  await new Promise((resolve) => server.close(resolve));
}

function ok(r: Response): string {
  assert.equal(r.error, null, `expected Ok: ${r.error}`);
  return r.value!;
}

const requestHandler = (req: import("node:http").IncomingMessage, res: import("node:http").ServerResponse) => {
  let body = "";
  req.on("data", (c) => (body += c));
  req.on("end", () => {
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ method: req.method, url: req.url, body }));
  });
};

describe("execute-output, report-output and the result variable", { skip }, () => {
  let host: Host;
  before(async () => { host = await Host.start(["--result-variable", "answer"]); });
  after(async () => { await host?.close(); });

  test("stdout and stderr come back apart; report-output streamed every write while the code ran, in order", async () => {
    const r = await host.execute("import sys\nprint('out 1')\nprint('err 1', file=sys.stderr)\nsys.stdout.write('out 2')");
    assert.equal(ok(r), "out 1\nout 2");
    assert.equal(r.stderr, "err 1");
    const out = r.output!;
    assert.equal(out.filter(([s]) => s === 0).map(([, t]) => t).join(""), "out 1\nout 2");
    assert.equal(out.filter(([s]) => s === 1).map(([, t]) => t).join(""), "err 1\n");
    // Streamed as written: the stderr line arrives between the two stdout writes.
    const firstErr = out.findIndex(([s]) => s === 1);
    assert.ok(firstErr > 0 && out.slice(firstErr).some(([s, t]) => s === 0 && t === "out 2"), JSON.stringify(out));
  });

  test("output written before an error is streamed too, and text with lone surrogates arrives as valid UTF-8", async () => {
    const r = await host.execute("print('before')\nprint('\\ud800x')\nraise ValueError('boom')");
    assert.equal(r.ok, false);
    assert.match(r.error!, /ValueError: boom/);
    assert.equal(r.output!.map(([, t]) => t).join(""), "before\n\ufffdx\n");
  });

  test("output after an awaited callback is streamed as well", async () => {
    const r = await host.execute("print('a')\nr = await echo(message='hi')\nprint(r['echo'])");
    assert.equal(ok(r), "a\nhi");
    assert.equal(r.output!.filter(([s]) => s === 0).map(([, t]) => t).join(""), "a\nhi\n");
  });

  test("the result variable named by the host comes back as JSON, or says why not", async () => {
    const r = await host.execute("answer = {'n': [1, 2.5, None]}");
    assert.equal(r.result, '{"n": [1, 2.5, null]}');
    assert.equal(r.result_error, null);
    const bad = await host.execute("answer = {1, 2}");
    assert.equal(bad.result, null);
    assert.match(bad.result_error!, /result variable 'answer' is not JSON-serializable: TypeError/);
    const none = await host.execute("x = 1");
    assert.equal(none.result, null);
  });
});

describe("networking without with_network: every connection is a PermissionError with eryx's reason", { skip }, () => {
  let host: Host;
  before(async () => { host = await Host.start(); });
  after(async () => { await host?.close(); });

  test("socket, http.client and urllib.request", async () => {
    const r = await host.execute(`
import errno, socket, http.client, urllib.request, urllib.error
try:
    socket.create_connection(("127.0.0.1", 9))
except PermissionError as e:
    print("socket:", e.errno == errno.EACCES, e.strerror)
try:
    http.client.HTTPConnection("example.com", 80, timeout=2).request("GET", "/")
except PermissionError as e:
    print("http.client:", e.strerror)
try:
    urllib.request.urlopen("http://example.com/", timeout=2)
except urllib.error.URLError as e:
    print("urllib:", type(e.reason).__name__, e.reason.strerror)
print(socket is __import__("_socket"), socket.socket.__module__)
`);
    assert.equal(ok(r), [
      "socket: True not permitted: networking not enabled for this sandbox",
      "http.client: not permitted: networking not enabled for this sandbox",
      "urllib: PermissionError not permitted: networking not enabled for this sandbox",
      "True socket",
    ].join("\n"));
  });

  test("wrong arguments to the network imports are refused with a reason; the instance lives on", async () => {
    const r = await host.execute(`
import _eryx_io
print(_eryx_io.call("eryx:net/tcp@0.1.0", "connect", (1, 2, 3)))
print(_eryx_io.call("eryx:net/tcp@0.1.0", "connect", ("h", 70000, 0)))
print(_eryx_io.call("eryx:net/tcp@0.1.0", "write", (1, 0, "not bytes")))
print(_eryx_io.call("eryx:net/tcp@0.1.0", "nope", ()))
print(_eryx_io.has("", "report-output"), _eryx_io.has("eryx:net/tls@0.1.0", "upgrade"), _eryx_io.has("", "invoke"))
`);
    assert.equal(ok(r), [
      "(0, 'a str argument is not a str (or cannot be encoded as UTF-8)')",
      "(0, 'an integer argument is out of range')",
      "(0, 'a bytes argument is not bytes')",
      "(0, 'this world does not import that function')",
      "1 1 0",
    ].join("\n"));
    assert.equal(ok(await host.execute("print(1 + 1)")), "2");
  });
});

describe("networking with NetConfig::default(): loopback is refused by the host's policy", { skip }, () => {
  let host: Host;
  before(async () => { host = await Host.start(["--net", "default"]); });
  after(async () => { await host?.close(); });

  test("the host's reason reaches Python", async () => {
    const r = await host.execute(`
import errno, socket
try:
    socket.create_connection(("127.0.0.1", 80), timeout=2)
except PermissionError as e:
    print(type(e).__name__, e.errno == errno.EACCES, e.strerror)
`);
    assert.match(ok(r), /^PermissionError True not permitted: .+/);
  });
});

describe("networking with NetConfig::permissive(): loopback servers started by this test", { skip }, () => {
  let host: Host;
  let echo: Server;
  let http: HttpServer;
  let https: HttpServer;
  let certDir: string;
  before(async () => {
    echo = await listen(createTcpServer((s) => s.pipe(s)));
    http = await listen(createHttpServer(requestHandler));
    certDir = mkdtempSync(join(tmpdir(), "eryx05-cert-"));
    const key = join(certDir, "key.pem");
    const cert = join(certDir, "cert.pem");
    // A self-signed leaf (CA:FALSE: webpki refuses a CA certificate as the server's) for 127.0.0.1.
    const config = join(certDir, "req.cnf");
    writeFileSync(config, [
      "[req]", "distinguished_name = dn", "x509_extensions = v3", "prompt = no", "[dn]", "CN = 127.0.0.1", "[v3]",
      "basicConstraints = critical, CA:FALSE", "subjectAltName = IP:127.0.0.1, DNS:localhost",
      "keyUsage = critical, digitalSignature, keyEncipherment", "extendedKeyUsage = serverAuth", "",
    ].join("\n"));
    execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
      "-keyout", key, "-out", cert, "-days", "1", "-config", config], { stdio: "ignore" });
    execFileSync("openssl", ["x509", "-in", cert, "-outform", "der", "-out", join(certDir, "cert.der")]);
    https = await listen(createHttpsServer({ key: readFileSync(key), cert: readFileSync(cert) }, requestHandler));
    host = await Host.start(["--net", "permissive", "--root-cert", join(certDir, "cert.der")]);
  });
  after(async () => {
    await host?.close();
    await close(echo);
    await close(http);
    await close(https);
    if (certDir) rmSync(certDir, { recursive: true, force: true });
  });

  test("socket: connect, sendall, recv through eryx:net/tcp (an echo server)", async () => {
    const r = await host.execute(`
import socket
with socket.create_connection(("127.0.0.1", ${port(echo)}), timeout=5) as s:
    s.sendall(b"hello " * 1000)
    got = b""
    while len(got) < 6000:
        chunk = s.recv(4096)
        if not chunk:
            break
        got += chunk
print(len(got), got[:12])
`);
    assert.equal(ok(r), "6000 b'hello hello '");
  });

  test("http.client and urllib.request over plain HTTP", async () => {
    const r = await host.execute(`
import http.client, json, urllib.request
c = http.client.HTTPConnection("127.0.0.1", ${port(http)}, timeout=5)
c.request("POST", "/post", body=b'{"a": 1}', headers={"content-type": "application/json"})
resp = c.getresponse()
print(resp.status, json.loads(resp.read()))
c.close()
with urllib.request.urlopen("http://127.0.0.1:${port(http)}/get?x=1", timeout=5) as f:
    print(f.status, json.loads(f.read())["url"])
`);
    assert.equal(ok(r), "200 {'method': 'POST', 'url': '/post', 'body': '{\"a\": 1}'}\n200 /get?x=1");
  });

  test("ssl: HTTPS through eryx:net/tls (the host does the handshake; it trusts the test's certificate)", async () => {
    const r = await host.execute(`
import http.client, json, ssl, urllib.request
c = http.client.HTTPSConnection("127.0.0.1", ${port(https)}, timeout=5)
c.request("GET", "/secure")
resp = c.getresponse()
print(resp.status, json.loads(resp.read())["url"], type(c.sock).__name__)
with urllib.request.urlopen("https://127.0.0.1:${port(https)}/u", timeout=5) as f:
    print(f.status, json.loads(f.read())["url"])
print(ssl.HAS_SNI, ssl.create_default_context().check_hostname)
`);
    assert.equal(ok(r), "200 /secure SSLSocket\n200 /u\nTrue True");
  });

  test("a refused connection and a TLS failure are Python errors", async () => {
    const closed = await listen(createTcpServer());
    const closedPort = port(closed);
    await close(closed);
    const r = await host.execute(`
import errno, socket, ssl
try:
    socket.create_connection(("127.0.0.1", ${closedPort}), timeout=5)
except ConnectionRefusedError as e:
    print("refused:", e.errno == errno.ECONNREFUSED, e.strerror)
s = socket.create_connection(("127.0.0.1", ${port(http)}), timeout=5)
try:
    ssl.create_default_context().wrap_socket(s, server_hostname="127.0.0.1")
except (ssl.SSLError, OSError) as e:
    print("tls:", type(e).__name__)
`);
    const lines = ok(r).split("\n");
    assert.equal(lines[0], "refused: True connection refused");
    assert.match(lines[1], /^tls: (SSLError|SSLCertVerificationError|OSError|ConnectionResetError|TimeoutError)$/);
  });

  test("_eryx_async: the same calls as coroutines (the names eryx's own runtime uses)", async () => {
    const r = await host.execute(`
import _eryx_async
h = await _eryx_async.await_tcp_connect("127.0.0.1", ${port(echo)})
n = await _eryx_async.await_tcp_write(h, b"ping")
print(n, await _eryx_async.await_tcp_read(h, 4))
_eryx_async.tcp_close(h)
`);
    assert.equal(ok(r), "4 b'ping'");
  });
});
