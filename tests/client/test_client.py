"""sv_widgets.client over real HTTP on 127.0.0.1: the emulator, plus a few hostile servers.

Covers what does not need a converted video: configuration, secrecy, retries through the
emulator's injected faults, Retry-After, never-retried calls, timeouts, the progress
contract, local file errors and typed API errors. Conversion-dependent calls are in
tests/client/test_video_life.py.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from sv_widgets.client import (
    DEFAULT_API_URL,
    DEFAULT_THUMBNAIL_URL,
    Client,
    _multipart,
    _transport,
)
from sv_widgets.emulator import Emulator
from sv_widgets.errors import (
    Cancelled,
    ConfigurationError,
    ConnectionFailed,
    Forbidden,
    InternalError,
    InvalidResponse,
    LocalFileError,
    NotAuthorized,
    NotFound,
    RequestTimeout,
    ServiceAvailabilityError,
    ServiceNotAvailable,
    SpareVideosError,
    UploadCancelled,
)
from sv_widgets.models import UploadTicket
from tests.helpers.clock import FakeClock

MARKER = "PRIVATE-KEY-MARKER-7f3a"
WAIT = 30.0  # seconds any wait here is bounded by (a hang fails, nothing is timed)


def wait_until(condition: Callable[[], bool], timeout: float = WAIT) -> bool:
    """Whether ``condition`` came true within ``timeout`` seconds (looked at every 10 ms)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


# Injected faults stay with the test that set them: ``emu`` is reset before every test.
pytestmark = pytest.mark.sv_emulator(page_size=2)


@pytest.fixture
def fc(emu: Emulator) -> Iterator[Client]:
    """A fast-retrying client of ``emu``."""
    with emu.client(backoff=0.01) as client:
        yield client


def fired(emu: Emulator) -> list[int]:
    return [int(rule["fired"]) for rule in emu.faults.to_json()]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RawServer:
    """A one-purpose TCP server on 127.0.0.1 that answers every connection with ``handle``."""

    def __init__(self, handle: Callable[[socket.socket, bytes], None]) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.handle = handle
        self.stop = threading.Event()
        self.connections = 0
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        deadline = time.monotonic() + 60  # stops by itself
        while not self.stop.is_set() and time.monotonic() < deadline:
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            self.connections += 1
            with conn:
                conn.settimeout(5)
                with contextlib.suppress(OSError):
                    self.handle(conn, conn.recv(65536))
        self.sock.close()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)


@pytest.fixture
def raw_server() -> Iterator[Callable[[Callable[[socket.socket, bytes], None]], RawServer]]:
    servers: list[RawServer] = []

    def make(handle: Callable[[socket.socket, bytes], None]) -> RawServer:
        servers.append(RawServer(handle))
        return servers[-1]

    yield make
    for s in servers:
        s.close()


def chain_text(e: BaseException) -> str:
    """str and repr of an exception and everything it was raised from."""
    parts, seen, cur = [], set(), [e]
    while cur:
        x = cur.pop()
        if x is None or id(x) in seen:
            continue
        seen.add(id(x))
        parts += [str(x), repr(x)]
        cur += [x.__cause__, x.__context__]
    return "\n".join(parts)


# --------------------------------------------------------------------------- configuration


def test_defaults_and_repr() -> None:
    client = Client("pk", MARKER)
    assert (client.api_url, client.thumbnail_url) == (DEFAULT_API_URL, DEFAULT_THUMBNAIL_URL)
    assert client.public_key == "pk"
    assert MARKER not in repr(client)
    assert repr(client) == (
        f"Client(public_key='pk', api_url='{DEFAULT_API_URL}', "
        f"thumbnail_url='{DEFAULT_THUMBNAIL_URL}')"
    )
    assert MARKER not in str(vars(client)) or "_private_key" in vars(client)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"algo": "crc32b"}, "crc32b"),
        ({"api_url": "ftp://x"}, "api_url"),
        ({"thumbnail_url": "not a url"}, "thumbnail_url"),
        ({"retries": -1}, "retries"),
    ],
)
def test_bad_configuration(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message) as e:
        Client("pk", MARKER, **kwargs)
    assert MARKER not in str(e.value)


