"""Crash safety: ``kill -9`` the emulator process mid-upload and mid-conversion, restart it on
the same data directory, and check nothing acknowledged was lost and nothing half-done shows."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
import requests

from tests.helpers.process import WireEmulator

PUBLIC, PRIVATE = "crash", "crash-secret"

pytestmark = pytest.mark.slow


Proc = WireEmulator


@pytest.fixture
def launch(tmp_path: Path) -> Iterator[type[Proc]]:
    procs: list[Proc] = []

    class Tracked(Proc):
        def __init__(self, data_dir: Path) -> None:
            super().__init__(data_dir, public=PUBLIC, private=PRIVATE)
            procs.append(self)

    yield Tracked
    for p in procs:
        p.stop()


def test_kill_9_mid_upload_loses_nothing_acknowledged(tmp_path: Path, launch: type[Proc]) -> None:
    emu = launch(tmp_path)
    payload = os.urandom(3_000_000)
    kept = emu.upload(payload, "kept.mov")
    t = emu.ticket()
    url = urlsplit(t["server"])
    head = b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.mp4"\r\n\r\n'
    with socket.create_connection((url.hostname, url.port)) as s:
        s.sendall(
            f"POST {url.path}?ref={t['ref']}&token={quote(t['token'], safe='')} HTTP/1.1\r\n"
            f"Host: x\r\nContent-Type: multipart/form-data; boundary=b\r\n"
            f"Content-Length: 50000000\r\n\r\n".encode()
            + head
            + b"z" * 20_000_000
        )
        deadline = time.monotonic() + 10
        while not list((tmp_path / "tmp").iterdir()) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert list((tmp_path / "tmp").iterdir()), "the upload never reached the disk"
        emu.kill9()

    emu = launch(tmp_path)
    listing = emu.get("me/files", "files", "get")
    assert listing["codes"] == [kept]
    assert (tmp_path / "files" / kept / "source.mov").read_bytes() == payload
    assert list((tmp_path / "tmp").iterdir()) == []
    assert [p.name for p in (tmp_path / "files").iterdir()] == [kept]
    # The interrupted ticket was never spent: the upload can be retried with it.
    server = emu.api.replace("/api/v1", "/fileservers/upload")  # a new port after restart
    r = requests.post(
        server,
        params={"ref": t["ref"], "token": t["token"]},
        files={"file": ("a.mp4", b"retry")},
        timeout=30,
    )
    assert r.json()["status"] == "success"


def test_kill_9_mid_conversion_resumes(
    tmp_path: Path, launch: type[Proc], sample_clip: Path
) -> None:
    emu = launch(tmp_path)
    code = emu.upload(sample_clip.read_bytes())
    assert emu.get("upload/conversion/initiate", "upload", "convert", file_code=code) == {
        "status": "success",
        "code": code,
    }
    deadline = time.monotonic() + 60
    while not (half := list((tmp_path / "tmp").glob(f"convert-{code}-*"))):
        assert time.monotonic() < deadline, "the conversion never started"
        time.sleep(0.005)
    body = emu.get("me/file", "file", "get", file_code=code)
    assert body["error"] == 100030
    assert "in progress" in str(body["message"])
    emu.kill9()

    emu = launch(tmp_path)
    assert not any(p.exists() for p in half)  # the half-written output was swept
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        body = emu.get("me/file", "file", "get", file_code=code)
        if body.get("error") != 100030:
            break
        time.sleep(0.25)
    assert body["status"] == "success", body
    streams = body["streams"]
    assert isinstance(streams, dict)
    for rendition in streams["mp4"]:
        assert requests.get(rendition["file"], timeout=30).status_code == 200
    assert (
        emu.get("upload/conversion/initiate", "upload", "convert", file_code=code)["error"]
        == 100031
    )
