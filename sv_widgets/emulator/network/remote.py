"""The guarded fetcher behind remote uploads (``remote_file``): an SSRF surface, closed.

- Only ``http``/``https``; no user info, backslashes, whitespace or control characters.
- The host is resolved once, here; *every* address is checked (:func:`check_address`) and the
  socket connects to a checked address, never through a second lookup (no DNS rebinding);
  the host name still travels in ``Host`` and, for https, in SNI and certificate checks.
- Numeric hosts in any ``inet_aton`` spelling (``2130706433``, ``0177.0.0.1``, ``0x7f.1``) are
  read as such; IPv6 forms embedding IPv4 (mapped, compatible, 6to4, NAT64) are judged by it.
- Link-local, cloud metadata, unspecified, multicast, broadcast and reserved addresses are
  always refused; private ranges unless ``allow_private``; loopback only if ``allow_loopback``
  (the default: the emulator is a local tool and tests serve clips from localhost).
- Redirects are followed by hand, each hop checked again; the body streams to ``dest`` under a
  size cap and a wall-clock deadline, kept by a watchdog that also honours ``should_stop``.
  Proxy environment variables are ignored on purpose. On error ``dest`` may hold part of the
  body: the caller discards it.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from email.message import Message
from typing import BinaryIO, TypeAlias
from urllib.parse import SplitResult, quote, unquote, urljoin, urlsplit

from sv_widgets.emulator.network.addresses import (
    REFUSED_NAMES,
    IPAddress,
    embedded_ipv4,
    numeric_host,
    refusal,
)

__all__ = [
    "FetchPolicy",
    "FetchResult",
    "RemoteFetchError",
    "Resolver",
    "check_address",
    "fetch",
    "safe_filename",
]

Resolver: TypeAlias = Callable[[str, int], Iterable[str]]
"""``resolver(host, port)`` -> the host's addresses as strings (``getaddrinfo`` by default)."""

_CHUNK = 64 * 1024
_PROGRESS_INTERVAL = 0.1  # seconds between two on_progress calls
_WATCH_INTERVAL = 0.05  # how often the watchdog looks at the clock and should_stop
_MAX_FILENAME = 128
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_USER_AGENT = "sv-widgets-emulator (remote upload)"
_NETLOC = re.compile(r"(?:\[[^\[\]]+\]|[^\[\]:]+)(?::[0-9]*)?")
_LABEL = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")  # one DNS label, lowercased


class RemoteFetchError(Exception):
    """A remote file could not be fetched; ``str(e)`` is a reason fit to show the uploader."""


@dataclass(frozen=True)
class FetchPolicy:
    """What :func:`fetch` may reach and how much it may take.

    Parameters
    ----------
    allow_private : bool
        Allow private ranges (10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7).
    allow_loopback : bool
        Allow 127/8 and ::1. On by default: the emulator runs on the user's own machine.
    max_bytes : int
        Largest body accepted, announced or received.
    timeout : float
        Wall-clock seconds for the whole fetch, redirects included.
    max_redirects : int
        Redirects followed before giving up.
    connect_timeout : float
        Seconds for each TCP connection attempt (also bounded by what is left of ``timeout``).
    resolver : Resolver or None
        ``resolver(host, port)`` returning address strings; ``None`` uses ``getaddrinfo``.
    ssl_context : ssl.SSLContext or None
        Context for https; ``None`` uses :func:`ssl.create_default_context` (verifying).
    """

    allow_private: bool = False
    allow_loopback: bool = True
    max_bytes: int = 4 * 1024**3
    timeout: float = 300.0
    max_redirects: int = 5
    connect_timeout: float = 10.0
    resolver: Resolver | None = field(default=None, compare=False, repr=False)
    ssl_context: ssl.SSLContext | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class FetchResult:
    """What :func:`fetch` stored: ``bytes`` written, the media type (no parameters) or
    ``None``, the URL finally fetched after redirects, and a safe file name guess or ``None``."""

    bytes: int
    content_type: str | None
    final_url: str
    filename: str | None


def check_address(address: str | IPAddress, policy: FetchPolicy) -> IPAddress:
    """Return the address to connect to, or raise :class:`RemoteFetchError` if refused.

    IPv6 addresses that embed an IPv4 one (``::ffff:a.b.c.d``, ``::a.b.c.d``, 6to4,
    NAT64) are judged by the IPv4 address; an IPv4-mapped address is connected as IPv4.
    """
    try:
        addr = ipaddress.ip_address(address)
    except ValueError:
        raise RemoteFetchError(f"{address!r} is not an IP address") from None
    inner = embedded_ipv4(addr) if isinstance(addr, ipaddress.IPv6Address) else None
    flags = {"allow_private": policy.allow_private, "allow_loopback": policy.allow_loopback}
    reason = refusal(inner if inner is not None else addr, **flags)
    if reason:
        shown = f"{addr} (IPv4 {inner})" if inner else str(addr)
        raise RemoteFetchError(f"address {shown} is {reason}; refused")
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        return addr.ipv4_mapped
    return addr


