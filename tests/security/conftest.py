"""Fixtures of the security suite: an emulator of its own, raw HTTP helpers, checks.

The suite attacks a dedicated emulator (``hostile``) rather than the shared one, so a crash
it provokes cannot take other modules' tests down with it, and so its data directory can be
inspected for files written where they must not be.

``hostile`` (session)
    A started :class:`~sv_widgets.emulator.Emulator` with accounts ``ALICE`` and ``BOB`` and a
    data directory under pytest's temp dir.
``alice``, ``bob`` (function)
    :class:`EmulatorAPI` helpers signing for each account.
``converted`` (session)
    ``{"alice": code, "bob": code}``: one converted file per account (a 1 s 320x240 clip).
``uploaded`` (function)
    A fresh, unconverted file of ALICE's.

Helpers: :func:`expect_error` (a JSON error with an exact code, never a 5xx) and
:func:`assert_alive` (the emulator still answers a signed call).
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from sv_widgets.emulator import Emulator
from tests.helpers.api import EmulatorAPI

ALICE, ALICE_KEY = "alice-public", "alice-private-key-3f9a7c"
BOB, BOB_KEY = "bob-public", "bob-private-key-8d21e6"


def expect_error(response: requests.Response, code: int | tuple[int, ...]) -> dict[str, Any]:
    """Assert ``response`` is a JSON API error with ``code`` (one of them) and no 5xx."""
    codes = code if isinstance(code, tuple) else (code,)
    assert response.status_code < 500, (response.status_code, response.text[:300])
    assert response.headers.get("content-type", "").startswith("application/json"), (
        response.status_code,
        response.headers.get("content-type"),
        response.text[:300],
    )
    body = response.json()
    assert isinstance(body, dict), body
    assert body.get("status") == "error", body
    assert body.get("error") in codes, body
    assert isinstance(body.get("message"), str), body
    assert body["message"], body
    return body


def assert_alive(emulator: Emulator) -> None:
    """The emulator still serves a signed call."""
    r = EmulatorAPI(emulator, ALICE).call("GET", "me/files", "files", "get")
    assert r.status_code == 200, r.text[:300]
    assert r.json()["status"] == "success"


def tree(root: Path) -> set[str]:
    """Every path under ``root``, relative, as strings."""
    return {str(p.relative_to(root)) for p in root.rglob("*")}


@pytest.fixture(scope="session")
def hostile_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding the hostile emulator's data dir (and nothing else but canaries)."""
    return tmp_path_factory.mktemp("hostile")


@pytest.fixture(scope="session")
def hostile(hostile_root: Path) -> Iterator[Emulator]:
    """The security suite's own emulator (see the module docstring)."""
    data_dir = hostile_root / "data"
    accounts = {ALICE: ALICE_KEY, BOB: BOB_KEY}
    with Emulator(
        data_dir=data_dir,
        accounts=accounts,
        page_size=50,
        max_upload_bytes=8 * 1024 * 1024,
    ) as emu:
        yield emu


@pytest.fixture
def alice(hostile: Emulator) -> EmulatorAPI:
    """Raw-HTTP helper signing for ALICE."""
    hostile.clear_faults()
    return EmulatorAPI(hostile, ALICE)


@pytest.fixture
def bob(hostile: Emulator) -> EmulatorAPI:
    """Raw-HTTP helper signing for BOB."""
    return EmulatorAPI(hostile, BOB)


@pytest.fixture(scope="session")
def tiny_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 1 s 320x240 clip: the cheapest real video to convert."""
    from sv_widgets.emulator import make_sample_clip

    path = tmp_path_factory.mktemp("tiny") / "tiny.mp4"
    return make_sample_clip(path, seconds=1.0, width=320, height=240, fps=10)


@pytest.fixture(scope="session")
def converted(hostile: Emulator, tiny_clip: Path) -> dict[str, str]:
    """One converted file per account: ``{"alice": code, "bob": code}``."""
    codes = {}
    for name, key in (("alice", ALICE), ("bob", BOB)):
        api = EmulatorAPI(hostile, key)
        code = api.upload(tiny_clip, "tiny.mp4")
        assert api.convert(code) == {"status": "success", "code": code}
        codes[name] = code
    for name, key in (("alice", ALICE), ("bob", BOB)):
        body = _wait_ready(EmulatorAPI(hostile, key), codes[name])
        assert body["status"] == "success", body
    return codes


def _wait_ready(api: EmulatorAPI, code: str, timeout: float = 120.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        body = api.info(code)
        if body.get("error") != 100030 or time.monotonic() > deadline:
            return body
        time.sleep(0.1)


@pytest.fixture
def uploaded(alice: EmulatorAPI) -> str:
    """A fresh unconverted file of ALICE's."""
    return alice.upload(os.urandom(2048), "blob.bin")


class RawResponse:
    """What :func:`raw_request` got back."""

    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status_code = status
        self.headers = headers
        self.content = body
        self.text = body.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.content)


def raw_request(
    emulator: Emulator, head: bytes, body: bytes = b"", timeout: float = 30, host: bytes = b"x"
) -> Any:
    """Send exactly ``head`` (request line and headers, without the blank line) and ``body``.

    No client library touches the path: ``..``, ``%00`` and backslashes arrive as written.
    The result quacks like a ``requests.Response`` for :func:`expect_error`.
    """
    with socket.create_connection((emulator.host, emulator.port), timeout=timeout) as sock:
        sock.sendall(
            head.rstrip(b"\r\n") + b"\r\nHost: " + host + b"\r\nConnection: close\r\n\r\n" + body
        )
        response = http.client.HTTPResponse(sock)
        response.begin()
        data = response.read()
        headers = {k.lower(): v for k, v in response.getheaders()}
        return RawResponse(response.status, headers, data)


def raw_get(emulator: Emulator, target: bytes | str, extra: bytes = b"") -> Any:
    """``GET target`` with the path sent byte for byte."""
    t = target.encode("utf-8") if isinstance(target, str) else target
    return raw_request(emulator, b"GET " + t + b" HTTP/1.1\r\n" + extra)
