"""Tests for the guarded remote fetcher (``sv_widgets.emulator.network.remote``).

Every test server binds 127.0.0.1. Names other than the test server's address are mapped by a
fake resolver, and an autouse fixture fails any attempt to connect outside loopback, so a
refusal test can never send traffic anywhere: it proves the guard refused *before* connecting.
"""

from __future__ import annotations

import contextlib
import io
import ipaddress
import itertools
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sv_widgets.emulator.network import remote
from sv_widgets.emulator.network.remote import (
    FetchPolicy,
    FetchResult,
    RemoteFetchError,
    check_address,
    fetch,
    safe_filename,
)
from tests.helpers.clock import FakeClock

BODY = bytes(range(256)) * 1024  # 256 KiB, every byte value


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    stopping: threading.Event
    requests: list[tuple[str, dict[str, str]]]
    sni: list[str | None]


def _stay(handler: BaseHTTPRequestHandler, seconds: float) -> None:
    """Keep a connection open doing nothing, until the server stops or ``seconds`` pass."""
    assert isinstance(handler.server, _Server)
    handler.server.stopping.wait(seconds)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        """Keep the test output quiet."""

    def _head(self, status: int, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True

    def do_GET(self) -> None:
        self.server.requests.append((self.path, dict(self.headers.items())))
        path = urlsplit(self.path).path
        query = parse_qs(urlsplit(self.path).query)
        with contextlib.suppress(OSError):  # the client hung up, as it does to refuse a body
            self._route(path, query)

    def _route(self, path: str, query: dict[str, list[str]]) -> None:
        length = {"Content-Length": str(len(BODY))}
        if path == "/clip.mp4":
            self._head(200, {"Content-Type": "video/mp4", **length})
            self.wfile.write(BODY)
        elif path == "/chunked":
            self._head(
                200, {"Content-Type": "Video/WebM; codecs=vp9", "Transfer-Encoding": "chunked"}
            )
            for part in (BODY[:1000], BODY[1000:70000], BODY[70000:]):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
            self.wfile.write(b"0\r\n\r\n")
        elif path == "/close-delimited":
            self._head(200, {})
            self.wfile.write(BODY)
        elif path.startswith("/redirect/"):
            n = int(path.rsplit("/", 1)[1])
            port = self.server.server_address[1]
            where = f"/redirect/{n - 1}" if n else f"http://127.0.0.1:{port}/clip.mp4"
            self._head(302, {"Location": where, "Content-Length": "0"})
        elif path == "/a/b/relative":
            self._head(307, {"Location": "../../clip.mp4?x=1", "Content-Length": "0"})
        elif path == "/loop":
            self._head(301, {"Location": "/loop", "Content-Length": "0"})
        elif path in ("/ping", "/pong"):
            self._head(302, {"Location": "/pong" if path == "/ping" else "/ping"})
        elif path == "/to":
            self._head(302, {"Location": query["target"][0], "Content-Length": "0"})
        elif path == "/no-location":
            self._head(302, {"Content-Length": "0"})
        elif path == "/not-modified":
            self._head(304, {})
        elif path == "/endless":
            self._head(200, {"Content-Type": "video/mp4"})
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline and not self.server.stopping.is_set():
                self.wfile.write(BODY)
        elif path == "/drip":
            self._head(200, {"Content-Length": "10000"})
            for _ in range(10000):
                self.wfile.write(b"x")
                self.wfile.flush()
                if self.server.stopping.wait(0.02):
                    return
        elif path == "/stall":
            self._head(200, {"Content-Length": "1000"})
            self.wfile.write(b"x" * 10)
            self.wfile.flush()
            _stay(self, 10)
        elif path == "/silent":
            _stay(self, 10)
        elif path == "/huge":
            self._head(200, {"Content-Length": str(10**15)})
            self.wfile.write(b"x" * 1024)
        elif path == "/short":
            self._head(200, {"Content-Length": "1000"})
            self.wfile.write(b"x" * 10)
        elif path == "/disposition":
            value = query["value"][0]
            self._head(200, {"Content-Disposition": value, "Content-Length": "3"})
            self.wfile.write(b"abc")
        elif path.startswith("/dir/"):
            self._head(200, {"Content-Length": "3"})
            self.wfile.write(b"abc")
        else:
            self._head(404, {"Content-Length": "0"})


def _serve(server: _Server) -> Iterator[_Server]:
    server.stopping = threading.Event()
    server.requests = []
    server.sni = []
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(scope="module")
def server() -> Iterator[_Server]:
    yield from _serve(_Server(("127.0.0.1", 0), _Handler))


@pytest.fixture
def base(server: _Server) -> str:
    server.requests.clear()
    return f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture(autouse=True)
def connects(
    monkeypatch: pytest.MonkeyPatch,
) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """Record every connection the fetcher opens; fail (without connecting) outside loopback."""
    seen: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = []
    real = remote._connect_socket

    def spy(
        address: ipaddress.IPv4Address | ipaddress.IPv6Address, port: int, timeout: float
    ) -> socket.socket:
        seen.append(address)
        assert address.is_loopback, f"the fetcher tried to connect to {address}"
        return real(address, port, timeout)

    monkeypatch.setattr(remote, "_connect_socket", spy)
    return seen


def resolver(mapping: dict[str, list[str]], calls: list[str] | None = None) -> remote.Resolver:
    """A fake DNS: names in ``mapping`` resolve to its addresses, others do not exist."""

    def resolve(host: str, port: int) -> list[str]:
        if calls is not None:
            calls.append(host)
        if host not in mapping:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return mapping[host]

    return resolve


FAKE_DNS = {
    "clips.test": ["127.0.0.1"],
    "internal.test": ["10.1.2.3"],
    "cgnat.test": ["100.64.0.7"],
    "metadata.test": ["169.254.169.254"],
    "v6meta.test": ["fd00:ec2::254"],
    "mapped.test": ["::ffff:169.254.169.254"],
    "mixed.test": ["127.0.0.1", "10.0.0.1"],
    "ula.test": ["fd12:3456::1"],
}


def policy(**kwargs: object) -> FetchPolicy:
    return FetchPolicy(resolver=resolver(FAKE_DNS), **kwargs)  # type: ignore[arg-type]


def get(url: str, pol: FetchPolicy | None = None, **kwargs: object) -> tuple[FetchResult, bytes]:
    dest = io.BytesIO()
    result = fetch(url, dest, policy=pol or policy(), **kwargs)  # type: ignore[arg-type]
    return result, dest.getvalue()


def refused(url: str, pol: FetchPolicy | None = None, **kwargs: object) -> str:
    with pytest.raises(RemoteFetchError) as info:
        get(url, pol, **kwargs)
    return str(info.value)


# -- successful fetches -----------------------------------------------------------------------


def test_fetches_a_file_with_progress(base: str) -> None:
    calls: list[tuple[int, int | None]] = []
    result, data = get(f"{base}/clip.mp4", on_progress=lambda d, t: calls.append((d, t)))
    assert data == BODY
    assert result == FetchResult(len(BODY), "video/mp4", f"{base}/clip.mp4", "clip.mp4")
    assert calls[0] == (0, len(BODY))
    assert calls[-1] == (len(BODY), len(BODY))
    assert [d for d, _ in calls] == sorted(d for d, _ in calls)


def test_chunked_body_reports_unknown_total(base: str) -> None:
    calls: list[tuple[int, int | None]] = []
    result, data = get(f"{base}/chunked", on_progress=lambda d, t: calls.append((d, t)))
    assert data == BODY
    assert result.content_type == "video/webm"
    assert calls[0] == (0, None)
    assert calls[-1] == (len(BODY), None)


def test_close_delimited_body(base: str) -> None:
    result, data = get(f"{base}/close-delimited")
    assert data == BODY
    assert result.content_type is None


def test_progress_is_throttled(base: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A report at the start, then at most one per interval, then one at the end: stated on a
    clock that moves a millisecond at every reading, so it holds however busy the machine is
    (and the fetch's own deadline, read from the same clock, ends the endless body)."""
    clock = FakeClock(step=0.001)
    monkeypatch.setattr(remote, "time", clock.module())
    calls: list[tuple[float, int]] = []
    with pytest.raises(RemoteFetchError, match=r"within 0\.6 s"):
        get(
            f"{base}/endless",
            policy(max_bytes=10**12, timeout=0.6),
            on_progress=lambda d, t: calls.append((clock.now, d)),
        )
    assert calls[0][1] == 0  # the first report comes before any byte
    assert len(calls) >= 3
    times = [t for t, _ in calls]
    gaps = [b - a for a, b in itertools.pairwise(times[1:])]
    assert all(gap >= remote._PROGRESS_INTERVAL for gap in gaps), gaps
    assert [d for _, d in calls] == sorted(d for _, d in calls)


def test_sends_the_original_host_and_connects_to_the_checked_address(
    server: _Server, connects: list[object]
) -> None:
    port = server.server_address[1]
    server.requests.clear()
    calls: list[str] = []
    pol = FetchPolicy(resolver=resolver(FAKE_DNS, calls))
    result, data = get(f"http://clips.test:{port}/clip.mp4", pol)
    assert data == BODY
    assert result.final_url == f"http://clips.test:{port}/clip.mp4"
    _, headers = server.requests[0]
    assert headers["Host"] == f"clips.test:{port}"
    assert headers["Accept-Encoding"] == "identity"
    assert calls == ["clips.test"]  # one lookup: nothing to rebind between check and connect
    assert connects == [ipaddress.ip_address("127.0.0.1")]


def test_url_path_is_percent_encoded_and_names_the_file(base: str, server: _Server) -> None:
    result, _ = get(f"{base}/dir/My Clip é.mov".replace(" ", "%20"))
    assert result.filename == "My Clip é.mov"
    assert server.requests[0][0] == "/dir/My%20Clip%20%C3%A9.mov"


@pytest.mark.parametrize(
    ("disposition", "expected"),
    [
        ('attachment; filename="../../etc/evil.MP4"', "evil.MP4"),
        ("attachment; filename*=UTF-8''caf%C3%A9.webm", "café.webm"),
        ('attachment; filename="..\\\\..\\\\boot.ini"', "boot.ini"),
        ('attachment; filename=".."', "disposition"),
        ("inline", "disposition"),
    ],
)
def test_filename_from_content_disposition(base: str, disposition: str, expected: str) -> None:
    from urllib.parse import quote

    result, _ = get(f"{base}/disposition?value={quote(disposition)}")
    assert result.filename == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("clip.mp4", "clip.mp4"),
        ("a/b/c.mkv", "c.mkv"),
        ("a\\b\\c.mkv", "c.mkv"),
        ("..", None),
        ("...mp4", "mp4"),
        ("", None),
        (None, None),
        ("/", None),
        ("ev\x00il\n.mp4", "evil.mp4"),
        ("x" * 500 + ".mp4", "x" * 124 + ".mp4"),
        ("y" * 500, "y" * 128),
    ],
)
def test_safe_filename(name: str | None, expected: str | None) -> None:
    assert safe_filename(name) == expected


# -- redirects ---------------------------------------------------------------------------------


def test_follows_a_redirect_chain_up_to_the_limit(base: str, server: _Server) -> None:
    result, data = get(f"{base}/redirect/4", policy(max_redirects=5))  # 5 redirects
    assert data == BODY
    assert result.final_url == f"{base}/clip.mp4"
    assert len(server.requests) == 6


def test_too_many_redirects(base: str) -> None:
    assert "more than 5 redirects" in refused(f"{base}/redirect/5", policy(max_redirects=5))
    assert "more than 0 redirects" in refused(f"{base}/redirect/0", policy(max_redirects=0))


def test_relative_location(base: str) -> None:
    result, data = get(f"{base}/a/b/relative")
    assert data == BODY
    assert result.final_url == f"{base}/clip.mp4?x=1"


@pytest.mark.parametrize("start", ["/loop", "/ping"])
def test_redirect_loop(base: str, start: str) -> None:
    assert "redirect loop" in refused(f"{base}{start}")


def test_redirect_without_location_and_other_statuses(base: str) -> None:
    assert "redirected without a Location" in refused(f"{base}/no-location")
    assert "answered HTTP 304" in refused(f"{base}/not-modified")


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("http://169.254.169.254/latest/meta-data/", "cloud metadata"),
        ("http://[fd00:ec2::254]/latest/meta-data/", "cloud metadata"),
        ("http://metadata.google.internal/computeMetadata/v1/", "cloud metadata service"),
        ("http://metadata.test/", "cloud metadata"),
        ("http://mapped.test/", "cloud metadata"),
        ("http://[fe80::1]/", "link-local"),
        ("http://internal.test/", "private range"),
        ("http://0.0.0.0:8080/", "unspecified"),
        ("file:///etc/passwd", "file: scheme"),
        ("gopher://127.0.0.1:70/_SET", "gopher: scheme"),
        ("ftp://127.0.0.1/", "ftp: scheme"),
        ("data:text/plain,hi", "data: scheme"),
        ("http://evil@127.0.0.1/", "user name or password"),
    ],
)
def test_each_redirect_hop_is_checked(
    base: str, connects: list[object], target: str, reason: str
) -> None:
    from urllib.parse import quote

    message = refused(f"{base}/to?target={quote(target)}")
    assert reason in message
    assert connects == [ipaddress.ip_address("127.0.0.1")]  # the test server, nothing else


