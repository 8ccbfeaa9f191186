"""The client against the emulator's fault injection.

Requests are counted on the emulator's side: a zero-millisecond ``latency`` rule placed first
fires (and counts) on every request to its route, before any failing rule decides. So "not
repeated" means the server saw exactly one request, not that the client says it sent one.
"""

from __future__ import annotations

import io
import os
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from sv_widgets.client import Client
from sv_widgets.emulator import Emulator
from sv_widgets.errors import SpareVideosError
from tests.helpers.api import EmulatorAPI

from .conftest import ALICE

FAIL_KINDS = ["http_500", "http_503", "api_10005", "drop"]


@pytest.fixture
def faults(hostile: Emulator) -> Iterator[Emulator]:
    """The hostile emulator, with its fault rules cleared afterwards whatever happens."""
    hostile.clear_faults()
    try:
        yield hostile
    finally:
        hostile.clear_faults()


def counter(route: str) -> dict[str, Any]:
    return {"route": route, "kind": "latency", "latency_ms": 0}


def fired(emu: Emulator, index: int = 0) -> int:
    return int(emu.faults.to_json()[index]["fired"])


def _client(emu: Emulator, **kwargs: Any) -> Client:
    kwargs.setdefault("backoff", 0.001)
    return emu.client(ALICE, **kwargs)


def test_idempotent_calls_succeed_through_30_percent_failures(
    faults: Emulator, converted: dict[str, str]
) -> None:
    code = converted["alice"]
    routes = ["initiate", "file_get", "files_get", "progress", "thumbnail"]
    # Several failure kinds per route, each firing with p such that 1 - (1 - p)^n = 0.3.
    # (api_10005 on the plain-text progress route: see test_progress_retries_api_errors.)
    rules: list[dict[str, Any]] = [counter("*")]
    for i, route in enumerate(routes):
        kinds = [k for k in FAIL_KINDS if (route, k) != ("progress", "api_10005")]
        p = 1 - 0.7 ** (1 / len(kinds))
        for j, kind in enumerate(kinds):
            rule = {"route": route, "kind": kind, "probability": p, "seed": 100 * i + j}
            if kind in ("http_503", "api_10005"):
                rule["retry_after"] = 0
            rules.append(rule)
    faults.set_faults(rules)
    client = _client(faults, retries=10, timeout=(5, 20))
    calls = 0
    for _ in range(12):
        ticket = client.initiate_upload()
        assert 0 <= client.upload_progress(ticket) <= 100
        assert client.file_info(code).streams.mp4
        assert code in client.list_files().codes
        thumbs = client.thumbnails(code)
        assert thumbs
        calls += 5
    requests_seen = fired(faults)
    failures = sum(r["fired"] for r in faults.faults.to_json()[1:])
    assert requests_seen == calls + failures  # every failure was retried, nothing else was
    assert 0.2 < failures / requests_seen < 0.4, (failures, requests_seen)


@pytest.mark.parametrize("kind", FAIL_KINDS)
def test_uploads_are_never_repeated(faults: Emulator, kind: str) -> None:
    faults.set_faults(
        [counter("upload"), {"route": "upload", "kind": kind, "retry_after": 0, "times": 1}]
    )
    client = _client(faults, retries=5)
    before = set(client.list_files().codes)
    with pytest.raises(SpareVideosError):
        client.upload(io.BytesIO(os.urandom(4096)))
    assert fired(faults) == 1
    assert set(client.list_files().codes) == before


@pytest.mark.parametrize("kind", FAIL_KINDS)
def test_remote_uploads_are_never_repeated(faults: Emulator, kind: str) -> None:
    faults.set_faults(
        [counter("upload"), {"route": "upload", "kind": kind, "retry_after": 0, "times": 1}]
    )
    client = _client(faults, retries=5)
    with pytest.raises(SpareVideosError):
        client.upload_remote("http://127.0.0.1:9/clip.mp4")
    assert fired(faults) == 1


@pytest.mark.parametrize("kind", FAIL_KINDS)
def test_deletes_are_never_repeated(faults: Emulator, alice: EmulatorAPI, kind: str) -> None:
    code = alice.upload(os.urandom(1024), "d.bin")
    faults.set_faults(
        [
            counter("files_delete"),
            {"route": "files_delete", "kind": kind, "retry_after": 0, "times": 1},
        ]
    )
    client = _client(faults, retries=5)
    with pytest.raises(SpareVideosError):
        client.delete([code])
    assert fired(faults) == 1
    assert code in client.list_files().codes
    faults.clear_faults()
    client.delete([code])
    assert code not in client.list_files().codes


