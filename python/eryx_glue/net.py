"""Networking in the eryx 0.5 world: ``socket`` and ``ssl`` over the host's ``eryx:net`` imports.

CPython's WASI build has no working sockets (its ``_socket`` fails every
lookup) and no ``_ssl``. The eryx 0.5 world imports ``eryx:net/tcp`` and
``eryx:net/tls`` instead: the host connects, resolves names, applies its
allow-list (``NetConfig``) and does TLS itself. So in that world, when the
glue loads, ``socket`` (also as ``_socket``) and ``ssl`` become the modules
built here, and ``http.client``, ``urllib.request`` and whatever else builds
on them go through the host. A refusal by the host is a ``PermissionError``
carrying the host's reason (without ``with_network``: "networking not enabled
for this sandbox"). ``_eryx_async`` offers the same calls as coroutines, under
the names eryx's own runtime uses.

Client TCP only: no listening sockets, no UDP, no raw file descriptors. The
host verifies certificates by its own roots (``NetConfig``); what a context
says about verification cannot loosen that. The 0.1.0 world has no
``eryx:net``: nothing here is installed there.
"""

import errno as _errno
import io as _io
import sys as _sys
import types as _types

try:
    import _eryx_io
except ImportError:  # a plain CPython (tests/python): no runtime, no network imports
    _eryx_io = None

TCP = "eryx:net/tcp@0.1.0"
TLS = "eryx:net/tls@0.1.0"

# --- errors ------------------------------------------------------------------


class gaierror(OSError):
    """Name resolution failed (the host could not resolve the name)."""

    __module__ = "socket"


class herror(OSError):
    __module__ = "socket"


class SSLError(OSError):
    """A TLS failure reported by the host."""

    __module__ = "ssl"


class SSLZeroReturnError(SSLError):
    __module__ = "ssl"


class SSLWantReadError(SSLError):
    __module__ = "ssl"


class SSLWantWriteError(SSLError):
    __module__ = "ssl"


class SSLSyscallError(SSLError):
    __module__ = "ssl"


class SSLEOFError(SSLError):
    __module__ = "ssl"


class SSLCertVerificationError(SSLError, ValueError):
    __module__ = "ssl"


EAI_NONAME = -2


def _tcp_error(err):
    """The OSError for a ``tcp-error`` (case, payload), with the texts of eryx's ``TcpError``."""
    case, payload = err
    if case == 0:
        return ConnectionRefusedError(_errno.ECONNREFUSED, "connection refused")
    if case == 1:
        return ConnectionResetError(_errno.ECONNRESET, "connection reset")
    if case == 2:
        return TimeoutError(_errno.ETIMEDOUT, "timed out")
    if case == 3:
        return gaierror(EAI_NONAME, "host not found")
    if case == 4:
        return OSError(_errno.EIO, f"I/O error: {payload}")
    if case == 5:
        return PermissionError(_errno.EACCES, f"not permitted: {payload}")
    return OSError(_errno.EBADF, "invalid handle")


def _tls_error(err):
    case, payload = err
    if case == 0:
        return _tcp_error(payload)
    if case == 1:
        return SSLError(1, f"TLS handshake failed: {payload}")
    if case == 2:
        return SSLCertVerificationError(1, f"certificate error: {payload}")
    return OSError(_errno.EBADF, "invalid handle")


def _call(iface, name, *args):
    """Calls an eryx:net import; returns the ok value or raises the mapped OSError."""
    ok, value = _eryx_io.call(iface, name, args)
    if not ok:
        raise OSError(_errno.EINVAL, f"eryx:net {name}: {value}")
    if value is None:  # close: no result
        return None
    case, payload = value
    if case == 0:
        return payload
    raise (_tls_error if iface == TLS else _tcp_error)(payload)


def _timeout_ms(timeout):
    """A socket timeout (None = blocking) as eryx:net's timeout-ms (0 = the host's own)."""
    if timeout is None:
        return 0
    return max(1, min(int(timeout * 1000), 0xFFFFFFFF))


# --- socket --------------------------------------------------------------------

