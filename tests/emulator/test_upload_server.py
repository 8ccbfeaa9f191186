"""The upload server: tickets, request shapes, limits, cut-off bodies, remote files, progress."""

from __future__ import annotations

import http.server
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from sv_widgets.emulator import Emulator
from tests.helpers.api import PUBLIC_KEY, EmulatorAPI


def _post(ticket: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    r = requests.post(ticket["server"], timeout=30, **kwargs)
    assert r.headers["content-type"].startswith("application/json")
    assert r.status_code < 500
    return dict(r.json())


def _stored(emulator: Emulator, code: str) -> bytes:
    assert emulator.data_dir is not None
    (source,) = (emulator.data_dir / "files" / code).glob("source.*")
    return source.read_bytes()


def test_token_and_ref_in_query_only(api: EmulatorAPI, emulator: Emulator) -> None:
    t = api.initiate()
    payload = bytes(range(256)) * 1000
    body = _post(
        t, params={"ref": t["ref"], "token": t["token"]}, files={"file": ("My Clip.MOV", payload)}
    )
    assert body["status"] == "success"
    assert _stored(emulator, body["code"]) == payload
    assert emulator.data_dir is not None
    assert (emulator.data_dir / "files" / body["code"] / "source.mov").exists()


def test_token_and_ref_in_form_only_after_the_file(api: EmulatorAPI) -> None:
    t = api.initiate()
    # requests writes data fields first; build the body by hand to put them last.
    boundary = "XyZ"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.mp4"\r\n'
            f"Content-Type: video/mp4\r\n\r\n"
        ).encode()
        + b"\x00\x01payload\r\n--X"
        + (
            f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="ref"\r\n\r\n{t["ref"]}'
            f'\r\n--{boundary}\r\nContent-Disposition: form-data; name="token"\r\n\r\n{t["token"]}'
            f"\r\n--{boundary}--\r\n"
        ).encode()
    )
    out = _post(t, data=body, headers={"content-type": f"multipart/form-data; boundary={boundary}"})
    assert out["status"] == "success"
    assert _stored(api.emulator, out["code"]) == b"\x00\x01payload\r\n--X"


def test_form_fields_override_query(api: EmulatorAPI) -> None:
    t = api.initiate()
    out = _post(
        t,
        params={"ref": "wrong", "token": "junk"},
        data={"ref": t["ref"], "token": t["token"]},
        files={"file": ("a.mp4", b"x")},
    )
    assert out["status"] == "success"


def test_ticket_is_spent_by_one_upload(api: EmulatorAPI) -> None:
    t = api.initiate()
    q = {"ref": t["ref"], "token": t["token"]}
    assert _post(t, params=q, files={"file": ("a.mp4", b"1")})["status"] == "success"
    again = _post(t, params=q, files={"file": ("a.mp4", b"2")})
    assert again["error"] == 10000
    assert "already used" in again["message"]


def test_ticket_is_tied_to_its_ref(api: EmulatorAPI) -> None:
    t1, t2 = api.initiate(), api.initiate()
    out = _post(
        t1, params={"ref": t2["ref"], "token": t1["token"]}, files={"file": ("a.mp4", b"1")}
    )
    assert out["error"] == 10000
    out = _post(t1, params={"token": t1["token"]}, files={"file": ("a.mp4", b"1")})
    assert out["error"] == 10000