@pytest.mark.parametrize(("route", "kind"), [("convert", "drop"), ("file_update", "http_503")])
def test_other_writes_are_never_repeated(
    faults: Emulator, converted: dict[str, str], uploaded: str, route: str, kind: str
) -> None:
    faults.set_faults(
        [counter(route), {"route": route, "kind": kind, "retry_after": 0, "times": 1}]
    )
    client = _client(faults, retries=5)
    if route == "convert":
        with pytest.raises(SpareVideosError):
            client.convert(uploaded)
    else:
        name = client.thumbnails(converted["alice"])[0].file_name
        with pytest.raises(SpareVideosError):
            client.set_thumbnail(converted["alice"], name)
    assert fired(faults) == 1


def test_a_stalled_emulator_ends_in_a_timeout_within_the_configured_time(
    faults: Emulator, client_waits: list[float | None]
) -> None:
    faults.set_faults(
        [counter("files_get"), {"route": "files_get", "kind": "latency", "latency_ms": 8000}]
    )
    client = _client(faults, retries=3, timeout=(2, 1.0))
    with pytest.raises(SpareVideosError) as info:
        client.list_files()
    assert type(info.value).__name__ == "RequestTimeout", repr(info.value)
    assert "within 1 s (read timeout)" in str(info.value)  # the client's, not the stall's end
    assert fired(faults) == 1  # a read timeout is not retried: the server may be working
    assert client_waits == []


def test_a_silent_server_ends_in_a_timeout(tmp_path: Any, client_waits: list[float | None]) -> None:
    """A listener that accepts connections (kernel backlog) and never answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        port = listener.getsockname()[1]
        client = Client(
            "pk",
            "sk",
            api_url=f"http://127.0.0.1:{port}/api/v1",
            thumbnail_url=f"http://127.0.0.1:{port}/thumbnail",
            timeout=(1.0, 1.5),
            retries=2,
        )
        with pytest.raises(SpareVideosError) as info:
            client.list_files()
    assert type(info.value).__name__ == "RequestTimeout", repr(info.value)
    assert "within 1.5 s (read timeout)" in str(info.value)
    assert client_waits == []  # not retried


@pytest.mark.parametrize(("kind", "wait"), [("http_503", 2), ("api_10005", 1)])
def test_retry_after_is_honoured(
    faults: Emulator, kind: str, wait: int, client_waits: list[float | None]
) -> None:
    faults.set_faults(
        [
            counter("files_get"),
            {"route": "files_get", "kind": kind, "retry_after": wait, "times": 1},
        ]
    )
    client = _client(faults, retries=3, max_retry_after=30)
    client.list_files()
    assert client_waits == [wait]  # the service's hint, not the client's short backoff
    assert fired(faults) == 2


def test_a_retry_after_beyond_the_limit_is_not_waited_for(
    faults: Emulator, client_waits: list[float | None]
) -> None:
    faults.set_faults(
        [counter("files_get"), {"route": "files_get", "kind": "http_503", "retry_after": 3600}]
    )
    client = _client(faults, retries=3, max_retry_after=5)
    with pytest.raises(SpareVideosError):
        client.list_files()
    assert client_waits == [None]  # it gave up at once
    assert fired(faults) == 1


def test_progress_retries_api_errors(faults: Emulator) -> None:
    faults.set_faults(
        [
            counter("progress"),
            {"route": "progress", "kind": "api_10005", "times": 1, "retry_after": 0},
        ]
    )
    client = _client(faults, retries=3)
    assert client.upload_progress(client.initiate_upload()) == 0
    assert fired(faults) == 2


def test_keep_alive_answers_are_not_delayed() -> None:
    """Replies on a kept-alive connection must not wait for Nagle and delayed ACKs: the
    emulator's listener is a TCP socket (asyncio sets ``TCP_NODELAY`` only on those) and the
    connections it accepts have ``TCP_NODELAY`` set."""
    from sv_widgets.emulator.runtime.server import _listen

    listener = _listen("127.0.0.1", 0)
    with listener, socket.create_connection(listener.getsockname()[:2], timeout=10):
        accepted, _ = listener.accept()
        with accepted:
            assert listener.proto == socket.IPPROTO_TCP
            assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
