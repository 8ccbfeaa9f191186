"""Hostile request bodies: absurd sizes, broken multipart, hostile file names.

The upload server streams multipart to disk; the API reads small form bodies. Every hostile
body gets a JSON error with the upload error or generic code, nothing outside the data
directory is ever written, half-read uploads leave nothing behind, and the emulator keeps
serving.
"""

from __future__ import annotations

import http.client
import os
import re
import socket
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests

from sv_widgets.emulator import Emulator

from .conftest import assert_alive, expect_error, raw_request, tree

CODE_DIR = re.compile(r"files/[0-9]+-[A-Za-z0-9]{6}(/.*)?")


@pytest.fixture
def ticket(alice: Any) -> dict[str, Any]:
    return dict(alice.initiate())


def _upload_target(t: dict[str, Any]) -> str:
    return f"{t['server']}?ref={t['ref']}&token={quote(t['token'], safe='')}"


def _raw_upload(emu: Emulator, t: dict[str, Any], headers: str, body: bytes) -> Any:
    path = _upload_target(t).split(emu.base_url, 1)[1]
    head = f"POST {path} HTTP/1.1\r\n{headers}".encode()
    return raw_request(emu, head, body)


def _multipart(boundary: str, parts: list[tuple[str, bytes]]) -> bytes:
    out = b""
    for headers, data in parts:
        out += f"--{boundary}\r\n{headers}\r\n\r\n".encode() + data + b"\r\n"
    return out + f"--{boundary}--\r\n".encode()


def _file_part(name: str = "a.mp4", field: str = "file") -> str:
    return f'Content-Disposition: form-data; name="{field}"; filename="{name}"'


def _nothing_leaked(emu: Emulator, root: Path) -> None:
    """Nothing outside the data dir; no temp files left; only code directories under files/."""
    assert emu.data_dir is not None
    outside = {p for p in tree(root) if not p.startswith("data") and p != "canary.txt"}
    assert outside == set(), outside
    deadline = time.monotonic() + 5
    while list((emu.data_dir / "tmp").iterdir()) and time.monotonic() < deadline:
        time.sleep(0.05)  # a refused upload's temp file is removed as its request ends
    assert list((emu.data_dir / "tmp").iterdir()) == []
    strays = {
        p
        for p in tree(emu.data_dir)
        if p not in ("files", "tmp", "canary.txt", "files/canary.txt")
        and not p.startswith("emulator.sqlite3")
        and not CODE_DIR.fullmatch(p)
    }
    assert strays == set(), strays


@pytest.mark.parametrize(
    ("label", "headers", "body", "code"),
    [
        ("multipart without boundary", "Content-Type: multipart/form-data", b"--x--", 10002),
        ("empty boundary", "Content-Type: multipart/form-data; boundary=", b"----", 10002),
        (
            "boundary of 10000 chars",
            "Content-Type: multipart/form-data; boundary=" + "b" * 10_000,
            b"--",
            10002,
        ),
        ("garbage body", "Content-Type: multipart/form-data; boundary=b", b"\x00" * 5000, 10002),
        ("unknown content type", "Content-Type: application/json", b'{"file": "x"}', 10002),
        ("text/plain", "Content-Type: text/plain", b"file=x", 10002),
        (
            "boundary never closed",
            "Content-Type: multipart/form-data; boundary=b",
            b"--b\r\n" + _file_part().encode() + b"\r\n\r\nxyz",
            10000,
        ),
        (
            "part without headers end",
            "Content-Type: multipart/form-data; boundary=b",
            b"--b\r\n" + b"X" * 20000,
            (10000, 10002),
        ),
        (
            "5000 parts",
            "Content-Type: multipart/form-data; boundary=b",
            _multipart("b", [('Content-Disposition: form-data; name="f"', b"1")] * 5000),
            10002,
        ),
        (
            "huge part header",
            "Content-Type: multipart/form-data; boundary=b",
            _multipart("b", [(_file_part() + "; x=" + "y" * 100_000, b"data")]),
            10002,
        ),
        (
            "hundreds of part headers",
            "Content-Type: multipart/form-data; boundary=b",
            _multipart("b", [("\r\n".join(f"X-H{i}: v" for i in range(500)), b"data")]),
            10002,
        ),
        (
            "a form field of 2 MB",
            "Content-Type: multipart/form-data; boundary=b",
            _multipart("b", [('Content-Disposition: form-data; name="remote_file"', b"h" * 2**21)]),
            10002,
        ),
        (
            "urlencoded body of 2 MB",
            "Content-Type: application/x-www-form-urlencoded",
            b"remote_file=" + b"h" * 2**21,
            10002,
        ),
    ],
)
def test_hostile_multipart(
    hostile: Emulator,
    hostile_root: Path,
    ticket: dict[str, Any],
    label: str,
    headers: str,
    body: bytes,
    code: int | tuple[int, ...],
) -> None:
    r = _raw_upload(hostile, ticket, f"{headers}\r\nContent-Length: {len(body)}", body)
    expect_error(r, code)
    _nothing_leaked(hostile, hostile_root)
    assert_alive(hostile)