AF_UNSPEC, AF_UNIX, AF_INET, AF_INET6 = 0, 1, 2, 10
SOCK_STREAM, SOCK_DGRAM, SOCK_RAW = 1, 2, 3
SOL_SOCKET, SO_REUSEADDR, SO_KEEPALIVE, SO_SNDBUF, SO_RCVBUF, SO_ERROR = 1, 2, 9, 7, 8, 4
IPPROTO_IP, IPPROTO_TCP, IPPROTO_UDP, IPPROTO_IPV6 = 0, 6, 17, 41
TCP_NODELAY, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT = 1, 4, 5, 6
SHUT_RD, SHUT_WR, SHUT_RDWR = 0, 1, 2
AI_PASSIVE, AI_CANONNAME, AI_NUMERICHOST, AI_ADDRCONFIG, AI_NUMERICSERV = 1, 2, 4, 32, 1024
NI_NUMERICHOST, NI_NUMERICSERV = 1, 2
SOMAXCONN = 128
MSG_PEEK, MSG_WAITALL, MSG_DONTWAIT = 2, 256, 64
_SERVICES = {"http": 80, "https": 443, "ftp": 21, "smtp": 25, "imap": 143, "imaps": 993, "pop3": 110}

_GLOBAL_DEFAULT_TIMEOUT = object()
_default_timeout = None


def getdefaulttimeout():
    return _default_timeout


def setdefaulttimeout(timeout):
    global _default_timeout
    _default_timeout = None if timeout is None else float(timeout)


def _port(port):
    if port is None:
        return 0
    if isinstance(port, (bytes, str)):
        text = port.decode() if isinstance(port, bytes) else port
        if text.isdigit():
            return int(text)
        if text in _SERVICES:
            return _SERVICES[text]
        raise gaierror(EAI_NONAME, f"service {text!r} not known")
    return int(port)


def _hostname(host):
    if isinstance(host, bytes):
        host = host.decode("idna")
    if not isinstance(host, str):
        raise TypeError(f"host must be str, not {type(host).__name__}")
    return host


def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
    """One entry with the name itself: the host resolves it when connecting (eryx:net)."""
    host = "localhost" if host is None else _hostname(host)
    if family not in (0, AF_INET, AF_INET6):
        raise gaierror(-6, "ai_family not supported")
    if type not in (0, SOCK_STREAM):
        raise gaierror(-7, "ai_socktype not supported")
    return [(AF_INET, SOCK_STREAM, IPPROTO_TCP, "", (host, _port(port)))]


def gethostname():
    return "sandbox"


def getfqdn(name=""):
    return name or "sandbox"


def _is_ipv4(name):
    parts = name.split(".")
    return len(parts) == 4 and all(p.isdigit() and int(p) < 256 for p in parts)


def gethostbyname(name):
    """Only numeric addresses and localhost: other names are resolved by the host when connecting."""
    name = _hostname(name)
    if _is_ipv4(name):
        return name
    if name == "localhost":
        return "127.0.0.1"
    raise gaierror(EAI_NONAME, f"{name}: the sandbox resolves names only when connecting (eryx:net)")


def gethostbyname_ex(name):
    return (name, [], [gethostbyname(name)])


def gethostbyaddr(addr):
    raise herror(1, "reverse lookups are not available in the sandbox")


def getservbyname(name, proto=None):
    return _port(name)


def htons(x):
    return ((x & 0xFF) << 8) | ((x >> 8) & 0xFF)


ntohs = htons


def htonl(x):
    return int.from_bytes((x & 0xFFFFFFFF).to_bytes(4, "little"), "big")


ntohl = htonl


def inet_aton(ip):
    if not _is_ipv4(ip):
        raise OSError("illegal IP address string passed to inet_aton")
    return bytes(int(p) for p in ip.split("."))


def inet_ntoa(packed):
    if len(packed) != 4:
        raise OSError("packed IP wrong length for inet_ntoa")
    return ".".join(str(b) for b in packed)


def inet_pton(family, ip):
    if family == AF_INET:
        return inet_aton(ip)
    import ipaddress

    return ipaddress.IPv6Address(ip).packed


def inet_ntop(family, packed):
    if family == AF_INET:
        return inet_ntoa(packed)
    import ipaddress

    return str(ipaddress.IPv6Address(bytes(packed)))


def _unsupported(what):
    return OSError(_errno.EOPNOTSUPP, f"{what} is not available in the sandbox (client TCP only, through eryx:net)")


class _SocketIO(_io.RawIOBase):
    """The raw stream under ``socket.makefile`` (as the stdlib's SocketIO)."""

    def __init__(self, sock, mode):
        super().__init__()
        self._sock = sock
        self._reading = "r" in mode
        self._writing = "w" in mode
        sock._io_refs += 1

    def readinto(self, b):
        return self._sock.recv_into(b)

    def write(self, b):
        return self._sock.send(b)

    def readable(self):
        return self._reading

    def writable(self):
        return self._writing

    def close(self):
        if self.closed:
            return
        super().close()
        self._sock._io_refs -= 1
        if self._sock._closed:
            self._sock.close()


