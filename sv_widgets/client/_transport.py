"""The client's HTTP transport: pooled sessions, timeouts, retries, redaction of errors.

:class:`Transport` sends one logical call, possibly several attempts. The caller passes a
``build`` function that returns fresh request arguments (and so a freshly signed token) for
every attempt. Only calls marked idempotent are retried: on connection failures, HTTP
500/502/503/504 and API errors 501/10005, with exponential backoff, jitter and Retry-After.

Sessions are pooled, not per thread: short-lived worker threads (paging, widgets) borrow a
warm one for each request. An upload's request can be ended from another thread while its body
is being sent (:class:`RequestAbort`): the socket under it is shut down, which wakes a send
blocked in it at once. Nothing here lets a token or private key reach a message, a
``repr`` or a log line: :func:`~sv_widgets.signing.redact` scrubs text,
:func:`scrub_exception` scrubs the ``requests`` exception chain before it becomes a
``__cause__``, and :class:`TokenLogFilter` scrubs urllib3's debug log.
"""

from __future__ import annotations

import contextlib
import email.utils
import logging
import random
import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.poolmanager import ProxyManager

from sv_widgets.errors import (
    APIError,
    Cancelled,
    ConnectionFailed,
    InvalidResponse,
    RequestTimeout,
    SpareVideosError,
)
from sv_widgets.signing import redact

__all__ = [
    "SNIPPET",
    "Attempt",
    "RequestAbort",
    "TokenLogFilter",
    "Transport",
    "connection_reason",
    "scrub_exception",
]

RETRY_STATUSES = frozenset({500, 502, 503, 504})
RETRY_API_CODES = frozenset({501, 10005})
SNIPPET = 200  # bytes of an unexpected reply quoted in its error
_MAX_IDLE_SESSIONS = 64


def scrub_exception(exc: BaseException | None, secrets: Iterable[str] = ()) -> None:
    """Redact the string arguments and URLs of ``exc`` and its whole cause/context chain.

    ``requests`` puts the full URL, token included, into its exception messages; this makes
    them safe to chain with ``raise ... from exc`` and to print in a traceback.
    """
    secrets = tuple(secrets)
    seen: set[int] = set()
    stack = [exc]
    while stack:
        e = stack.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        new_args: list[Any] = []
        for arg in e.args:
            if isinstance(arg, BaseException):
                stack.append(arg)
                new_args.append(arg)
            else:
                new_args.append(redact(str(arg), secrets) if isinstance(arg, str) else arg)
        e.args = tuple(new_args)
        for attr in ("url", "reason"):
            value: Any = getattr(e, attr, None)
            if isinstance(value, str):
                setattr(e, attr, redact(value, secrets))
            elif isinstance(value, BaseException):
                stack.append(value)
        if hasattr(e, "request"):
            e.request = None
        stack.extend([e.__cause__, e.__context__])


class TokenLogFilter(logging.Filter):
    """Redact tokens from log records (urllib3 logs every request line at DEBUG)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken record is logging's problem, not ours
            return True
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


_log_filter = TokenLogFilter()
for _name in ("urllib3.connectionpool", "urllib3.util.retry", "requests"):
    _logger = logging.getLogger(_name)
    if not any(isinstance(f, TokenLogFilter) for f in _logger.filters):
        _logger.addFilter(_log_filter)


@dataclass
class Attempt:
    """Arguments of one HTTP attempt; ``secrets`` are strings to keep out of messages."""

    method: str
    url: str
    params: dict[str, str] = field(default_factory=dict)
    data: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    secrets: tuple[str, ...] = ()
    read_timeout: float | None = None  # this attempt's own, shorter than the client's
    abort: RequestAbort | None = None  # lets another thread end it while its body is sent


def _retry_after(response: requests.Response | None) -> float | None:
    header = response.headers.get("Retry-After") if response is not None else None
    if not isinstance(header, str) or not header.strip():
        return None
    value = header.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _host(url: str) -> str:
    parts = urlsplit(url)
    host = parts.hostname or "the service"
    return f"{host}:{parts.port}" if parts.port else host


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and everything behind it: causes, contexts, urllib3's ``reason``, wrapped args."""
    seen: set[int] = set()
    stack: list[BaseException] = [exc]
    while stack:
        e = stack.pop()
        if id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        inner = [e.__cause__, e.__context__, getattr(e, "reason", None), *e.args]
        stack.extend(x for x in inner if isinstance(x, BaseException))