@pytest.mark.parametrize("length", [str(2**62), str(8 * 1024 * 1024 + 2 * 1024 * 1024)])
def test_absurd_content_length_is_refused_before_reading(
    hostile: Emulator, ticket: dict[str, Any], length: str
) -> None:
    r = _raw_upload(
        hostile,
        ticket,
        f"Content-Type: multipart/form-data; boundary=b\r\nContent-Length: {length}",
        b"--b\r\n",
    )
    expect_error(r, 10006)  # answered, though the body it announced never comes


@pytest.mark.parametrize("length", ["-1", "abc", "1e9", "0x10", "9" * 40])
def test_malformed_content_length_is_refused(
    hostile: Emulator, ticket: dict[str, Any], length: str
) -> None:
    r = _raw_upload(
        hostile,
        ticket,
        f"Content-Type: multipart/form-data; boundary=b\r\nContent-Length: {length}",
        b"",
    )
    # The HTTP layer (h11) refuses a malformed or 40-digit Content-Length with a plain-text
    # 400 before any route runs.
    assert r.status_code == 400, (r.status_code, r.text[:200])
    assert_alive(hostile)


def test_chunked_body_over_the_limit_is_10006_and_leaves_nothing(
    hostile: Emulator, hostile_root: Path, ticket: dict[str, Any]
) -> None:
    def body() -> Any:
        yield b"--b\r\n" + _file_part().encode() + b"\r\n\r\n"
        for _ in range(10 * 16):  # 10 MiB against an 8 MiB limit, no Content-Length
            yield b"z" * 65536
        yield b"\r\n--b--\r\n"

    r = requests.post(
        _upload_target(ticket),
        data=body(),
        headers={"Content-Type": "multipart/form-data; boundary=b"},
        timeout=60,
    )
    expect_error(r, 10006)
    _nothing_leaked(hostile, hostile_root)


@pytest.mark.parametrize(
    "name",
    [
        "../../../../canary-escape.mp4",
        "..%2f..%2fcanary-escape.mp4",
        "..\\..\\..\\canary-escape.mp4",
        "/tmp/canary-escape.mp4",
        "C:\\Windows\\canary-escape.mp4",
        "canary\x00.mp4",
        "../../emulator.sqlite3",
        "..",
        ".",
        "a/b/c/../../../../x.mp4",
        "x" * 5000 + ".mp4",
        "clip.mp4/../../../x",
        "clip.\u00e9\u202e4pm",
        "clip.MP4",
        ".mp4",
        "clip.tar.gz",
        "clip.mp4\r\nX-Header: 1",
    ],
)
def test_hostile_file_names_are_stored_safely(
    hostile: Emulator, hostile_root: Path, alice: Any, name: str
) -> None:
    t = alice.initiate()
    quoted = name.replace("\\", "\\\\").replace('"', '\\"').replace("\r\n", " ")
    body = _multipart("b", [(_file_part(quoted), b"some bytes")])
    r = _raw_upload(
        hostile,
        t,
        f"Content-Type: multipart/form-data; boundary=b\r\nContent-Length: {len(body)}",
        body,
    )
    out = r.json()
    assert out["status"] == "success", out
    assert hostile.data_dir is not None
    stored = list((hostile.data_dir / "files" / out["code"]).iterdir())
    assert len(stored) == 1
    assert re.fullmatch(r"source\.[a-z0-9]{1,10}", stored[0].name), stored
    assert stored[0].read_bytes() == b"some bytes"
    _nothing_leaked(hostile, hostile_root)
    assert not Path("/tmp/canary-escape.mp4").exists()