def test_upload_ticket_expires(
    api: EmulatorAPI, signed: Any, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ticket outlives nothing of its token: once the token's time is up, the upload is
    refused. The service's clock is moved on rather than waited for, so a busy machine
    cannot make the token expire before the initiation (or not by the upload)."""
    token = signed("upload", "initiate", expires_in=30)
    t = requests.get(
        f"{emulator.api_url}/upload/initiate", params={"token": token}, timeout=10
    ).json()
    service = emulator._running_service()
    monkeypatch.setattr(service, "clock", lambda: time.time() + 120)
    out = _post(t, params={"ref": t["ref"], "token": t["token"]}, files={"file": ("a", b"1")})
    assert out["error"] == 401
    assert "expired" in out["message"]


def test_an_api_token_is_not_an_upload_token(api: EmulatorAPI, signed: Any) -> None:
    t = api.initiate()
    out = _post(
        t,
        params={"ref": t["ref"], "token": signed("upload", "initiate")},
        files={"file": ("a", b"1")},
    )
    assert out["error"] == 401


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({}, 10000),
        ({"files": {"file": ("", b"")}}, 10000),  # an empty file input, as browsers send
        ({"files": {"file": ("a.mp4", b"")}}, 10002),
        ({"files": {"file": ("a.mp4", b"x")}, "data": {"remote_file": "http://x/y"}}, 10002),
        ({"data": {"remote_file": "file:///etc/passwd"}}, 10002),
        ({"data": {"remote_file": "gopher://127.0.0.1/"}}, 10002),
        ({"files": {"other": ("a.mp4", b"x")}}, 10000),
    ],
)
def test_bad_upload_requests(api: EmulatorAPI, kwargs: dict[str, Any], code: int) -> None:
    t = api.initiate()
    out = _post(t, params={"ref": t["ref"], "token": t["token"]}, **kwargs)
    assert out["error"] == code, out


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("multipart/form-data", b"--x\r\n"),
        ("multipart/form-data; boundary=", b""),
        ("text/plain", b"hello"),
        ("multipart/form-data; boundary=b", b"garbage without any boundary line"),
        (
            "multipart/form-data; boundary=b",
            b'--b\r\nContent-Disposition: form-data; name="file"; filename="a"\r\nX-'
            + b"h" * 20000
            + b": 1\r\n\r\nx\r\n--b--\r\n",
        ),
        (
            "multipart/form-data; boundary=b",
            b"".join(
                b'--b\r\nContent-Disposition: form-data; name="f%d"\r\n\r\nv\r\n' % i
                for i in range(2000)
            )
            + b"--b--\r\n",
        ),
    ],
)
def test_hostile_multipart_is_10002(api: EmulatorAPI, content_type: str, body: bytes) -> None:
    t = api.initiate()
    out = _post(
        t,
        params={"ref": t["ref"], "token": t["token"]},
        data=body,
        headers={"content-type": content_type},
    )
    assert out["error"] in (10000, 10002), out


def test_traversal_in_file_name_stays_inside(api: EmulatorAPI, emulator: Emulator) -> None:
    t = api.initiate()
    out = _post(
        t,
        params={"ref": t["ref"], "token": t["token"]},
        files={"file": ("../../../../tmp/evil.sh", b"x")},
    )
    assert out["status"] == "success"
    assert emulator.data_dir is not None
    assert (emulator.data_dir / "files" / out["code"] / "source.sh").exists()


@pytest.mark.sv_emulator(max_upload_bytes=1000, accounts={PUBLIC_KEY: "k"})
def test_size_limit_is_10006(sv_emulator: Emulator) -> None:
    api = EmulatorAPI(sv_emulator)
    t = api.initiate()
    q = {"ref": t["ref"], "token": t["token"]}
    r = requests.post(t["server"], params=q, files={"file": ("a", b"x" * 5_000_000)}, timeout=30)
    assert r.status_code == 413
    assert r.json()["error"] == 10006

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit applies while streaming
        yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\n'
        for _ in range(20):
            yield b"y" * 100
        yield b"\r\n--b--\r\n"

    r = requests.post(
        t["server"],
        params=q,
        data=chunks(),
        headers={"content-type": "multipart/form-data; boundary=b"},
        timeout=30,
    )
    assert r.json()["error"] == 10006
    assert sv_emulator.data_dir is not None
    assert list((sv_emulator.data_dir / "tmp").iterdir()) == []
    assert _post(t, params=q, files={"file": ("a", b"z" * 999)})["status"] == "success"


def test_cut_off_body_leaves_nothing(api: EmulatorAPI, emulator: Emulator) -> None:
    t = api.initiate()
    assert emulator.data_dir is not None
    before = set((emulator.data_dir / "files").iterdir())
    path = f"/fileservers/upload?ref={t['ref']}&token={requests.utils.quote(t['token'], safe='')}"
    head = b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.mp4"\r\n\r\n'
    with socket.create_connection(("127.0.0.1", emulator.port)) as s:
        s.sendall(
            f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\n"
            f"Content-Length: 10000000\r\n\r\n".encode()
            + head
            + b"q" * 6_000_000
        )
        tmp = emulator.data_dir / "tmp"
        deadline = time.monotonic() + 10
        while not list(tmp.iterdir()) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert list(tmp.iterdir()), "the server never began to store the body"
    deadline = time.monotonic() + 10
    while list((emulator.data_dir / "tmp").iterdir()) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert list((emulator.data_dir / "tmp").iterdir()) == []
    assert set((emulator.data_dir / "files").iterdir()) == before
    # The ticket was not spent: the full upload can still go through with it.
    out = _post(t, params={"ref": t["ref"], "token": t["token"]}, files={"file": ("a", b"ok")})
    assert out["status"] == "success"


def test_progress_of_local_upload(api: EmulatorAPI) -> None:
    t = api.initiate()
    progress = f"{t['server']}/progress"
    assert requests.get(progress, params={"ref": t["ref"]}, timeout=10).text == "0"
    assert requests.get(progress, params={"ref": "unknown"}, timeout=10).text == "0"
    _post(t, params={"ref": t["ref"], "token": t["token"]}, files={"file": ("a", b"x" * 10)})
    r = requests.get(progress, params={"ref": t["ref"]}, timeout=10)
    assert r.text == "100"
    assert r.headers["content-type"].startswith("text/plain")


class _Files(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def file_server(tmp_path: Path) -> Iterator[str]:
    (tmp_path / "clip.webm").write_bytes(b"W" * 3_000_000)

    def handler(*a: Any, **k: Any) -> _Files:
        return _Files(*a, directory=str(tmp_path), **k)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_remote_upload(api: EmulatorAPI, emulator: Emulator, file_server: str) -> None:
    t = api.initiate()
    out = _post(
        t,
        params={"ref": t["ref"], "token": t["token"]},
        data={"remote_file": f"{file_server}/clip.webm"},
    )
    assert out["status"] == "success", out
    assert _stored(emulator, out["code"]) == b"W" * 3_000_000
    assert emulator.data_dir is not None
    assert (emulator.data_dir / "files" / out["code"] / "source.webm").exists()
    r = requests.get(f"{t['server']}/progress", params={"ref": t["ref"]}, timeout=10)
    assert r.text == "100"


def test_remote_upload_failures(api: EmulatorAPI, file_server: str) -> None:
    t = api.initiate()
    q = {"ref": t["ref"], "token": t["token"]}
    out = _post(t, params=q, data={"remote_file": f"{file_server}/missing.mp4"})
    assert out["error"] == 10001
    assert "404" in out["message"]
    out = _post(t, params=q, data={"remote_file": "http://169.254.169.254/latest/meta-data"})
    assert out["error"] == 10001
    out = _post(t, params=q, data={"remote_file": "http://10.1.2.3/x.mp4"})
    assert out["error"] == 10001
    out = _post(t, params=q, data={"remote_file": f"{file_server}/clip.webm"})
    assert out["status"] == "success"  # failures did not spend the ticket


def test_body_without_closing_boundary_is_refused(api: EmulatorAPI, emulator: Emulator) -> None:
    t = api.initiate()
    body = b'--b\r\nContent-Disposition: form-data; name="file"; filename="a.mp4"\r\n\r\nhalf'
    out = _post(
        t,
        params={"ref": t["ref"], "token": t["token"]},
        data=body,
        headers={"content-type": "multipart/form-data; boundary=b"},
    )
    assert out["error"] == 10000
    assert emulator.data_dir is not None
    assert list((emulator.data_dir / "tmp").iterdir()) == []


class _Trickle(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "video/mp4")
        self.send_header("Content-Length", str(20 * 100_000))
        self.end_headers()
        for _ in range(20):
            self.wfile.write(b"T" * 100_000)
            self.wfile.flush()
            time.sleep(0.075)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_remote_upload_progress_is_polled_while_the_post_blocks(api: EmulatorAPI) -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Trickle)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        t = api.initiate()
        result: dict[str, Any] = {}

        def post() -> None:
            url = f"http://127.0.0.1:{server.server_address[1]}/slow.mp4"
            result.update(_post(t, data={"ref": t["ref"], "token": t["token"], "remote_file": url}))

        poster = threading.Thread(target=post)
        poster.start()
        seen = []
        while poster.is_alive():
            r = requests.get(f"{t['server']}/progress", params={"ref": t["ref"]}, timeout=10)
            seen.append(int(r.text))
            time.sleep(0.05)
        poster.join()
    finally:
        server.shutdown()
        server.server_close()
    assert result["status"] == "success", result
    assert any(0 < v < 100 for v in seen), seen
    assert seen == sorted(seen)
    r = requests.get(f"{t['server']}/progress", params={"ref": t["ref"]}, timeout=10)
    assert r.text == "100"