def connection_reason(exc: BaseException, secrets: Iterable[str] = ()) -> str:
    """What failed, in plain words, for a connection error from ``requests``/urllib3.

    Examples
    --------
    >>> connection_reason(ConnectionRefusedError(111, "Connection refused"))
    'the connection was refused (is the service running on that port?)'
    >>> import socket
    >>> connection_reason(socket.gaierror(-2, "Name or service not known"))
    'the name does not resolve (check the address and your network)'
    """
    for e in _chain(exc):
        if isinstance(e, socket.gaierror) or type(e).__name__ == "NameResolutionError":
            return "the name does not resolve (check the address and your network)"
        if isinstance(e, ConnectionRefusedError):
            return "the connection was refused (is the service running on that port?)"
        if isinstance(e, ssl.SSLCertVerificationError):
            return f"its TLS certificate was refused ({e.verify_message or e.reason})"
        if isinstance(e, ssl.SSLError):
            return f"the TLS handshake failed ({e.reason or e})"
        if isinstance(e, ConnectionResetError | ConnectionAbortedError | BrokenPipeError):
            return "the connection was dropped (reset by the other side)"
        if isinstance(e, OSError) and e.errno is not None and e.strerror:
            return f"{e.strerror.lower()} (errno {e.errno})"
    text = redact(str(exc), tuple(secrets))
    return "the connection failed: " + " ".join(text.split())[:200]


class _Retryable(Exception):
    def __init__(self, error: SpareVideosError, response: requests.Response | None) -> None:
        super().__init__(str(error))
        self.error = error
        self.response = response


class RequestAbort:
    """End one request from another thread while its body is being sent.

    The transport hands this to the connection the request goes out on (:meth:`attach`,
    :meth:`detach`); :meth:`cut` then shuts that connection's socket down, which wakes a send
    blocked in it at once (a server that stopped reading, a stalled uplink), and the request
    fails with :class:`~sv_widgets.errors.Cancelled`. A connection still opening when the
    cut comes refuses to go on once it is open, and a cut request is not tried again.

    Once the request has been sent, a cut touches nothing by default: an upload's answer is
    the file's code, and must be read. With ``answer=True`` (requests whose answer may be
    dropped, such as a ``GET``), the connection stays cuttable until the answer's head has
    arrived, so that a cut also ends the wait for a server slow to answer. It is never
    cuttable after that: then urllib3 may hand it back to the pool, to serve another request.

    A request sent through a session the transport did not make (``Client(session=...)``)
    cannot be reached: only its body can be stopped (see ``MultipartBody.stop``).

    Examples
    --------
    >>> abort = RequestAbort()
    >>> abort.cut(); abort.cut_off
    True
    """

    def __init__(self, *, answer: bool = False) -> None:
        self.answer = answer
        self._lock = threading.Lock()
        self._connection: HTTPConnection | None = None
        self._cut = threading.Event()
        self.cut_off = False

    def cut(self) -> None:
        """Shut down the socket of the request in flight (or refuse the one about to start)."""
        with self._lock:
            self.cut_off = True
            self._cut.set()
            connection = self._connection
            if connection is not None:
                _shut_down(connection.sock)

    def pause(self, seconds: float) -> None:
        """Wait ``seconds`` between two attempts, or less if the request is cut meanwhile."""
        self._cut.wait(seconds)

    def attach(self, connection: HTTPConnection) -> None:
        """Note that ``connection`` carries the request; raises if it was cut meanwhile."""
        with self._lock:
            if self.cut_off:
                raise ConnectionAbortedError("the request was cancelled")
            self._connection = connection

    def detach(self) -> None:
        """The request has been sent (or failed to be): its connection is no longer ours."""
        with self._lock:
            self._connection = None


def _shut_down(sock: Any) -> None:
    """Shut ``sock`` down so that a send blocked in it (in another thread) fails at once.

    Closing alone would not wake that send. A zero linger makes the close that follows
    reset the connection instead of leaving unsent bytes for the kernel to push on.
    """
    if not isinstance(sock, socket.socket):
        return
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        # socket.socket's own: an SSLSocket's shutdown would also drop its TLS state,
        # which the sending thread is using.
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


