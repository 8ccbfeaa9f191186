"""The browser transports' parts, alone: the relay stream, names, answers, the multipart body.

The whole protocol with a page is tested through the widget (``tests/widgets/test_dropzone.py``);
here each part is held to its own promises.
"""

from __future__ import annotations

import doctest
import http.server
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from sv_widgets.client import Client
from sv_widgets.errors import Cancelled, InvalidResponse, LimitsExceeded, NotAuthorized
from sv_widgets.models import UploadTicket
from sv_widgets.uploads import (
    BrowserFile,
    BrowserUploadError,
    PageLink,
    RelayStream,
    TransferProgress,
    UploadState,
    _page,
    _relay,
    clean_file_name,
)
from sv_widgets.uploads._page import parse_upload_reply
from sv_widgets.uploads._protocol import parse


def test_doctests() -> None:
    for module in (_page, _relay):
        failed, attempted = doctest.testmod(module)
        assert attempted > 0, module.__name__
        assert failed == 0, module.__name__


# ------------------------------------------------------------------------------ the relay stream
def stream(size: int = 10, chunk: int = 4, window: int = 2, **kwargs: Any) -> RelayStream:
    return RelayStream(
        name="a.bin", size=size, chunk=chunk, window=window, ack=lambda n: None, **kwargs
    )


def test_a_page_sending_past_the_window_is_refused_without_blocking() -> None:
    relay = stream()
    relay.feed(0, b"abcd")
    relay.feed(4, b"efgh")
    with pytest.raises(ValueError, match="more than 2 chunks sent before the kernel acknowledged"):
        relay.feed(8, b"ij")
    assert relay.received == 8


def test_chunks_are_handed_on_without_a_copy() -> None:
    data = bytearray(b"abcd")
    relay = stream(size=4)
    relay.feed(0, memoryview(data))
    data[0] = ord("z")  # the kernel keeps the message's buffer, it does not copy it
    assert bytes(relay.read(-1)) == b"zbcd"
    assert relay.read(-1) == b""


def test_a_failed_stream_raises_its_failure_on_the_next_read() -> None:
    relay = stream()
    relay.feed(0, b"abcd")
    error = BrowserUploadError("refused")
    relay.fail(error)
    relay.fail(BrowserUploadError("a second failure does not replace the first"))
    with pytest.raises(BrowserUploadError, match="refused"):
        relay.read(4)
    assert relay.failure is error


def test_a_read_waiting_for_the_page_stops_on_cancel() -> None:
    cancel = threading.Event()
    relay = stream(cancelled=cancel.is_set)
    cancel.set()
    with pytest.raises(Cancelled):
        relay.read(4)


def test_acks_count_whole_chunks_taken() -> None:
    acks: list[int] = []
    relay = RelayStream(name="a", size=6, chunk=4, window=2, ack=acks.append)
    relay.feed(0, b"abcd")
    relay.feed(4, b"ef")
    assert bytes(relay.read(3)) == b"abc"
    assert acks == []  # a chunk partly in the body is not acknowledged yet
    assert bytes(relay.read(3)) == b"d"
    assert acks == [4]
    assert bytes(relay.read(3)) == b"ef"
    assert acks == [4, 6]


# ------------------------------------------------------------------------------ names, answers
@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("clip.mp4", "clip.mp4"),
        ("  two  spaces .mp4 ", "two spaces .mp4"),
        ("e\u0301te\u0301.mp4", "\u00e9t\u00e9.mp4"),  # NFC
        ("evil\u202egpj.mp4", "evilgpj.mp4"),  # a right-to-left override would hide the type
        ("trailing.dots...", "trailing.dots"),
        ("x" * 255, "x" * 255),
    ],
)
def test_clean_file_name(raw: str, clean: str) -> None:
    assert clean_file_name(raw) == clean


def test_a_name_one_character_too_long_is_refused() -> None:
    with pytest.raises(ValueError, match="256 characters long"):
        clean_file_name("x" * 256)


def test_answers_become_codes_or_typed_errors() -> None:
    ok = '{"status": "success", "code": "1700000000-AbC123"}'
    assert parse_upload_reply(200, ok, token="t") == "1700000000-AbC123"
    expired = (
        '{"status": "error", "error": 401, "message": "Not authorized: upload ticket expired"}'
    )
    with pytest.raises(NotAuthorized, match="ticket expired"):
        parse_upload_reply(401, expired, token="t")
    big = '{"status": "error", "error": 10006, "message": "Service limits exceeded"}'
    with pytest.raises(LimitsExceeded):
        parse_upload_reply(413, big, token="t")
    with pytest.raises(InvalidResponse, match=r"got '<html>secret-\[redacted\]'"):
        parse_upload_reply(502, "<html>secret-SIGNED", token="SIGNED")
    with pytest.raises(InvalidResponse, match="HTTP None"):
        parse_upload_reply(True, None, token="t")


# ------------------------------------------------------------------------------ the request body
class _Recorder(http.server.BaseHTTPRequestHandler):
    requests: list[tuple[dict[str, str], bytes]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.requests.append((dict(self.headers.items()), body))
        reply = b'{"status": "success", "code": "1700000000-AbC123"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture
def recorder() -> Iterator[str]:
    _Recorder.requests = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/fileservers/upload"
    server.shutdown()
    server.server_close()


def test_the_relay_streams_one_multipart_post_with_the_cleaned_name(recorder: str) -> None:
    """What the upload server gets: Content-Length known from the declared size, field
    ``file`` with the cleaned base name, the page's bytes in order."""
    data = bytes(range(256)) * 30
    acked = [0]
    changed = threading.Condition()
    link: PageLink

    def page(content: dict[str, Any], buffers: list[bytes] | None) -> None:
        with changed:
            if content["type"] == "ack":
                acked[0] = content["offset"]
                changed.notify_all()
        if content["type"] == "relay":  # answer as a page would, from another thread
            threading.Thread(target=feed, args=(content,), daemon=True).start()

    def feed(relay: dict[str, Any]) -> None:
        chunk, window = relay["chunk"], relay["window"]
        for offset in range(0, len(data), chunk):
            with changed:  # at most `window` chunks unacknowledged
                assert changed.wait_for(lambda at=offset: at - acked[0] < chunk * window, 30)
            piece = data[offset : offset + chunk]
            content = {"type": "chunk", "tid": relay["tid"], "offset": offset, "secret": secret}
            link.handle(parse(content, [piece]))

    link = PageLink(page)
    secret = link.greet("page1", True)
    file = BrowserFile("page1", "k1", clean_file_name(" my\u202eclip.mp4 "), len(data))
    client = Client("pk", "sk")
    state = UploadState(name=file.name, total=file.size)
    transfer = link.transfer(client, file, "relay", chunk=1000, window=3)
    code = transfer(UploadTicket(recorder, "r1", "tok"), TransferProgress(state, threading.Event()))

    assert code == "1700000000-AbC123"
    ((headers, body),) = _Recorder.requests
    assert int(headers["Content-Length"]) == len(body)
    assert b'name="file"; filename="myclip.mp4"' in body
    assert data in body
    assert body.count(data[:256]) == 30
    assert state.transport == "relay"
    assert state.sent == state.total == len(data)
    assert link.live == 0