def test_empty_keys_refused() -> None:
    with pytest.raises(ConfigurationError, match="public_key"):
        Client("", "sk")
    with pytest.raises(ConfigurationError, match="private_key"):
        Client("pk", "")


def test_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigurationError, match="SV_PUBLIC_KEY, SV_PRIVATE_KEY"):
        Client.from_env()
    monkeypatch.setenv("SV_PUBLIC_KEY", "pk")
    with pytest.raises(ConfigurationError, match="variable: SV_PRIVATE_KEY") as e:
        Client.from_env()
    assert "SV_PUBLIC_KEY" not in str(e.value)
    monkeypatch.setenv("SV_PRIVATE_KEY", MARKER)
    monkeypatch.setenv("SV_API_URL", "http://127.0.0.1:9/api/v1/")
    monkeypatch.setenv("SV_THUMBNAIL_URL", "http://127.0.0.1:9/thumbnail")
    client = Client.from_env(retries=0)
    assert client.api_url == "http://127.0.0.1:9/api/v1"
    assert client.thumbnail_url == "http://127.0.0.1:9/thumbnail"
    assert Client.from_env({"SV_PUBLIC_KEY": "a", "SV_PRIVATE_KEY": "b"}).api_url == (
        DEFAULT_API_URL
    )


# --------------------------------------------------------------------------- secrecy