class socket:
    """A client TCP socket whose connection is the host's (eryx:net/tcp)."""

    __module__ = "socket"

    def __init__(self, family=AF_INET, type=SOCK_STREAM, proto=0, fileno=None):
        if fileno is not None:
            raise _unsupported("socket(fileno=...)")
        if family not in (AF_INET, AF_INET6, AF_UNSPEC):
            raise OSError(_errno.EAFNOSUPPORT, "only AF_INET and AF_INET6 sockets are available in the sandbox")
        if type & 0xF != SOCK_STREAM:
            raise _unsupported("a socket type other than SOCK_STREAM")
        self.family = family
        self.type = SOCK_STREAM
        self.proto = proto or IPPROTO_TCP
        self._timeout = _default_timeout
        self._tcp = None  # the tcp-handle while connected over plain TCP
        self._peer = None
        self._closed = False
        self._io_refs = 0
        self._eof = False

    def __repr__(self):
        state = "closed" if self._closed else f"connected to {self._peer}" if self._peer else "unconnected"
        return f"<socket.socket {state} (eryx:net)>"

    def __enter__(self):
        return self

    def __exit__(self, *args):
        self.close()

    def __getstate__(self):
        raise TypeError(f"cannot pickle {type(self).__name__!r} object")

    # timeouts

    def settimeout(self, timeout):
        if timeout is not None:
            timeout = float(timeout)
            if timeout < 0:
                raise ValueError("Timeout value out of range")
        self._timeout = timeout

    def gettimeout(self):
        return self._timeout

    def setblocking(self, flag):
        self._timeout = None if flag else 0.0

    def getblocking(self):
        return self._timeout != 0.0

    # connection

    def _connected(self):
        if self._closed:
            raise OSError(_errno.EBADF, "Bad file descriptor")
        if self._tcp is None:
            raise OSError(_errno.ENOTCONN, "Transport endpoint is not connected")
        return self._tcp

    def connect(self, address):
        if self._closed:
            raise OSError(_errno.EBADF, "Bad file descriptor")
        if self._tcp is not None:
            raise OSError(_errno.EISCONN, "Transport endpoint is already connected")
        host, port = address[0], address[1]
        host = _hostname(host)
        self._tcp = _call(TCP, "connect", host, _port(port), _timeout_ms(self._timeout))
        self._peer = (host, _port(port))

    def connect_ex(self, address):
        try:
            self.connect(address)
        except OSError as exc:
            return exc.errno or _errno.EIO
        return 0

    def getpeername(self):
        self._connected()
        return self._peer

    def getsockname(self):
        return ("0.0.0.0", 0)

    def fileno(self):
        return -1

    def _read(self, n):
        return _call(TCP, "read", self._connected(), n, _timeout_ms(self._timeout))

    def _write(self, data):
        return _call(TCP, "write", self._connected(), _timeout_ms(self._timeout), data)

    def recv(self, bufsize, flags=0):
        if bufsize < 0:
            raise ValueError("negative buffersize in recv")
        if bufsize == 0 or self._eof:
            return b""
        data = self._read(min(bufsize, 1 << 20))
        if not data:
            self._eof = True
        return data

    def recv_into(self, buffer, nbytes=0, flags=0):
        view = memoryview(buffer).cast("B")
        n = nbytes or len(view)
        data = self.recv(n)
        view[: len(data)] = data
        return len(data)

    def send(self, data, flags=0):
        data = bytes(data)
        if not data:
            return 0
        return self._write(data)

    def sendall(self, data, flags=0):
        view = memoryview(bytes(data))
        while view:
            sent = self.send(view)
            view = view[sent:]

    def makefile(self, mode="r", buffering=None, *, encoding=None, errors=None, newline=None):
        if not set(mode) <= {"r", "w", "b"}:
            raise ValueError(f"invalid mode {mode!r} (only r, w, b allowed)")
        writing = "w" in mode
        reading = "r" in mode or not writing
        rawmode = ("r" if reading else "") + ("w" if writing else "")
        raw = _SocketIO(self, rawmode)
        if buffering is None:
            buffering = -1
        if buffering < 0:
            buffering = _io.DEFAULT_BUFFER_SIZE
        if buffering == 0:
            if "b" not in mode:
                raise ValueError("unbuffered streams must be binary")
            return raw
        if reading and writing:
            buf = _io.BufferedRWPair(raw, raw, buffering)
        elif reading:
            buf = _io.BufferedReader(raw, buffering)
        else:
            buf = _io.BufferedWriter(raw, buffering)
        if "b" in mode:
            return buf
        text = _io.TextIOWrapper(buf, encoding, errors, newline)
        text.mode = mode
        return text

    # options: accepted, the host owns the real socket

    def setsockopt(self, level, optname, value, optlen=None):
        return None

    def getsockopt(self, level, optname, buflen=None):
        return 0

    # unsupported server and datagram calls

    def bind(self, address):
        raise _unsupported("bind")

    def listen(self, backlog=0):
        raise _unsupported("listen")

    def accept(self):
        raise _unsupported("accept")

    def sendto(self, *args):
        raise _unsupported("sendto")

    def recvfrom(self, *args):
        raise _unsupported("recvfrom")

    def detach(self):
        raise _unsupported("detach")

    def dup(self):
        raise _unsupported("dup")

    # closing

    def _close_handle(self):
        if self._tcp is not None:
            _eryx_io.call(TCP, "close", (self._tcp,))
            self._tcp = None

    def shutdown(self, how):
        self._connected()
        if how in (SHUT_WR, SHUT_RDWR):
            return  # eryx:net has no half-close; the connection ends with close()

    def close(self):
        self._closed = True
        if self._io_refs <= 0:
            self._close_handle()

    def __del__(self):
        try:
            self._close_handle()
        except Exception:  # noqa: BLE001 - nothing to report a failed close to
            pass