# -- limits ------------------------------------------------------------------------------------


def test_http_error_status(base: str) -> None:
    message = refused(f"{base}/missing?token=SECRET")
    assert "HTTP 404 Not Found" in message
    assert "SECRET" not in message
    assert "/missing?..." in message


def test_announced_size_over_the_cap_is_refused_up_front(base: str) -> None:
    dest = io.BytesIO()
    with pytest.raises(RemoteFetchError, match="over the limit of 1048576 bytes"):
        fetch(f"{base}/huge", dest, policy=policy(max_bytes=2**20))
    assert dest.getvalue() == b""


def test_endless_body_is_cut_at_the_cap(base: str) -> None:
    dest = io.BytesIO()
    with pytest.raises(RemoteFetchError, match="more than the limit of 1048576 bytes"):
        fetch(f"{base}/endless", dest, policy=policy(max_bytes=2**20))
    assert len(dest.getvalue()) <= 2**20


def test_exact_cap_is_accepted(base: str) -> None:
    _, data = get(f"{base}/clip.mp4", policy(max_bytes=len(BODY)))
    assert data == BODY
    assert "limit" in refused(f"{base}/clip.mp4", policy(max_bytes=len(BODY) - 1))
    assert "limit" in refused(f"{base}/chunked", policy(max_bytes=len(BODY) - 1))