@dataclass(frozen=True)
class _Target:
    url: str
    scheme: str
    host: str  # ASCII, for Host, SNI and certificate checks
    port: int
    target: str  # request target: path and query
    address: IPAddress | None  # set when the host is an IP literal

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == _DEFAULT_PORTS[self.scheme] else f"{host}:{self.port}"

    @property
    def shown(self) -> str:
        """The URL fit for a message: no user info, the query elided, bounded length."""
        path = self.target.split("?", 1)[0]
        path = path if len(path) <= 80 else path[:77] + "..."
        query = "?..." if "?" in self.target else ""
        return f"{self.scheme}://{self.host_header}{path}{query}"


def _parse(url: str) -> _Target:
    """Check ``url`` and read what :func:`fetch` connects to (``RemoteFetchError`` if refused)."""
    parts, scheme = _split(url)
    host, port = _host_and_port(parts, scheme)
    host, address = _checked_host(host, parts.netloc)
    path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=-._~")
    query = "?" + quote(parts.query, safe="/%:@!$&'()*+,;=-._~?") if parts.query else ""
    return _Target(url, scheme, host, port, path + query, address)


def _split(url: str) -> tuple[SplitResult, str]:
    """The URL's parts and lower-case scheme: http(s), no user info, no stray characters."""
    if any(c == "\\" or c.isspace() or ord(c) < 0x20 or ord(c) == 0x7F for c in url):
        raise RemoteFetchError("the URL contains spaces, control characters or backslashes")
    try:
        parts = urlsplit(url)
    except ValueError as e:  # bad brackets, characters that NFKC turns into separators
        raise RemoteFetchError(f"the URL is malformed ({e})") from None
    scheme = parts.scheme.lower()
    if not scheme:
        raise RemoteFetchError("the URL has no scheme; only http:// and https:// URLs are fetched")
    if scheme not in _DEFAULT_PORTS:
        raise RemoteFetchError(f"the {scheme}: scheme is refused; only http and https are fetched")
    if "@" in parts.netloc:
        raise RemoteFetchError("URLs carrying a user name or password are refused")
    return parts, scheme


def _host_and_port(parts: SplitResult, scheme: str) -> tuple[str, int]:
    """The host in ASCII (IDNA), without a trailing dot, and the port."""
    host = (parts.hostname or "").removesuffix(".")
    if not host:
        raise RemoteFetchError("the URL has no host")
    if not _NETLOC.fullmatch(parts.netloc):  # urlsplit ignores junk such as "[::1]x"
        raise RemoteFetchError("the URL has an invalid host or port")
    try:
        port = _DEFAULT_PORTS[scheme] if parts.port is None else parts.port
        if not 0 < port < 65536:
            raise ValueError(port)
        if not host.isascii():
            host = host.encode("idna").decode("ascii")
    except (ValueError, UnicodeError):
        raise RemoteFetchError("the URL has an invalid host or port") from None
    return host, port


def _checked_host(host: str, netloc: str) -> tuple[str, IPAddress | None]:
    """A refused name, a bad spelling or a bracket mismatch raises; an IP literal is read
    (in any ``inet_aton`` spelling) and returned in its canonical form with its address."""
    if host in REFUSED_NAMES:
        raise RemoteFetchError(f"host {host} is a cloud metadata service; refused")
    try:
        address = numeric_host(host)
    except ValueError as e:
        raise RemoteFetchError(str(e)) from None
    if address is not None:
        host = str(address)  # canonical spelling for Host, SNI and messages
    elif len(host) > 253 or not all(_LABEL.fullmatch(label) for label in host.split(".")):
        raise RemoteFetchError("the URL has an invalid host name")
    bracketed = netloc.startswith("[")
    if bracketed and isinstance(address, ipaddress.IPv4Address):
        # Python 3.11.4+ refuses this in urlsplit (above); 3.11.0-3.11.3 let it through to here
        raise RemoteFetchError("the URL is malformed (an IPv4 address in brackets)")
    if bracketed != isinstance(address, ipaddress.IPv6Address):
        raise RemoteFetchError("the URL has an invalid host name")  # e.g. "[v1.x]"
    return host, address