SocketType = socket


def create_connection(address, timeout=_GLOBAL_DEFAULT_TIMEOUT, source_address=None, *, all_errors=False):
    host, port = address
    sock = socket(AF_INET, SOCK_STREAM)
    if timeout is not _GLOBAL_DEFAULT_TIMEOUT:
        sock.settimeout(timeout)
    try:
        sock.connect((host, port))
    except BaseException:
        sock.close()
        raise
    return sock


def socketpair(*args):
    raise _unsupported("socketpair")


def fromfd(*args):
    raise _unsupported("fromfd")


def create_server(*args, **kwargs):
    raise _unsupported("create_server")


def has_dualstack_ipv6():
    return False


# --- ssl -----------------------------------------------------------------------

PROTOCOL_TLS = PROTOCOL_SSLv23 = 2
PROTOCOL_TLS_CLIENT, PROTOCOL_TLS_SERVER = 16, 17
CERT_NONE, CERT_OPTIONAL, CERT_REQUIRED = 0, 1, 2
OP_ALL, OP_NO_SSLv2, OP_NO_SSLv3, OP_NO_TLSv1, OP_NO_TLSv1_1 = 0x80000054, 0, 0x02000000, 0x04000000, 0x10000000
OP_NO_COMPRESSION = 0x20000
HAS_SNI = HAS_ALPN = HAS_ECDH = HAS_TLSv1_2 = HAS_TLSv1_3 = True
HAS_NPN = HAS_SSLv2 = HAS_SSLv3 = HAS_NEVER_CHECK_COMMON_NAME = False
OPENSSL_VERSION = "eryx:net/tls (the host's TLS)"
OPENSSL_VERSION_INFO = (0, 0, 0, 0, 0)
OPENSSL_VERSION_NUMBER = 0


class _Purpose:
    SERVER_AUTH = "1.3.6.1.5.5.7.3.1"
    CLIENT_AUTH = "1.3.6.1.5.5.7.3.2"