_sending = threading.local()  # .abort: the RequestAbort of the request this thread sends


@contextlib.contextmanager
def _tracked(connection: HTTPConnection, *, sending: bool) -> Iterator[None]:
    """Hand ``connection`` to the :class:`RequestAbort` of this thread's request, if any."""
    abort: RequestAbort | None = getattr(_sending, "abort", None)
    if abort is None:
        yield
        return
    abort.attach(connection)
    if sending:
        try:
            yield
        finally:
            abort.detach()
        return
    yield
    if abort.cut_off:  # cut while the connection was opening: go no further
        raise ConnectionAbortedError("the request was cancelled")


class _AbortableHTTPConnection(HTTPConnection):
    def connect(self) -> None:
        with _tracked(self, sending=False):
            super().connect()

    def request(self, *args: Any, **kwargs: Any) -> None:
        with _tracked(self, sending=True):
            super().request(*args, **kwargs)

    def getresponse(self) -> Any:
        abort: RequestAbort | None = getattr(_sending, "abort", None)
        if abort is None or not abort.answer:
            return super().getresponse()
        with _tracked(self, sending=True):  # until the answer's head is in
            return super().getresponse()


class _AbortableHTTPSConnection(_AbortableHTTPConnection, HTTPSConnection):
    """The same over TLS (its ``super()`` is then ``HTTPSConnection``'s)."""


class _AbortableHTTPPool(HTTPConnectionPool):
    ConnectionCls = _AbortableHTTPConnection


class _AbortableHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _AbortableHTTPSConnection


_POOLS: dict[str, type[HTTPConnectionPool]] = {
    "http": _AbortableHTTPPool,
    "https": _AbortableHTTPSPool,
}


class _Adapter(HTTPAdapter):
    """Connections that send request bodies in 1 MiB blocks and can be cut from outside.

    urllib3 reads a streaming body (the multipart encoder) ``blocksize`` bytes at a time,
    16 KiB by default: 65,000 reads and progress updates per GiB, which made uploads slower
    than curl (benchmarks/results.md). 1 MiB blocks keep memory flat and the CPU out of the
    way. Its connections hand themselves to a :class:`RequestAbort` when the request carries
    one (through an HTTP proxy too; a SOCKS proxy's connections are its own).
    """

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("blocksize", 1 << 20)
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOLS

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if isinstance(manager, ProxyManager):
            manager.pool_classes_by_scheme = _POOLS
        return manager


def _failure(
    e: requests.RequestException,
    url: str,
    endpoint: str,
    secrets: tuple[str, ...],
    timeout: tuple[float, float],
) -> Exception:
    """The error a failed request raises: retryable where no byte reached the server."""
    connect, read = timeout
    err: SpareVideosError
    if isinstance(e, requests.ConnectTimeout):
        err = RequestTimeout(
            f"cannot reach {_host(url)}: no connection within {connect:g} s", endpoint=endpoint
        )
    elif isinstance(e, requests.Timeout):
        return RequestTimeout(
            f"{_host(url)} sent no reply within {read:g} s (read timeout)", endpoint=endpoint
        )
    elif isinstance(e, requests.ConnectionError):
        err = ConnectionFailed(
            f"cannot reach {_host(url)}: {connection_reason(e, secrets)}", endpoint=endpoint
        )
    else:
        return ConnectionFailed(
            f"request failed: {redact(str(e), secrets)[:300]}", endpoint=endpoint
        )
    err.__cause__ = e
    return _Retryable(err, None)