def test_short_body_is_an_error(base: str) -> None:
    assert "hung up after 10 of 1000 bytes" in refused(f"{base}/short")


@pytest.mark.parametrize("path", ["/drip", "/stall", "/silent"])
def test_total_timeout_bounds_slow_servers(base: str, path: str) -> None:
    message = refused(f"{base}{path}", policy(timeout=0.5))
    assert "within 0.5 s" in message  # it gave up by its own deadline (never waits forever)


def test_should_stop_cancels_a_stalled_fetch(base: str) -> None:
    stop = threading.Event()
    timer = threading.Timer(0.2, stop.set)
    timer.start()
    try:
        message = refused(f"{base}/stall", policy(timeout=30), should_stop=stop.is_set)
    finally:
        timer.cancel()
    assert "cancelled" in message  # by the stop, long before the 30 s deadline would say so


def test_a_failing_should_stop_cancels(base: str) -> None:
    def broken() -> bool:
        raise ValueError("boom")

    assert "should_stop failed" in refused(f"{base}/clip.mp4", should_stop=broken)


def test_connection_refused_is_reported(connects: list[object]) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert "cannot connect to 127.0.0.1" in refused(f"http://127.0.0.1:{port}/x")


# -- URL and address refusals (no connection is ever attempted) ---------------------------------


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("file:///etc/passwd", "file: scheme"),
        ("FILE:///etc/passwd", "file: scheme"),
        ("gopher://127.0.0.1:70/", "gopher: scheme"),
        ("ftp://127.0.0.1/clip.mp4", "ftp: scheme"),
        ("data:video/mp4;base64,AAAA", "data: scheme"),
        ("javascript:alert(1)", "javascript: scheme"),
        ("dict://127.0.0.1:11211/", "dict: scheme"),
        ("localhost:80/clip.mp4", "localhost: scheme"),
        ("//127.0.0.1/clip.mp4", "no scheme"),
        ("127.0.0.1/clip.mp4", "no scheme"),
        ("", "no scheme"),
        ("http://evil@127.0.0.1/", "user name or password"),
        ("http://user:hunter2@127.0.0.1/", "user name or password"),
        ("http://127.0.0.1:80@evil.test/", "user name or password"),
        ("http://evil.test\\@127.0.0.1/", "backslashes"),
        ("http://127.0.0.1/a b", "spaces"),
        ("http://127.0.0.1/\r\nX-Injected: 1", "control characters"),
        ("http:///clip.mp4", "no host"),
        ("http://127.0.0.1:99999/", "invalid host or port"),
        ("http://127.0.0.1:0/", "invalid host or port"),
        ("http://127.0.0.1:port/", "invalid host or port"),
        ("http://metadata.google.internal/", "cloud metadata service"),
        ("http://METADATA.GOOGLE.INTERNAL./", "cloud metadata service"),
        ("http://256.0.0.1/", "not a valid IPv4 address"),
        ("http://1.2.3.4.5/", "not a valid IPv4 address"),
        ("http://08.0.0.1/", "not a valid IPv4 address"),
        ("http://0x100.0.0.1/", "not a valid IPv4 address"),
        ("http://4294967296/", "not a valid IPv4 address"),
        ("http://nowhere.test/", "cannot resolve host nowhere.test"),
        ("http://a..b/", "invalid host name"),
        ("http://-a.test/", "invalid host name"),
        ("http://exa$mple.test/", "invalid host name"),
        (f"http://{'x' * 64}.test/", "invalid host name"),
        ("http://\u2100.test/", "malformed"),
        ("http://[::1/", "malformed"),
        ("http://[::1]x/", "invalid host or port"),
        ("http://127.0.0.1:80:80/", "invalid host or port"),
        ("http://[v1.clips.test]/", "invalid host name"),
        ("http://[127.0.0.1]/", "malformed"),
    ],
)
def test_refused_urls(connects: list[object], url: str, reason: str) -> None:
    message = refused(url)
    assert reason in message
    assert "hunter2" not in message
    assert connects == []


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "127.0.0.1.",
        "2130706433",
        "0177.0.0.1",
        "0x7f.0.0.1",
        "0x7f000001",
        "0X7F.1",
        "127.1",
        "127.0.1",
        "017700000001",
        "[::1]",
        "[::ffff:127.0.0.1]",
        "[::ffff:7f00:1]",
        "[::127.0.0.1]",
        "[2002:7f00:1::1]",
        "[64:ff9b::127.0.0.1]",
        "clips.test",
    ],
)
def test_loopback_in_any_spelling_can_be_refused(connects: list[object], host: str) -> None:
    message = refused(f"http://{host}/clip.mp4", policy(allow_loopback=False))
    assert "loopback (allow_loopback is off)" in message
    assert connects == []