class SSLContext:
    """Settings for ``wrap_socket``; the handshake and certificate checks are the host's (eryx:net/tls)."""

    __module__ = "ssl"
    sslsocket_class = None

    def __init__(self, protocol=PROTOCOL_TLS_CLIENT, *args, **kwargs):
        if protocol == PROTOCOL_TLS_SERVER:
            raise _unsupported("a server-side TLS context")
        self.protocol = protocol
        self.verify_mode = CERT_REQUIRED
        self.check_hostname = True
        self.options = OP_ALL
        self.post_handshake_auth = None
        self.minimum_version = None
        self.maximum_version = None
        self.verify_flags = 0
        self._alpn = None

    def load_default_certs(self, purpose=_Purpose.SERVER_AUTH):
        return None

    def set_default_verify_paths(self):
        return None

    def load_verify_locations(self, cafile=None, capath=None, cadata=None):
        return None  # trust is the host's (NetConfig root certificates)

    def load_cert_chain(self, certfile, keyfile=None, password=None):
        raise _unsupported("client certificates")

    def set_ciphers(self, ciphers):
        return None

    def set_alpn_protocols(self, protocols):
        self._alpn = list(protocols)

    def get_ca_certs(self, binary_form=False):
        return []

    def cert_store_stats(self):
        return {"x509": 0, "crl": 0, "x509_ca": 0}

    def wrap_socket(
        self,
        sock,
        server_side=False,
        do_handshake_on_connect=True,
        suppress_ragged_eofs=True,
        server_hostname=None,
        session=None,
    ):
        if server_side:
            raise _unsupported("server-side TLS")
        if not isinstance(sock, socket):
            raise TypeError("wrap_socket needs a socket of the sandbox's socket module")
        hostname = server_hostname or (sock._peer[0] if sock._peer else None)
        if hostname is None:
            raise ValueError("check_hostname requires server_hostname")
        return SSLSocket._upgrade(sock, self, _hostname(hostname))


class SSLSocket(socket):
    """A TLS connection the host keeps (eryx:net/tls); reads and writes go through it."""

    __module__ = "ssl"

    @classmethod
    def _upgrade(cls, sock, context, hostname):
        tcp = sock._connected()
        tls = _call(TLS, "upgrade", tcp, hostname, _timeout_ms(sock._timeout))
        sock._tcp = None  # the host took the TCP connection over
        new = cls.__new__(cls)
        socket.__init__(new, sock.family, sock.type, sock.proto)
        new._timeout = sock._timeout
        new._peer = sock._peer
        new._tcp = tls
        new.context = context
        new.server_hostname = hostname
        new.server_side = False
        sock._closed = True
        return new

    def __repr__(self):
        return f"<ssl.SSLSocket {self.server_hostname!r} (eryx:net/tls)>"

    def _read(self, n):
        return _call(TLS, "read", self._connected(), n, _timeout_ms(self._timeout))

    def _write(self, data):
        return _call(TLS, "write", self._connected(), _timeout_ms(self._timeout), data)

    def _close_handle(self):
        if self._tcp is not None:
            _eryx_io.call(TLS, "close", (self._tcp,))
            self._tcp = None

    def read(self, len=1024, buffer=None):
        if buffer is not None:
            return self.recv_into(buffer, len)
        return self.recv(len)

    def write(self, data):
        return self.send(data)

    def do_handshake(self, block=False):
        return None

    def getpeercert(self, binary_form=False):
        self._connected()
        return b"" if binary_form else {}

    def selected_alpn_protocol(self):
        return None

    def cipher(self):
        return None

    def version(self):
        return None

    def pending(self):
        return 0

    def unwrap(self):
        raise _unsupported("unwrap")


def create_default_context(purpose=_Purpose.SERVER_AUTH, *, cafile=None, capath=None, cadata=None):
    return SSLContext(PROTOCOL_TLS_CLIENT)