def test_api_bodies(hostile: Emulator, alice: Any) -> None:
    token = alice.token("files", "delete", codes=["1-abcdef"])
    url = hostile.api_url + "/me/files"
    cases: list[tuple[str, dict[str, Any], int | tuple[int, ...]]] = [
        (
            "urlencoded over 1 MiB",
            {"data": {"_method": "DELETE", "token": token, "pad": "x" * 2**21}},
            1000,
        ),
        (
            "thousands of fields",
            {"data": [("_method", "DELETE"), ("token", token)] + [("f", "1")] * 5000},
            1000,
        ),
        (
            "a file part on the API",
            {
                "data": {"_method": "DELETE", "token": token},
                "files": {"file": ("a.mp4", b"x")},
            },
            1000,
        ),
        (
            "multipart without boundary",
            {
                "data": b"--x--",
                "headers": {"Content-Type": "multipart/form-data"},
                "params": {"token": token},
            },
            (1000, 401),
        ),
    ]
    for label, kwargs, code in cases:
        r = requests.post(url, timeout=30, **kwargs)
        try:
            expect_error(r, code)
        except AssertionError as exc:
            raise AssertionError(f"{label}: {exc}") from None
    assert_alive(hostile)


# ---------------------------------------------------------------------------- races and floods
def _together(n: int, call: Any) -> list[Any]:
    """Run ``call(i)`` from ``n`` threads released at the same moment; return the results."""
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def run(i: int) -> None:
        barrier.wait(10)
        results[i] = call(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
        assert not t.is_alive()
    return results


def test_one_ticket_racing_eight_uploads_makes_one_file(
    hostile: Emulator, hostile_root: Path, alice: Any
) -> None:
    t = alice.initiate()

    def post(i: int) -> dict[str, Any]:
        return dict(
            requests.post(
                t["server"],
                params={"ref": t["ref"], "token": t["token"]},
                files={"file": ("race.mp4", os.urandom(300_000))},
                timeout=60,
            ).json()
        )

    results = _together(8, post)
    winners = [r for r in results if r["status"] == "success"]
    assert len(winners) == 1, results
    assert all(r["error"] == 10000 for r in results if r["status"] != "success"), results
    listing = alice.call("GET", "me/files", "files", "get").json()
    assert winners[0]["code"] in listing["codes"] or listing["nextPageUrl"]
    _nothing_leaked(hostile, hostile_root)


def test_racing_conversion_requests_convert_once(alice: Any, uploaded: str) -> None:
    results = _together(8, lambda i: alice.convert(uploaded))
    assert sum(r["status"] == "success" for r in results) == 1, results
    assert all(r["error"] == 100031 for r in results if r["status"] != "success"), results


def test_racing_delete_and_convert(alice: Any, uploaded: str) -> None:
    def either(i: int) -> dict[str, Any]:
        if i % 2:
            return dict(alice.convert(uploaded))
        r = alice.call("DELETE", "me/files", "files", "delete", codes=[uploaded])
        return dict(r.json())

    results = _together(6, either)
    assert all(r["status"] == "success" or r["error"] in (404, 100031) for r in results), results
    assert alice.info(uploaded)["error"] == 404  # some delete won, and it stuck


@pytest.mark.parametrize(
    "ref", ["", "x", "../../x", "%00", "1" * 5000, "' OR 1=1 --", "\u202e", "[]"]
)
def test_progress_with_hostile_refs_is_a_number(hostile: Emulator, ref: str) -> None:
    r = requests.get(hostile.upload_url + "/progress", params={"ref": ref}, timeout=10)
    assert r.status_code == 200
    assert r.text == "0"


def test_header_flood_and_many_connections_leave_it_serving(hostile: Emulator) -> None:
    flood = "".join(f"X-Flood-{i}: {'v' * 8000}\r\n" for i in range(200)).encode()
    try:
        r = raw_request(hostile, b"GET /api/v1/me/files HTTP/1.1\r\n" + flood)
        assert r.status_code < 500, r.status_code  # h11 may even accept it: 401, no token
    except (ConnectionError, http.client.HTTPException):
        pass  # closing the connection on a 1.6 MB header block is a refusal too
    idle = []
    try:
        for _ in range(200):
            idle.append(socket.create_connection((hostile.host, hostile.port), timeout=10))
        for s in idle[:50]:
            s.sendall(b"GET /api/v1/me/files HTTP/1.1\r\nHost: x\r\n")  # never finished
        assert_alive(hostile)
    finally:
        for s in idle:
            s.close()
    assert_alive(hostile)