@pytest.mark.parametrize(
    "host",
    [
        "169.254.169.254",
        "2852039166",
        "0xa9fea9fe",
        "0251.0376.0251.0376",
        "169.254.43518",
        "[::ffff:169.254.169.254]",
        "[::ffff:a9fe:a9fe]",
        "[2002:a9fe:a9fe::]",
        "[64:ff9b::a9fe:a9fe]",
        "[fd00:ec2::254]",
        "metadata.test",
        "v6meta.test",
        "mapped.test",
    ],
)
def test_metadata_in_any_spelling_is_refused_even_when_everything_is_allowed(
    connects: list[object], host: str
) -> None:
    pol = policy(allow_private=True, allow_loopback=True)
    assert "cloud metadata endpoint" in refused(f"http://{host}/latest/meta-data/", pol)
    assert connects == []


@pytest.mark.parametrize("host", ["internal.test", "cgnat.test", "ula.test", "10.0.0.1"])
def test_private_hosts_refused_by_default(connects: list[object], host: str) -> None:
    message = refused(f"http://{host}/clip.mp4")
    assert "private range (allow_private is off)" in message
    assert connects == []


def test_a_name_with_any_refused_address_is_refused(connects: list[object]) -> None:
    message = refused("http://mixed.test/clip.mp4")
    assert "host mixed.test resolves to address 10.0.0.1" in message
    assert connects == []