def _resolve(target: _Target, policy: FetchPolicy) -> list[IPAddress]:
    if target.address is not None:
        return [check_address(target.address, policy)]
    resolver = policy.resolver or _system_resolver
    try:
        found = list(dict.fromkeys(resolver(target.host, target.port)))
    except (OSError, UnicodeError) as e:
        reason = getattr(e, "strerror", None) or e
        raise RemoteFetchError(f"cannot resolve host {target.host}: {reason}") from e
    if not found:
        raise RemoteFetchError(f"host {target.host} has no address")
    try:  # every address must pass: a name mixing public and private addresses is refused
        return [check_address(a, policy) for a in found]
    except RemoteFetchError as e:
        raise RemoteFetchError(f"host {target.host} resolves to {e}") from None


def _system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    return [str(info[4][0]) for info in infos]


def _connect_socket(address: IPAddress, port: int, timeout: float) -> socket.socket:
    """Open a TCP connection to exactly this address (no name lookup)."""
    family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        sock.connect((str(address), port))
    except BaseException:
        sock.close()
        raise
    return sock


class _Watchdog:
    """Enforces the wall-clock deadline and ``should_stop`` by shutting the live socket,
    which wakes a read blocked on a silent or dripping server."""

    def __init__(self, timeout: float, should_stop: Callable[[], bool] | None) -> None:
        self.timeout = timeout
        self.deadline = time.monotonic() + timeout
        self.reason: str | None = None
        self._should_stop = should_stop
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sv-remote-fetch", daemon=True)

    def __enter__(self) -> _Watchdog:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()

    def remaining(self) -> float:
        return max(0.001, self.deadline - time.monotonic())

    def _why_stop(self) -> str | None:
        if time.monotonic() >= self.deadline:
            return f"the remote server did not deliver the file within {self.timeout:g} s"
        try:
            if self._should_stop is not None and self._should_stop():
                return "the remote fetch was cancelled"
        except Exception as e:  # a broken callback stops the fetch rather than the thread
            return f"the remote fetch was cancelled (should_stop failed: {e!r})"
        return None

    def _run(self) -> None:
        while not self._done.wait(_WATCH_INTERVAL):
            reason = self._why_stop()
            if reason:
                with self._lock:
                    self.reason = reason
                    if self._sock is not None:
                        _shutdown(self._sock)
                return

    def attach(self, sock: socket.socket | None) -> None:
        with self._lock:
            self._sock = sock
            if sock is not None and self.reason is not None:
                _shutdown(sock)

    def check(self) -> None:
        reason = self.reason or self._why_stop()
        if reason:
            raise RemoteFetchError(reason)


def _shutdown(sock: socket.socket) -> None:
    # The plain socket method: SSLSocket.shutdown would also drop its TLS state.
    with contextlib.suppress(OSError):  # already closed or never connected
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _open(target: _Target, policy: FetchPolicy, guard: _Watchdog) -> http.client.HTTPConnection:
    addresses = _resolve(target, policy)
    errors: list[str] = []
    for address in addresses:
        guard.check()
        timeout = min(policy.connect_timeout, guard.remaining())
        try:
            sock = _connect_socket(address, target.port, timeout)
        except OSError as e:
            errors.append(f"{address}: {e.strerror or e}")
            continue
        conn = http.client.HTTPConnection(target.host, target.port, timeout=guard.remaining())
        try:
            guard.attach(sock)
            sock.settimeout(guard.remaining())
            if target.scheme == "https":
                context = policy.ssl_context or ssl.create_default_context()
                sock = context.wrap_socket(
                    sock, server_hostname=target.host, do_handshake_on_connect=False
                )
                guard.attach(sock)
                sock.do_handshake()
            conn.sock = sock
        except BaseException:
            guard.attach(None)
            sock.close()
            raise
        return conn
    raise RemoteFetchError(f"cannot connect to {target.host}: {'; '.join(errors)}")


def _request(conn: http.client.HTTPConnection, target: _Target) -> http.client.HTTPResponse:
    conn.putrequest("GET", target.target, skip_host=True, skip_accept_encoding=True)
    conn.putheader("Host", target.host_header)
    conn.putheader("User-Agent", _USER_AGENT)
    conn.putheader("Accept", "*/*")
    conn.putheader("Accept-Encoding", "identity")
    conn.putheader("Connection", "close")
    conn.endheaders()
    return conn.getresponse()


def safe_filename(name: str | None) -> str | None:
    """Reduce a server-suggested name to a bare, bounded file name, or ``None``."""
    if not name:
        return None
    name = re.split(r"[/\\]", name)[-1]
    name = "".join(c for c in name if c.isprintable()).strip().lstrip(".")
    if not name:
        return None
    if len(name) > _MAX_FILENAME:
        _, dot, ext = name.rpartition(".")
        keep = dot + ext if dot and len(ext) <= 16 else ""
        name = name[: _MAX_FILENAME - len(keep)] + keep
    return name