def test_secrets_stay_out_of_errors_and_logs(
    emu: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    public = next(iter(emu.accounts))
    caplog.set_level(logging.DEBUG)
    client = Client(public, MARKER, api_url=emu.api_url, thumbnail_url=emu.thumbnail_url)
    with pytest.raises(NotAuthorized) as e:
        client.list_files()
    assert e.value.code == 401
    assert e.value.http_status == 401
    assert caplog.records, "urllib3 should have logged the request line"
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "token=[redacted]" in logged
    for text in (chain_text(e.value), logged, repr(client)):
        assert MARKER not in text
        assert "token=ey" not in text
    dead = Client(public, MARKER, api_url=f"http://127.0.0.1:{closed_port()}/api/v1", retries=0)
    with pytest.raises(ConnectionFailed) as e2:
        dead.file_info("1700000000-AbCdEf")
    text = chain_text(e2.value)
    assert "token=[redacted]" in text
    assert "token=ey" not in text
    assert MARKER not in text


def test_invalid_response_names_status_and_redacts(raw_server: Any) -> None:
    def echo(conn: socket.socket, request: bytes) -> None:
        line = request.split(b"\r\n")[0]
        body = b"<html>teapot " + line + b"</html>"
        conn.sendall(
            b"HTTP/1.1 418 I'm a teapot\r\nContent-Type: text/html\r\nContent-Length: "
            + str(len(body)).encode()
            + b"\r\nConnection: close\r\n\r\n"
            + body
        )

    server = raw_server(echo)
    client = Client("pk", MARKER, api_url=f"{server.url}/api/v1")
    with pytest.raises(InvalidResponse) as e:
        client.list_files()
    msg = str(e.value)
    assert "HTTP 418" in msg
    assert "teapot" in msg
    assert "[redacted]" in msg
    assert "token=ey" not in msg
    assert e.value.http_status == 418
    assert isinstance(e.value.__cause__, ValueError)


# --------------------------------------------------------------------------- retries


def test_retry_after_is_honoured(
    emu: Emulator, fc: Client, client_waits: list[float | None]
) -> None:
    emu.set_faults([{"route": "files_get", "kind": "http_503", "retry_after": 1, "times": 2}])
    page = fc.list_files()
    assert len(client_waits) == 2
    assert all(wait is not None and wait >= 1.0 for wait in client_waits), client_waits
    assert page.current_page == 1
    assert fired(emu) == [2]


@pytest.mark.parametrize("kind", ["http_500", "http_503", "api_10005", "drop"])
def test_idempotent_calls_retry(emu: Emulator, fc: Client, kind: str) -> None:
    emu.set_faults([{"route": "initiate", "kind": kind, "times": 3}])
    assert fc.initiate_upload().ref
    assert fired(emu) == [3]


@pytest.mark.parametrize(
    ("kind", "error"),
    [
        ("http_500", InternalError),
        ("http_503", ServiceNotAvailable),
        ("api_10005", ServiceAvailabilityError),
        ("drop", ConnectionFailed),
    ],
)
def test_retries_are_bounded(emu: Emulator, kind: str, error: type[SpareVideosError]) -> None:
    emu.set_faults([{"route": "files_get", "kind": kind}])
    with emu.client(retries=2, backoff=0.01) as client, pytest.raises(error):
        client.list_files()
    assert fired(emu) == [3]


def test_long_retry_after_is_not_waited_for(
    emu: Emulator, client_waits: list[float | None]
) -> None:
    emu.set_faults([{"route": "files_get", "kind": "http_503", "retry_after": 3600}])
    with emu.client(max_retry_after=5) as client, pytest.raises(ServiceNotAvailable):
        client.list_files()
    assert client_waits == [None]  # it gave up at once
    assert fired(emu) == [1]


class _WallClock:
    """The transport's ``time`` module with the wall clock stopped at ``now`` and sleeps
    recorded instead of slept."""

    def __init__(self, now: float) -> None:
        self.now = now
        self.slept: list[float] = []

    def time(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


def test_retry_after_as_http_date(
    raw_server: Any, client_waits: list[float | None], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A date a minute ahead of the client's clock is a wait of a minute."""
    clock = _WallClock(1_800_000_000.0)
    monkeypatch.setattr(_transport, "time", clock)
    requests: list[bytes] = []

    def busy_then_ok(conn: socket.socket, request: bytes) -> None:
        requests.append(request)
        if len(requests) == 1:
            when = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(clock.now + 60))
            head = f"HTTP/1.1 503 Busy\r\nRetry-After: {when}\r\nContent-Length: 4\r\n"
            conn.sendall(head.encode() + b"Connection: close\r\n\r\nbusy")
            return
        body = b'{"status":"success","currentPage":1,"lastPage":1,"nextPageUrl":null,"codes":[]}'
        conn.sendall(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )

    server = raw_server(busy_then_ok)
    client = Client("pk", "sk", api_url=f"{server.url}/api/v1", backoff=0.01, max_retry_after=120)
    assert client.list_files().codes == ()
    assert len(requests) == 2
    assert client_waits == [60.0]
    assert clock.slept == [60.0]


@pytest.mark.parametrize(
    ("route", "call"),
    [
        ("upload", lambda c: c.upload(io.BytesIO(b"data"))),
        ("files_delete", lambda c: c.delete(["1700000000-AbCdEf"])),
        ("convert", lambda c: c.convert("1700000000-AbCdEf")),
        ("file_update", lambda c: c.set_thumbnail("1700000000-AbCdEf", "x.jpg")),
    ],
)
def test_unsafe_calls_are_never_retried(
    emu: Emulator, fc: Client, route: str, call: Callable[[Client], Any]
) -> None:
    emu.set_faults([{"route": route, "kind": "http_503", "retry_after": 0}])
    with pytest.raises(ServiceNotAvailable) as e:
        call(fc)
    assert e.value.http_status == 503
    assert fired(emu) == [1]


def test_read_timeout_on_a_stalled_server(raw_server: Any) -> None:
    release = threading.Event()  # the server answers nothing until the test is done
    server = raw_server(lambda conn, request: release.wait(60))
    client = Client("pk", "sk", api_url=f"{server.url}/api/v1", timeout=(2, 0.5), retries=3)
    try:
        with pytest.raises(RequestTimeout, match="read timeout"):
            client.list_files()
    finally:
        release.set()
    assert server.connections == 1  # read timeouts are not retried


def test_cancel_ends_the_wait_for_an_answer_and_nothing_is_tried_again(raw_server: Any) -> None:
    """A server that takes the request and never answers; the client would wait 300 s."""
    arrived, release = threading.Event(), threading.Event()

    def hold(conn: socket.socket, request: bytes) -> None:
        arrived.set()
        release.wait(60)

    server = raw_server(hold)
    client = Client("pk", "sk", api_url=f"{server.url}/api/v1", timeout=(5, 300), retries=3)
    cancel = threading.Event()
    try:
        with ThreadPoolExecutor(1) as pool:
            call = pool.submit(client.initiate_upload, cancel=cancel)
            assert arrived.wait(30)
            cancel.set()
            with pytest.raises(Cancelled, match="the request was cancelled"):
                call.result(timeout=60)
    finally:
        release.set()
    assert server.connections == 1  # a cut request is not tried again


class _CutThenFails:
    """A session whose request, once the caller's cancel has cut it, fails as ``error``: a
    connection shut down under a waiting read can surface as a timeout, a reset or a refusal."""

    def __init__(self, cancel: threading.Event, error: Exception) -> None:
        self.cancel, self.error, self.calls = cancel, error, 0

    def request(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        abort = _transport._sending.abort
        self.cancel.set()
        assert wait_until(lambda: abort.cut_off)
        raise self.error

    def close(self) -> None:
        pass


@pytest.mark.parametrize(
    "error",
    ["ReadTimeout", "ConnectTimeout", "ConnectionError", "ChunkedEncodingError"],
)
def test_a_cut_reads_cancelled_whatever_it_broke(error: str) -> None:
    import requests

    cancel = threading.Event()
    session = _CutThenFails(cancel, getattr(requests.exceptions, error)("what the cut broke"))
    api = "http://127.0.0.1:9/api/v1"
    client = Client("pk", "sk", api_url=api, retries=3, session=session)
    with pytest.raises(Cancelled, match="the request was cancelled"):
        client.initiate_upload(cancel=cancel)
    assert session.calls == 1  # a cut request is not tried again


@pytest.mark.parametrize(
    ("error", "raised"),
    [("ReadTimeout", RequestTimeout), ("ChunkedEncodingError", ConnectionFailed)],
)
def test_the_same_failures_without_a_cut_read_as_what_they_are(
    error: str, raised: type[Exception]
) -> None:
    import requests

    class Fails:
        def request(self, *args: Any, **kwargs: Any) -> Any:
            raise getattr(requests.exceptions, error)("the network's own failure")

        def close(self) -> None:
            pass

    api = "http://127.0.0.1:9/api/v1"
    client = Client("pk", "sk", api_url=api, retries=0, session=Fails())
    with pytest.raises(raised):
        client.initiate_upload(cancel=threading.Event())


def test_a_cancel_set_before_the_call_sends_nothing(raw_server: Any) -> None:
    server = raw_server(lambda conn, request: None)
    client = Client("pk", "sk", api_url=f"{server.url}/api/v1")
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(Cancelled):
        client.initiate_upload(cancel=cancel)
    assert server.connections == 0


def test_cancel_ends_the_pause_between_two_tries(
    emu: Emulator, client_waits: list[float | None]
) -> None:
    """The service asks for a minute's pause before the next try; a cancel ends it."""
    emu.set_faults([{"route": "initiate", "kind": "http_503", "retry_after": 60}])
    cancel = threading.Event()
    with emu.client(max_retry_after=120) as client, ThreadPoolExecutor(1) as pool:
        call = pool.submit(client.initiate_upload, cancel=cancel)
        deadline = time.monotonic() + 30
        while not client_waits and time.monotonic() < deadline:  # the pause has begun
            time.sleep(0.01)
        assert client_waits == [60.0]
        cancel.set()
        with pytest.raises(Cancelled):
            call.result(timeout=30)
    assert fired(emu) == [1]  # no second try


def test_cancel_ends_a_poll_the_service_holds(emu: Emulator, fc: Client) -> None:
    code = fc.upload(io.BytesIO(b"not converted yet"))
    emu.set_faults(["file_get:stall"])
    cancel = threading.Event()
    with ThreadPoolExecutor(1) as pool:
        call = pool.submit(fc.wait_for_conversion, code, poll=0.05, cancel=cancel)
        deadline = time.monotonic() + 30
        while emu.faults.stalled == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert emu.faults.stalled == 1
        cancel.set()
        with pytest.raises(Cancelled):
            call.result(timeout=30)
    emu.clear_faults()


def test_emulator_latency_becomes_a_timeout(emu: Emulator) -> None:
    emu.set_faults([{"route": "files_get", "kind": "latency", "latency_ms": 2000}])
    with emu.client(timeout=(2, 0.3)) as client, pytest.raises(RequestTimeout):
        client.list_files()


def test_connection_refused_is_retried_then_typed() -> None:
    client = Client("pk", "sk", api_url=f"http://127.0.0.1:{closed_port()}", backoff=0.01)
    with pytest.raises(ConnectionFailed) as e:
        client.initiate_upload()
    assert e.value.endpoint == "GET /upload/initiate"
    assert e.value.__cause__ is not None


# --------------------------------------------------------------------------- uploads


def test_progress_contract(emu: Emulator, fc: Client, tmp_path: Path) -> None:
    big = tmp_path / "big.webm"
    with big.open("wb") as f:
        f.truncate(48 * 1024 * 1024)
    calls: list[tuple[int, int]] = []
    code = fc.upload(big, on_progress=lambda s, t: calls.append((s, t)))
    assert code in fc.list_files(fc.list_files().last_page).codes
    total = big.stat().st_size
    assert calls[-1] == (total, total)
    assert calls.count((total, total)) == 1
    sent = [s for s, _ in calls]
    assert sent == sorted(sent)
    assert len(set(sent)) == len(sent)
    assert {t for _, t in calls} == {total}


def test_progress_is_throttled_to_ten_a_second(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stated on a clock the test moves: what is reported at each moment, whatever the load."""
    clock = FakeClock()
    monkeypatch.setattr(_multipart, "time", clock.module())
    calls: list[tuple[int, int]] = []
    throttle = _multipart.ProgressThrottle(lambda s, t: calls.append((s, t)), total=1000)
    for sent in range(0, 1000, 10):  # a chunk every 62.5 ms: every other one is reported
        throttle.update(sent)
        clock.advance(0.0625)
    throttle.update(1000)  # never (total, total) before finish()
    throttle.finish()
    throttle.finish()
    assert calls == [*((s, 1000) for s in range(0, 1000, 20)), (999, 1000), (1000, 1000)]


def test_local_file_errors_come_before_any_request(tmp_path: Path) -> None:
    # A client whose every request would fail with ConnectionFailed.
    client = Client("pk", MARKER, api_url=f"http://127.0.0.1:{closed_port()}/api/v1")
    missing = tmp_path / "nope.mp4"
    with pytest.raises(LocalFileError, match=re.escape(str(missing))):
        client.upload(missing)
    with pytest.raises(LocalFileError, match="not a file"):
        client.upload(tmp_path)
    with (tmp_path / "t.txt").open("w") as text, pytest.raises(LocalFileError, match="'rb'"):
        client.upload(text)  # type: ignore[arg-type]
    with pytest.raises(LocalFileError, match="cannot upload a int"):
        client.upload(42)  # type: ignore[arg-type]
    if os.geteuid() != 0:  # root reads anything
        locked = tmp_path / "locked.mp4"
        locked.write_bytes(b"x")
        locked.chmod(0)
        with pytest.raises(LocalFileError, match=r"locked\.mp4"):
            client.upload(locked)


def test_upload_remote(emu: Emulator, fc: Client, tmp_path: Path) -> None:
    import functools
    import http.server

    (tmp_path / "remote.mp4").write_bytes(os.urandom(2 * 1024 * 1024))
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *a: None  # type: ignore[attr-defined]
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        calls: list[tuple[float, int]] = []
        url = f"http://127.0.0.1:{httpd.server_address[1]}/remote.mp4"
        code = fc.upload_remote(url, on_progress=lambda p, t: calls.append((p, t)))
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert code
    assert calls[-1] == (100, 100)
    assert [p for p, _ in calls] == sorted({p for p, _ in calls})


def test_a_progress_poll_has_its_own_short_timeout(emu: Emulator, fc: Client) -> None:
    """A poll the upload server leaves hanging is given up after ``timeout``, so the next one
    can go (``upload_remote`` polls this way), while other calls keep the client's timeout."""
    ticket = fc.initiate_upload()
    emu.set_faults([{"route": "progress", "kind": "latency", "latency_ms": 3000}])
    with pytest.raises(RequestTimeout, match=r"sent no reply within 0\.2 s"):
        fc.upload_progress(ticket, timeout=0.2)
    emu.clear_faults()
    assert fc.upload_progress(ticket, timeout=0.2) == 0.0


def test_upload_progress_and_bad_remote_url(fc: Client) -> None:
    ticket = fc.initiate_upload()
    assert fc.upload_progress(ticket) == 0.0
    assert "token" not in repr(ticket).replace("token=<hidden>", "")
    with pytest.raises(ValueError, match="http"):
        fc.upload_remote("file:///etc/passwd", ticket=ticket)


class SilentServer:
    """Accepts one connection on 127.0.0.1 and reads nothing of it until released: a server
    that has stopped reading, as a stalled upload server or uplink looks to the client.

    Once released it reads what reached it (``received`` bytes) and, with ``answer``, sends
    that answer once the request's ``Content-Length`` has arrived whole. Its receive buffer
    is small, so a client's send blocks after little more than its own socket buffer.
    """

    def __init__(self, answer: bytes | None = None, *, read_first: bool = False) -> None:
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.sock.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/upload"
        self.answer = answer
        self.read_first = read_first
        self.accepted = threading.Event()
        self.whole = threading.Event()  # the whole request arrived (read_first)
        self.release = threading.Event()
        self.received = 0
        self.ended = ""  # how the client's side of the connection ended
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _accept(self) -> socket.socket | None:
        deadline = time.monotonic() + 60  # stops by itself
        while not self.release.is_set() and time.monotonic() < deadline:
            with contextlib.suppress(TimeoutError):
                return self.sock.accept()[0]
        return None

    def _run(self) -> None:
        with self.sock, contextlib.suppress(OSError):
            conn = self._accept()
            if conn is None:
                return
            with conn:
                conn.settimeout(60)
                self.accepted.set()
                request = self._read_whole(conn) if self.read_first else b""
                self.release.wait(60)
                if self.answer is not None:
                    request = request or self._read_whole(conn)
                    conn.sendall(self.answer)
                    return
                self.ended = self._drain(conn)

    def _read_whole(self, conn: socket.socket) -> bytes:
        data = b""
        while b"\r\n\r\n" not in data:
            data += conn.recv(65536)
        head, _, body = data.partition(b"\r\n\r\n")
        length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))  # type: ignore[union-attr]
        received = len(body)
        while received < length:
            received += len(conn.recv(1 << 20))
        self.received = len(head) + 4 + received
        self.whole.set()
        return data

    def _drain(self, conn: socket.socket) -> str:
        try:
            while chunk := conn.recv(1 << 20):
                self.received += len(chunk)
        except ConnectionResetError:
            return "reset"
        return "closed"


def _upload_in_thread(
    client: Client, path: Path, url: str, cancel: threading.Event
) -> tuple[threading.Thread, dict[str, Any], list[int]]:
    outcome: dict[str, Any] = {}
    progress: list[int] = []
    ticket = UploadTicket(server=url, ref="r1", token="t1")

    def run() -> None:
        try:
            outcome["code"] = client.upload(
                path, ticket=ticket, on_progress=lambda s, _t: progress.append(s), cancel=cancel
            )
        except BaseException as e:
            outcome["error"] = e

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome, progress


def _sparse(tmp_path: Path, size: int) -> Path:
    path = tmp_path / "big.mp4"
    with path.open("wb") as f:
        f.truncate(size)  # sparse: no disk used
    return path


def test_cancel_ends_an_upload_whose_send_is_blocked_by_a_server_that_stopped_reading(
    tmp_path: Path,
) -> None:
    """The send is blocked in the socket (the server reads nothing, the file is far bigger
    than any buffer): the cancel closes the connection under it, and the upload ends while
    the server still reads nothing. Long timeouts: no socket timeout could end it instead."""
    server = SilentServer()
    path = _sparse(tmp_path, 1 << 30)
    client = Client("pk", MARKER, api_url="http://127.0.0.1:9/api/v1", timeout=(120, 120))
    cancel = threading.Event()
    uploader, outcome, progress = _upload_in_thread(client, path, server.url, cancel)
    assert server.accepted.wait(WAIT)
    assert wait_until(lambda: bool(progress))
    cancel.set()
    uploader.join(WAIT)
    assert not uploader.is_alive()  # ended, the server still not reading
    assert not server.release.is_set()
    error = outcome["error"]
    assert isinstance(error, UploadCancelled)
    assert error.message == "cancelled: nothing was stored"
    assert MARKER not in chain_text(error)
    assert max(progress) < path.stat().st_size
    server.release.set()
    server.thread.join(WAIT)
    assert server.ended in ("reset", "closed")  # the connection was closed under the send
    assert server.received < path.stat().st_size  # so the server never had a whole body


def test_through_a_session_of_ones_own_a_cancel_stops_the_body_at_its_next_block(
    tmp_path: Path,
) -> None:
    """The connections of a caller's session cannot be reached: the blocked send goes on
    until the server reads again, and then the body stops; the server gets no whole body."""
    import requests

    server = SilentServer()
    path = _sparse(tmp_path, 256 << 20)
    with requests.Session() as session:
        client = Client("pk", "sk", api_url="http://127.0.0.1:9/api/v1", session=session)
        cancel = threading.Event()
        uploader, outcome, progress = _upload_in_thread(client, path, server.url, cancel)
        assert server.accepted.wait(WAIT)
        assert wait_until(lambda: bool(progress))
        cancel.set()
        server.release.set()  # the server reads again: the send comes back, the body stops
        uploader.join(WAIT)
        server.thread.join(WAIT)
    assert isinstance(outcome["error"], UploadCancelled)
    assert server.received < path.stat().st_size


def test_a_cancel_before_the_upload_starts_sends_no_whole_body(tmp_path: Path) -> None:
    server = SilentServer()
    path = _sparse(tmp_path, 64 << 20)
    client = Client("pk", "sk", api_url="http://127.0.0.1:9/api/v1", timeout=(120, 120))
    cancel = threading.Event()
    cancel.set()
    uploader, outcome, _progress = _upload_in_thread(client, path, server.url, cancel)
    uploader.join(WAIT)
    assert isinstance(outcome["error"], UploadCancelled)
    server.release.set()  # reads what reached it, if a connection was opened at all
    server.thread.join(WAIT)
    assert server.received < path.stat().st_size


def test_a_cancel_after_the_whole_file_was_sent_waits_for_the_answer(tmp_path: Path) -> None:
    """Once the whole file has gone the service may store it: the cancel takes nothing back,
    and the upload returns the code the service gives (for the caller to delete)."""
    answer = b'{"status": "success", "code": "1700000000-AbCdEf"}'
    server = SilentServer(
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
        + f"Content-Length: {len(answer)}\r\n\r\n".encode()
        + answer,
        read_first=True,
    )
    path = tmp_path / "small.mp4"
    path.write_bytes(b"\x00" * 300_000)
    client = Client("pk", "sk", api_url="http://127.0.0.1:9/api/v1")
    cancel = threading.Event()
    uploader, outcome, progress = _upload_in_thread(client, path, server.url, cancel)
    assert server.whole.wait(WAIT)
    assert wait_until(lambda: path.stat().st_size in progress)  # the final (total, total)
    cancel.set()
    server.release.set()
    uploader.join(WAIT)
    assert outcome == {"code": "1700000000-AbCdEf"}


# --------------------------------------------------------------------------- typed errors


def test_typed_errors_and_validation(emulator: Emulator) -> None:
    mine, theirs = list(emulator.accounts)[:2]
    with emulator.client(mine) as client, emulator.client(theirs) as other:
        code = other.upload(io.BytesIO(b"someone else's"))
        with pytest.raises(Forbidden) as e:
            client.file_info(code)
        assert (e.value.code, e.value.endpoint) == (403, "GET /me/file")
        with pytest.raises((Forbidden, NotFound)):
            client.delete([code])
        assert code in list(other.iter_files())  # nothing was deleted
        with pytest.raises(NotFound):
            client.convert("1700000000-NoSuch")
        with pytest.raises(NotFound):
            client.thumbnails("1700000000-NoSuch")
        with pytest.raises(ValueError, match="empty"):
            client.delete([])
        with pytest.raises(TypeError, match="single string"):
            client.delete(code)  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="page"):
            client.list_files(0)
        with pytest.raises(ValueError, match="file_code"):
            client.file_info("")
        with pytest.raises(ValueError, match="size"):
            client.thumbnail_image(code, size=0)


def test_concurrent_calls_from_threads(emu: Emulator, fc: Client) -> None:
    codes = [fc.upload(io.BytesIO(bytes([i]))) for i in range(3)]
    with ThreadPoolExecutor(16) as pool:
        pages = list(pool.map(lambda _: fc.list_files(), range(64)))
    assert all(p.codes == pages[0].codes for p in pages)
    assert set(codes) <= set(fc.iter_files())
    # Sessions are pooled, not one per thread: at most one per concurrent request.
    assert len(fc._transport._all) <= 16