def test_resolver_answers_that_are_not_addresses_are_refused(connects: list[object]) -> None:
    pol = FetchPolicy(resolver=resolver({"odd.test": ["not-an-ip"]}))
    assert "not an IP address" in refused("http://odd.test/", pol)
    pol = FetchPolicy(resolver=resolver({"none.test": []}))
    assert "has no address" in refused("http://none.test/", pol)
    assert connects == []


# -- the address classifier ---------------------------------------------------------------------

ALWAYS_REFUSED = [
    ("169.254.169.254", "cloud metadata"),
    ("fd00:ec2::254", "cloud metadata"),
    ("100.100.100.200", "cloud metadata"),
    ("169.254.0.1", "link-local"),
    ("169.254.170.2", "link-local"),
    ("fe80::1", "link-local"),
    ("fe80::1%1", "link-local"),
    ("febf::1", "link-local"),
    ("0.0.0.0", "unspecified"),
    ("0.1.2.3", "unspecified"),
    ("::", "unspecified"),
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast"),
    ("ff02::1", "multicast"),
    ("255.255.255.255", "broadcast"),
    ("240.0.0.1", "reserved"),
    ("192.0.2.10", "reserved"),
    ("198.51.100.1", "reserved"),
    ("203.0.113.9", "reserved"),
    ("198.18.0.1", "reserved"),
    ("192.0.0.192", "reserved"),
    ("2001:db8::1", "reserved"),
    ("2001::1", "reserved"),  # Teredo
    ("100::1", "reserved"),
    ("::ffff:169.254.169.254", "cloud metadata"),
    ("::ffff:0:a9fe:a9fe", "cloud metadata"),
    ("::ffff:0.0.0.0", "unspecified"),
    ("::ffff:224.0.0.1", "multicast"),
    ("2002:e000:1::", "multicast"),
    ("64:ff9b::ffff:ffff", "broadcast"),
]


