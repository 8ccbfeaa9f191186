"""``kill -9`` of a subprocess emulator at hostile moments; restart on the same data directory.

``tests/emulator/test_durability.py`` covers one kill mid-upload and one mid-conversion. This
module covers what it does not: kills at seeded random moments under concurrent uploads
(repeated, on the same data directory), a kill mid-delete (all or nothing survives), a kill
with a queue of conversions and a second kill while they resume, a kill mid remote fetch,
and the database's integrity after each kill. Invariants checked after every restart:

- every acknowledged upload is listed with exactly the bytes sent;
- every listed file is whole (its bytes are one of the payloads sent: no half files);
- ``files/`` holds exactly the listed codes and ``tmp/`` is empty;
- no conversion stays in progress forever.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import random
import sqlite3
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.helpers.process import WireEmulator

PUBLIC, PRIVATE = "crash-public", "crash-private-5e1f"

pytestmark = pytest.mark.slow


Proc = WireEmulator


@pytest.fixture
def launch() -> Iterator[Any]:
    procs: list[Proc] = []

    def start(data_dir: Path, *extra: str) -> Proc:
        p = Proc(data_dir, *extra, public=PUBLIC, private=PRIVATE)
        procs.append(p)
        return p

    yield start
    for p in procs:
        p.stop()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check_invariants(emu: Proc, acked: dict[str, str], sent: set[str]) -> list[str]:
    """The invariants of the module docstring; returns the listing."""
    listing = emu.listing()
    assert len(listing) == len(set(listing))
    missing = set(acked) - set(listing)
    assert not missing, f"acknowledged uploads lost: {missing}"
    on_disk = {p.name for p in (emu.data_dir / "files").iterdir()}
    assert on_disk == set(listing), on_disk ^ set(listing)
    for code in listing:
        sources = list((emu.data_dir / "files" / code).glob("source.*"))
        assert len(sources) == 1, (code, sources)
        digest = sha(sources[0].read_bytes())
        assert digest in sent, f"{code} holds bytes nobody sent (a half file)"
        if code in acked:
            assert digest == acked[code], f"{code} changed"
    assert list((emu.data_dir / "tmp").iterdir()) == []
    db = sqlite3.connect(f"file:{emu.data_dir / 'emulator.sqlite3'}?mode=ro", uri=True)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        db.close()
    return listing


def test_kill_9_at_random_moments_under_concurrent_uploads(tmp_path: Path, launch: Any) -> None:
    rng = random.Random(8)
    acked: dict[str, str] = {}
    sent: set[str] = set()
    lock = threading.Lock()
    for round_ in range(3):
        emu = launch(tmp_path)
        check_invariants(emu, acked, sent)
        stop = threading.Event()

        def uploader(seed: int, emu: Proc = emu, stop: threading.Event = stop) -> None:
            local = random.Random(seed)
            for _ in range(500):
                if stop.is_set():
                    return
                data = local.randbytes(local.choice([1, 1000, 200_000, 3_000_000]))
                with lock:
                    sent.add(sha(data))
                try:
                    code = emu.upload(data, local.choice(["a.mp4", "b.MOV", "../c.webm"]))
                except (requests.RequestException, ValueError, AssertionError):
                    return  # the server died under us: this one was never acknowledged
                with lock:
                    acked[code] = sha(data)

        threads = [threading.Thread(target=uploader, args=(100 * round_ + i,)) for i in range(4)]
        for t in threads:
            t.start()
        time.sleep(rng.uniform(0.3, 1.5))
        emu.kill9()
        stop.set()
        for t in threads:
            t.join(60)
            assert not t.is_alive()
    emu = launch(tmp_path)
    listing = check_invariants(emu, acked, sent)
    assert len(acked) >= 3, "the kills came too early to test anything"
    assert listing


def test_kill_9_mid_delete_is_all_or_nothing(tmp_path: Path, launch: Any) -> None:
    emu = launch(tmp_path)
    acked: dict[str, str] = {}
    sent: set[str] = set()
    for i in range(40):
        data = os.urandom(50_000) + bytes([i])
        sent.add(sha(data))
        acked[emu.upload(data)] = sha(data)
    for delay in (0.0, 0.005, 0.02, 0.05):
        codes = sorted(acked)
        result: dict[str, Any] = {}

        def delete(
            emu: Proc = emu, codes: list[str] = codes, result: dict[str, Any] = result
        ) -> None:
            try:
                token = emu.token("files", "delete", codes=codes)
                r = requests.post(
                    f"{emu.api}/me/files", data={"_method": "DELETE", "token": token}, timeout=30
                )
                result["body"] = r.json()
            except (requests.RequestException, ValueError) as exc:
                result["error"] = exc

        worker = threading.Thread(target=delete)
        worker.start()
        time.sleep(delay)
        emu.kill9()
        worker.join(60)
        emu = launch(tmp_path)
        listing = set(emu.listing())
        if result.get("body", {}).get("status") == "success":
            assert not listing & set(codes), "an acknowledged delete came back"
            acked = {}
        assert listing in (set(), set(codes)), "a delete was half done"
        acked = {c: acked[c] for c in listing}
        check_invariants(emu, acked, sent)
        if not acked:
            for i in range(40):
                data = os.urandom(50_000) + bytes([i])
                sent.add(sha(data))
                acked[emu.upload(data)] = sha(data)


def _wait_settled(emu: Proc, codes: list[str], timeout: float) -> dict[str, dict[str, Any]]:
    deadline = time.monotonic() + timeout
    bodies: dict[str, dict[str, Any]] = {}
    while time.monotonic() < deadline:
        bodies = {c: emu.get("me/file", "file", "get", file_code=c) for c in codes}
        if all(b.get("error") != 100030 for b in bodies.values()):
            return bodies
        time.sleep(0.25)
    raise AssertionError(f"conversions stuck: {bodies}")


def _wait_converting(emu: Proc, codes: list[str], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for c in codes:
            body = emu.get("me/file", "file", "get", file_code=c)
            if body.get("error") == 100030 and "in progress" in str(body.get("message")):
                return
        time.sleep(0.02)
    raise AssertionError("no conversion started")


def test_kill_9_twice_with_a_queue_of_conversions(
    tmp_path: Path, launch: Any, sample_clip: Path
) -> None:
    emu = launch(tmp_path, "--workers", "1")
    clip = sample_clip.read_bytes()
    codes = [emu.upload(clip) for _ in range(3)]
    junk = emu.upload(b"this is not a video" * 100, "junk.mp4")
    for c in [*codes, junk]:
        assert emu.get("upload/conversion/initiate", "upload", "convert", file_code=c) == {
            "status": "success",
            "code": c,
        }
    _wait_converting(emu, codes)
    emu.kill9()
    emu = launch(tmp_path, "--workers", "1")
    _wait_converting(emu, [*codes, junk])
    deadline = time.monotonic() + 30
    while not (debris := {p.name for p in (tmp_path / "tmp").iterdir()}):
        assert time.monotonic() < deadline, "no conversion work directory to leave behind"
        time.sleep(0.01)
    emu.kill9()

    emu = launch(tmp_path, "--workers", "1")
    # The debris of the killed run was swept (the resumed conversion makes a new one).
    assert debris.isdisjoint(p.name for p in (tmp_path / "tmp").iterdir())
    bodies = _wait_settled(emu, [*codes, junk], timeout=240)
    assert list((tmp_path / "tmp").iterdir()) == []
    assert bodies[junk]["error"] == 10001, bodies[junk]
    for c in codes:
        body = bodies[c]
        assert body["status"] == "success", body
        for rendition in body["streams"]["mp4"]:
            r = requests.get(rendition["file"], timeout=30)
            assert r.status_code == 200
            assert len(r.content) > 1000
        # No leftovers of an interrupted attempt beside the published outputs.
        assert {p.name for p in (tmp_path / "files" / c).iterdir()} <= {"source.mp4", "out"}
    for c in [*codes, junk]:
        assert (
            emu.get("upload/conversion/initiate", "upload", "convert", file_code=c)["error"]
            == 100031
        )


class _Drip(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(100 * 65536))
        self.end_headers()
        try:
            for _ in range(100):  # ~6.5 MB over ~10 s
                self.wfile.write(b"\x01" * 65536)
                time.sleep(0.1)
        except OSError:
            pass


def test_kill_9_mid_remote_fetch(tmp_path: Path, launch: Any) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Drip)
    server.daemon_threads = True
    serving = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    serving.start()
    try:
        emu = launch(tmp_path)
        t = emu.ticket()
        url = f"http://127.0.0.1:{server.server_address[1]}/clip.mp4"

        def post() -> None:
            with contextlib.suppress(requests.RequestException):
                requests.post(
                    t["server"],
                    params={"ref": t["ref"], "token": t["token"]},
                    data={"remote_file": url},
                    timeout=60,
                )

        worker = threading.Thread(target=post)
        worker.start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            progress = requests.get(f"{t['server']}/progress", params={"ref": t["ref"]}, timeout=10)
            if 0 < float(progress.text) < 100:
                break
            time.sleep(0.05)
        else:
            raise AssertionError("the remote fetch never made progress")
        assert list((tmp_path / "tmp").iterdir()), "the fetch never reached the disk"
        emu.kill9()
        worker.join(60)

        emu = launch(tmp_path)
        assert check_invariants(emu, {}, set()) == []
        server_url = emu.base + "/fileservers/upload"
        again = requests.post(
            server_url,
            params={"ref": t["ref"], "token": t["token"]},
            files={"file": ("a.mp4", b"retry")},
            timeout=30,
        ).json()
        assert again["status"] == "success", again  # the interrupted ticket was not spent
    finally:
        server.shutdown()
        server.server_close()
        serving.join(10)