def _filename(headers: Message, target: _Target) -> str | None:
    try:
        suggested = headers.get_filename()
    except (ValueError, LookupError, TypeError):
        suggested = None  # a malformed Content-Disposition: fall back to the URL
    path_name = unquote(target.target.split("?", 1)[0].rsplit("/", 1)[-1], errors="replace")
    return safe_filename(suggested) or safe_filename(path_name)


def fetch(
    url: str,
    dest: BinaryIO,
    *,
    policy: FetchPolicy,
    on_progress: Callable[[int, int | None], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> FetchResult:
    """Fetch ``url`` into ``dest`` under ``policy``.

    Parameters
    ----------
    url : str
        An ``http`` or ``https`` URL, without user info.
    dest : BinaryIO
        Written in chunks; on error it may hold part of the body.
    policy : FetchPolicy
        Addresses allowed and limits.
    on_progress : callable, optional
        ``on_progress(done, total)`` with ``total`` the announced length or ``None``; called
        at the start, at most every 0.1 s while receiving, and once at the end.
    should_stop : callable, optional
        Polled from a helper thread about 20 times a second; returning true cancels the fetch.
        Must be cheap and thread-safe (``threading.Event.is_set`` is ideal).

    Returns
    -------
    FetchResult

    Raises
    ------
    RemoteFetchError
        Refused URL or address, HTTP status >= 400, too many redirects, size cap, timeout,
        cancellation, or a network or TLS failure. The message never shows user info or query.
    """
    visited: set[str] = set()
    with _Watchdog(policy.timeout, should_stop) as guard:
        current = url
        for _ in range(policy.max_redirects + 1):
            target = _parse(current)
            guard.check()
            conn: http.client.HTTPConnection | None = None
            response: http.client.HTTPResponse | None = None
            try:
                conn = _open(target, policy, guard)
                response = _request(conn, target)
                if response.status in _REDIRECTS:
                    location = (response.getheader("Location") or "").strip()
                    if not location:
                        raise RemoteFetchError(f"{target.shown} redirected without a Location")
                    visited.add(current)
                    current = urljoin(current, location)
                    if current in visited:
                        raise RemoteFetchError(f"redirect loop at {target.shown}")
                    continue
                if response.status >= 400:
                    raise RemoteFetchError(
                        f"{target.shown} answered HTTP {response.status} {response.reason}".strip()
                    )
                if not 200 <= response.status < 300:
                    raise RemoteFetchError(f"{target.shown} answered HTTP {response.status}")
                size = _stream(response, dest, target, policy, guard, on_progress)
                media_type = (response.getheader("Content-Type") or "").split(";")[0]
                return FetchResult(
                    bytes=size,
                    content_type=media_type.strip().lower() or None,
                    final_url=current,
                    filename=_filename(response.headers, target),
                )
            except (OSError, http.client.HTTPException) as e:
                guard.check()  # a socket shut by the watchdog reads as a network error
                raise RemoteFetchError(f"fetching {target.shown} failed: {_describe(e)}") from e
            finally:
                guard.attach(None)
                if response is not None:  # owns the socket once the server says close
                    response.close()
                if conn is not None:
                    conn.close()
        raise RemoteFetchError(f"more than {policy.max_redirects} redirects")


def _describe(error: BaseException) -> str:
    if isinstance(error, ssl.SSLCertVerificationError):
        return f"TLS certificate verification failed ({error.verify_message})"
    if isinstance(error, TimeoutError):
        return "the server stopped sending"
    if isinstance(error, http.client.HTTPException):
        return f"bad HTTP response ({type(error).__name__})"
    return getattr(error, "strerror", None) or str(error) or type(error).__name__


def _stream(
    response: http.client.HTTPResponse,
    dest: BinaryIO,
    target: _Target,
    policy: FetchPolicy,
    guard: _Watchdog,
    on_progress: Callable[[int, int | None], None] | None,
) -> int:
    total = response.length  # None when chunked or not announced
    limit = f"{policy.max_bytes} bytes"
    if total is not None and total > policy.max_bytes:
        raise RemoteFetchError(f"{target.shown} has {total} bytes, over the limit of {limit}")
    done = 0
    if on_progress is not None:
        on_progress(0, total)
    last_report = time.monotonic()
    while True:
        guard.check()
        chunk = response.read1(_CHUNK)
        if not chunk:
            break
        if done + len(chunk) > policy.max_bytes:
            raise RemoteFetchError(f"{target.shown} sent more than the limit of {limit}")
        dest.write(chunk)
        done += len(chunk)
        if on_progress is not None and time.monotonic() - last_report >= _PROGRESS_INTERVAL:
            on_progress(done, total)
            last_report = time.monotonic()
    guard.check()  # an end of body may be the watchdog shutting the socket
    if total is not None and done < total:
        raise RemoteFetchError(f"{target.shown} hung up after {done} of {total} bytes")
    if on_progress is not None:
        on_progress(done, total)
    return done