@pytest.mark.parametrize(("address", "reason"), ALWAYS_REFUSED)
@pytest.mark.parametrize("allow", [False, True])
def test_always_refused_addresses(address: str, reason: str, allow: bool) -> None:
    pol = FetchPolicy(allow_private=allow, allow_loopback=allow)
    with pytest.raises(RemoteFetchError, match=reason):
        check_address(address, pol)


PRIVATE = [
    "10.0.0.1",
    "10.255.255.255",
    "172.16.0.1",
    "172.31.255.254",
    "192.168.1.1",
    "100.64.0.1",
    "100.127.255.254",
    "fc00::1",
    "fd12:3456::1",
    "fec0::1",
    "64:ff9b:1::a00:1",
    "::ffff:10.0.0.1",
    "::ffff:192.168.0.1",
    "2002:c0a8:101::1",
    "64:ff9b::10.0.0.1",
    "::10.0.0.1",
]


@pytest.mark.parametrize("address", PRIVATE)
def test_private_addresses_follow_allow_private(address: str) -> None:
    with pytest.raises(RemoteFetchError, match="private range"):
        check_address(address, FetchPolicy())
    assert check_address(address, FetchPolicy(allow_private=True))


@pytest.mark.parametrize(
    "address", ["127.0.0.1", "127.255.255.254", "::1", "::ffff:127.0.0.1", "2002:7f00:1::"]
)
def test_loopback_follows_allow_loopback(address: str) -> None:
    assert check_address(address, FetchPolicy()).is_loopback or address.startswith("2002")
    with pytest.raises(RemoteFetchError, match="loopback"):
        check_address(address, FetchPolicy(allow_loopback=False))


@pytest.mark.parametrize(
    ("address", "connect_to"),
    [
        ("8.8.8.8", "8.8.8.8"),
        ("1.1.1.1", "1.1.1.1"),
        ("172.32.0.1", "172.32.0.1"),
        ("100.128.0.1", "100.128.0.1"),
        ("2606:4700:4700::1111", "2606:4700:4700::1111"),
        ("::ffff:8.8.8.8", "8.8.8.8"),  # mapped: connected as IPv4
        ("64:ff9b::808:808", "64:ff9b::808:808"),
        ("2002:808:808::1", "2002:808:808::1"),
    ],
)
def test_public_addresses_are_allowed(address: str, connect_to: str) -> None:
    # Classification only: nothing here opens a connection.
    assert check_address(address, FetchPolicy()) == ipaddress.ip_address(connect_to)


def test_check_address_rejects_garbage() -> None:
    with pytest.raises(RemoteFetchError, match="not an IP address"):
        check_address("localhost", FetchPolicy())


# -- https: SNI and certificate checks against the host name ------------------------------------


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to make a test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=clips.test",
         "-addext", "subjectAltName=DNS:clips.test"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture(scope="module")