class Transport:
    """Send calls over pooled ``requests`` sessions with timeouts and retries."""

    def __init__(
        self,
        *,
        timeout: tuple[float, float],
        retries: int,
        backoff: float,
        max_retry_after: float,
        session: requests.Session | None,
        secrets: tuple[str, ...],
    ) -> None:
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_retry_after = max_retry_after
        self._shared = session
        self._secrets = secrets
        self._lock = threading.Lock()
        self._idle: list[requests.Session] = []
        self._all: list[requests.Session] = []

    def _new_session(self) -> requests.Session:
        s = requests.Session()
        adapter = _Adapter(pool_connections=4, pool_maxsize=4, max_retries=0)
        s.mount("http://", adapter)
        s.mount("https://", adapter)
        s.headers["User-Agent"] = "sv-widgets (python-requests)"
        with self._lock:
            self._all.append(s)
        return s

    @contextlib.contextmanager
    def lease(self) -> Iterator[requests.Session]:
        """Borrow a session no other thread uses meanwhile (or the user's shared one).

        Sessions are pooled, not per thread: short-lived worker threads (paging, widgets)
        reuse warm connections instead of each opening and leaking their own.
        """
        if self._shared is not None:
            yield self._shared
            return
        with self._lock:
            s = self._idle.pop() if self._idle else None
        if s is None:
            s = self._new_session()
        try:
            yield s
        finally:
            with self._lock:
                keep = len(self._idle) < _MAX_IDLE_SESSIONS and s in self._all
                if keep:
                    self._idle.append(s)
                elif s in self._all:
                    self._all.remove(s)
            if not keep:
                s.close()

    def close(self) -> None:
        """Close every session this transport created (it stays usable: new ones open)."""
        with self._lock:
            owned, self._all, self._idle = self._all, [], []
        for s in owned:
            s.close()

    # ------------------------------------------------------------------ sending

    def send(
        self,
        build: Callable[[], Attempt],
        *,
        endpoint: str,
        idempotent: bool,
        parse: Callable[[requests.Response, str, tuple[str, ...]], Any],
    ) -> Any:
        """Run ``build`` -> HTTP -> ``parse``, retrying idempotent calls; return the parse."""
        attempts = self.retries + 1 if idempotent else 1
        for attempt in range(attempts):
            spec = build()
            secrets = self._secrets + spec.secrets
            try:
                response = self._request(spec, endpoint, secrets)
                try:
                    return self._check(parse, response, endpoint, secrets, idempotent)
                finally:
                    response.close()
            except _Retryable as r:
                delay = self._delay(attempt, r.response)
                if attempt + 1 >= attempts or delay is None:
                    raise r.error from r.error.__cause__
                if spec.abort is not None:
                    spec.abort.pause(delay)  # a cut ends the wait; the next try then stops
                else:
                    time.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _delay(self, attempt: int, response: requests.Response | None) -> float | None:
        backoff = float(self.backoff * 2.0**attempt)
        delay = backoff / 2 + random.uniform(0, backoff / 2)  # "equal jitter"
        hinted = _retry_after(response)
        if hinted is not None:
            if hinted > self.max_retry_after:
                return None  # the server asks for longer than we may wait: give up now
            delay = max(delay, hinted)
        return delay

    def _request(self, spec: Attempt, endpoint: str, secrets: tuple[str, ...]) -> requests.Response:
        connect, read = self.timeout
        if spec.read_timeout is not None:
            read = min(read, spec.read_timeout)
        if spec.abort is not None and spec.abort.cut_off:
            raise Cancelled("the request was cancelled before it was sent", endpoint=endpoint)
        _sending.abort = spec.abort
        try:
            with self.lease() as session:
                return session.request(
                    spec.method,
                    spec.url,
                    params=spec.params or None,
                    data=spec.data,
                    headers=spec.headers or None,
                    timeout=(connect, read),
                    allow_redirects=True,
                )
        except requests.RequestException as e:
            scrub_exception(e, secrets)
            if spec.abort is not None and spec.abort.cut_off:  # our cut, whatever it broke
                raise Cancelled("the request was cancelled", endpoint=endpoint) from e
            raise _failure(e, spec.url, endpoint, secrets, (connect, read)) from e
        finally:
            _sending.abort = None

    def _check(
        self,
        parse: Callable[[requests.Response, str, tuple[str, ...]], Any],
        response: requests.Response,
        endpoint: str,
        secrets: tuple[str, ...],
        idempotent: bool,
    ) -> Any:
        try:
            return parse(response, endpoint, secrets)
        except APIError as e:
            if idempotent and (e.code in RETRY_API_CODES or response.status_code in RETRY_STATUSES):
                raise _Retryable(e, response) from e
            raise
        except InvalidResponse as e:
            if idempotent and response.status_code in RETRY_STATUSES:
                raise _Retryable(e, response) from e
            raise