def _create_unverified_context(*args, **kwargs):
    context = SSLContext(PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = CERT_NONE  # recorded only: the host still verifies
    return context


# --- _eryx_async -----------------------------------------------------------------


async def await_tcp_connect(host, port, timeout_ms=0):
    return _call(TCP, "connect", _hostname(host), _port(port), timeout_ms)


async def await_tcp_read(handle, n, timeout_ms=0):
    return _call(TCP, "read", handle, n, timeout_ms)


async def await_tcp_write(handle, data, timeout_ms=0):
    return _call(TCP, "write", handle, timeout_ms, bytes(data))


def tcp_close(handle):
    _eryx_io.call(TCP, "close", (handle,))


async def await_tls_upgrade(tcp_handle, hostname, timeout_ms=0):
    return _call(TLS, "upgrade", tcp_handle, _hostname(hostname), timeout_ms)


async def await_tls_read(handle, n, timeout_ms=0):
    return _call(TLS, "read", handle, n, timeout_ms)


async def await_tls_write(handle, data, timeout_ms=0):
    return _call(TLS, "write", handle, timeout_ms, bytes(data))


def tls_close(handle):
    _eryx_io.call(TLS, "close", (handle,))


# --- installation ------------------------------------------------------------------

_SOCKET_NAMES = [
    "AF_UNSPEC",
    "AF_UNIX",
    "AF_INET",
    "AF_INET6",
    "SOCK_STREAM",
    "SOCK_DGRAM",
    "SOCK_RAW",
    "SOL_SOCKET",
    "SO_REUSEADDR",
    "SO_KEEPALIVE",
    "SO_SNDBUF",
    "SO_RCVBUF",
    "SO_ERROR",
    "IPPROTO_IP",
    "IPPROTO_TCP",
    "IPPROTO_UDP",
    "IPPROTO_IPV6",
    "TCP_NODELAY",
    "TCP_KEEPIDLE",
    "TCP_KEEPINTVL",
    "TCP_KEEPCNT",
    "SHUT_RD",
    "SHUT_WR",
    "SHUT_RDWR",
    "AI_PASSIVE",
    "AI_CANONNAME",
    "AI_NUMERICHOST",
    "AI_ADDRCONFIG",
    "AI_NUMERICSERV",
    "NI_NUMERICHOST",
    "NI_NUMERICSERV",
    "SOMAXCONN",
    "MSG_PEEK",
    "MSG_WAITALL",
    "MSG_DONTWAIT",
    "EAI_NONAME",
    "_GLOBAL_DEFAULT_TIMEOUT",
    "getdefaulttimeout",
    "setdefaulttimeout",
    "getaddrinfo",
    "gethostname",
    "getfqdn",
    "gethostbyname",
    "gethostbyname_ex",
    "gethostbyaddr",
    "getservbyname",
    "htons",
    "ntohs",
    "htonl",
    "ntohl",
    "inet_aton",
    "inet_ntoa",
    "inet_pton",
    "inet_ntop",
    "gaierror",
    "herror",
    "socket",
    "SocketType",
    "create_connection",
    "socketpair",
    "fromfd",
    "create_server",
    "has_dualstack_ipv6",
]

_SSL_NAMES = [
    "PROTOCOL_TLS",
    "PROTOCOL_SSLv23",
    "PROTOCOL_TLS_CLIENT",
    "PROTOCOL_TLS_SERVER",
    "CERT_NONE",
    "CERT_OPTIONAL",
    "CERT_REQUIRED",
    "OP_ALL",
    "OP_NO_SSLv2",
    "OP_NO_SSLv3",
    "OP_NO_TLSv1",
    "OP_NO_TLSv1_1",
    "OP_NO_COMPRESSION",
    "HAS_SNI",
    "HAS_ALPN",
    "HAS_ECDH",
    "HAS_TLSv1_2",
    "HAS_TLSv1_3",
    "HAS_NPN",
    "HAS_SSLv2",
    "HAS_SSLv3",
    "HAS_NEVER_CHECK_COMMON_NAME",
    "OPENSSL_VERSION",
    "OPENSSL_VERSION_INFO",
    "OPENSSL_VERSION_NUMBER",
    "SSLError",
    "SSLZeroReturnError",
    "SSLWantReadError",
    "SSLWantWriteError",
    "SSLSyscallError",
    "SSLEOFError",
    "SSLCertVerificationError",
    "SSLContext",
    "SSLSocket",
    "create_default_context",
    "_create_unverified_context",
]

_ASYNC_NAMES = [
    "await_tcp_connect",
    "await_tcp_read",
    "await_tcp_write",
    "tcp_close",
    "await_tls_upgrade",
    "await_tls_read",
    "await_tls_write",
    "tls_close",
]


def _module(name, doc, names, **extra):
    module = _types.ModuleType(name, doc)
    g = globals()
    for n in names:
        setattr(module, n, g[n])
    for n, v in extra.items():
        setattr(module, n, v)
    return module


def install():
    """Puts the modules in sys.modules (the eryx 0.5 world only)."""
    sock = _module(
        "socket",
        "eryx sandbox socket module: client TCP through the host (eryx:net/tcp).",
        _SOCKET_NAMES,
        error=OSError,
        timeout=TimeoutError,
        has_ipv6=False,
    )
    _sys.modules["socket"] = sock
    _sys.modules["_socket"] = sock
    ssl = _module(
        "ssl",
        "eryx sandbox ssl module: TLS done by the host (eryx:net/tls).",
        _SSL_NAMES,
        Purpose=_Purpose,
        CertificateError=SSLCertVerificationError,
        socket_error=OSError,
        _create_default_https_context=create_default_context,
    )
    _sys.modules["ssl"] = ssl
    _sys.modules["_eryx_async"] = _module("_eryx_async", "eryx:net as coroutines.", _ASYNC_NAMES)


available = _eryx_io is not None and bool(_eryx_io.has(TCP, "connect")) and bool(_eryx_io.has(TLS, "upgrade"))
if available:
    install()