def tls_server(tls_files: tuple[Path, Path]) -> Iterator[_Server]:
    cert, key = tls_files
    server = _Server(("127.0.0.1", 0), _Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)

    def record_sni(sock: ssl.SSLObject | ssl.SSLSocket, name: str | None, ctx: object) -> None:
        server.sni.append(name)

    context.sni_callback = record_sni
    server.socket = context.wrap_socket(server.socket, server_side=True)
    yield from _serve(server)


def _client_context(cert: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(cert))


def test_https_uses_the_host_name_for_sni_and_host(
    tls_server: _Server, tls_files: tuple[Path, Path], connects: list[object]
) -> None:
    port = tls_server.server_address[1]
    tls_server.requests.clear()
    tls_server.sni.clear()
    pol = policy(ssl_context=_client_context(tls_files[0]))
    result, data = get(f"https://clips.test:{port}/clip.mp4", pol)
    assert data == BODY
    assert result.final_url == f"https://clips.test:{port}/clip.mp4"
    assert tls_server.sni == ["clips.test"]
    assert tls_server.requests[0][1]["Host"] == f"clips.test:{port}"
    assert connects == [ipaddress.ip_address("127.0.0.1")]


def test_https_refuses_a_certificate_for_another_name(
    tls_server: _Server, tls_files: tuple[Path, Path]
) -> None:
    port = tls_server.server_address[1]
    pol = FetchPolicy(
        resolver=resolver({"other.test": ["127.0.0.1"]}),
        ssl_context=_client_context(tls_files[0]),
    )
    message = refused(f"https://other.test:{port}/clip.mp4", pol)
    assert "TLS certificate verification failed" in message
    assert "other.test" in message


def test_https_refuses_an_unknown_authority(tls_server: _Server) -> None:
    port = tls_server.server_address[1]
    message = refused(f"https://clips.test:{port}/clip.mp4")  # default trust store
    assert "TLS certificate verification failed" in message


def test_default_policy_matches_the_interface() -> None:
    pol = FetchPolicy()
    assert (pol.allow_private, pol.allow_loopback) == (False, True)
    assert (pol.max_bytes, pol.timeout, pol.max_redirects, pol.connect_timeout) == (
        4 * 1024**3,
        300.0,
        5,
        10.0,
    )
    assert pol.resolver is None
    assert pol.ssl_context is None


# -- properties ----------------------------------------------------------------------------------

ipv4s = st.integers(min_value=2, max_value=2**32 - 1).map(ipaddress.IPv4Address)


def _outcome(address: str, pol: FetchPolicy) -> str:
    try:
        check_address(address, pol)
    except RemoteFetchError as e:
        return str(e).split(" is ", 1)[1]  # the reason, without the address spelling
    return "allowed"


@given(ipv4s, st.booleans())
def test_ipv6_forms_of_an_ipv4_address_are_judged_by_it(
    v4: ipaddress.IPv4Address, allow: bool
) -> None:
    pol = FetchPolicy(allow_private=allow, allow_loopback=allow)
    expected = _outcome(str(v4), pol)
    n = int(v4)
    for v6 in (
        (0xFFFF << 32) | n,  # ::ffff:a.b.c.d
        (0xFFFF << 48) | n,  # ::ffff:0:a.b.c.d
        n,  # ::a.b.c.d (deprecated "compatible")
        (0x2002 << 112) | (n << 80) | 1,  # 6to4
        (0x64FF9B << 96) | n,  # NAT64 well-known prefix
    ):
        assert _outcome(str(ipaddress.IPv6Address(v6)), pol) == expected


@given(
    ipv4s,
    st.lists(st.sampled_from(["dec", "oct", "hex"]), min_size=4, max_size=4),
    st.integers(1, 4),
)
def test_every_inet_aton_spelling_reads_as_the_same_address(
    v4: ipaddress.IPv4Address, styles: list[str], parts: int
) -> None:
    packed = v4.packed
    values = [*packed[: parts - 1], int.from_bytes(packed[parts - 1 :], "big")]
    spell = {"dec": "{:d}", "oct": "0{:o}", "hex": "0x{:x}"}
    host = ".".join(spell[style].format(v) for style, v in zip(styles, values, strict=False))
    assert remote._parse(f"http://{host}/clip.mp4").address == v4
