"""Cross-origin uploads and media: the upload server lets a page on another origin POST
multipart with XHR upload progress, as the operator's own plugin does from any site, and the
media route lets a page's HLS or DASH player fetch playlists and segments (nothing else is
shared); and a body cut off mid-upload stores nothing and leaves no temp file."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from sv_widgets.emulator import Emulator
from tests.helpers.api import EmulatorAPI

ORIGIN = "https://some-wordpress-site.example"


pytestmark = pytest.mark.sv_emulator(accounts={"me": "my-key"}, conversions="fast")


def _preflight(url: str, method: str = "POST") -> requests.Response:
    return requests.options(
        url,
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "content-type,x-requested-with",
        },
        timeout=30,
    )


@pytest.mark.parametrize(("route", "method"), [("", "POST"), ("/progress", "GET")])
def test_upload_routes_answer_the_preflight(emu: Emulator, route: str, method: str) -> None:
    reply = _preflight(emu.upload_url + route, method)
    assert reply.status_code == 204
    assert reply.headers["access-control-allow-origin"] == "*"
    assert method in reply.headers["access-control-allow-methods"]
    allowed = reply.headers["access-control-allow-headers"].lower()
    assert "content-type" in allowed
    assert "x-requested-with" in allowed
    assert int(reply.headers["access-control-max-age"]) > 0


def test_uploads_and_their_errors_are_shareable(emu: Emulator) -> None:
    api = EmulatorAPI(emu, "me")
    ticket = api.initiate()
    ok = requests.post(
        ticket["server"],
        params={"ref": ticket["ref"], "token": ticket["token"]},
        files={"file": ("clip.mp4", b"bytes")},
        headers={"Origin": ORIGIN},
        timeout=30,
    )
    assert ok.json()["status"] == "success"
    assert ok.headers["access-control-allow-origin"] == "*"
    refused = requests.post(
        emu.upload_url, params={"ref": "x", "token": "y"}, headers={"Origin": ORIGIN}, timeout=30
    )
    assert refused.json()["error"] == 401
    assert refused.headers["access-control-allow-origin"] == "*"
    progress = requests.get(
        f"{emu.upload_url}/progress",
        params={"ref": ticket["ref"]},
        headers={"Origin": ORIGIN},
        timeout=30,
    )
    assert progress.text == "100"
    assert progress.headers["access-control-allow-origin"] == "*"


def test_nothing_else_sends_cors_headers(emu: Emulator) -> None:
    api = EmulatorAPI(emu, "me")
    code = api.upload(b"bytes")
    api.convert(code)
    info = api.wait_ready(code)
    urls = [
        f"{emu.api_url}/me/files?token={api.token('files', 'get')}",
        f"{emu.thumbnail_url}/{code}/json/list",
        info["thumbnail"],
        f"{emu.base_url}/_emulator/faults",
    ]
    for url in urls:
        reply = requests.get(url, headers={"Origin": ORIGIN}, timeout=30)
        assert reply.status_code == 200, url
        assert not [h for h in reply.headers if h.lower().startswith("access-control-")], url
    for url in (f"{emu.api_url}/me/files", info["thumbnail"]):
        preflight = _preflight(url, "GET")
        assert preflight.status_code >= 400
        assert "access-control-allow-origin" not in preflight.headers


def test_media_is_shareable_with_ranges(emu: Emulator) -> None:
    """An HLS/DASH player in a page fetches playlists and segments, ranges included."""
    api = EmulatorAPI(emu, "me")
    code = api.upload(b"bytes")
    api.convert(code)
    streams = api.wait_ready(code)["streams"]
    for url in (streams["hls"]["file"], streams["mpd"]["file"], streams["mp4"][0]["file"]):
        whole = requests.get(url, headers={"Origin": ORIGIN}, timeout=30)
        assert whole.status_code == 200, url
        assert whole.headers["access-control-allow-origin"] == "*"
        part = requests.get(url, headers={"Origin": ORIGIN, "Range": "bytes=0-9"}, timeout=30)
        assert part.status_code == 206, url
        assert part.headers["access-control-allow-origin"] == "*"
        exposed = part.headers["access-control-expose-headers"].lower()
        assert "content-range" in exposed
        assert "content-length" in exposed
        preflight = requests.options(
            url,
            headers={
                "Origin": ORIGIN,
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "range",
            },
            timeout=30,
        )
        assert preflight.status_code == 204, url
        assert preflight.headers["access-control-allow-origin"] == "*"
        assert "GET" in preflight.headers["access-control-allow-methods"]
        assert "range" in preflight.headers["access-control-allow-headers"].lower()
    missing = requests.get(
        f"{emu.base_url}/media/{code}/nope.m3u8", headers={"Origin": ORIGIN}, timeout=30
    )
    assert missing.status_code == 404
    assert missing.headers["access-control-allow-origin"] == "*"  # the player can read why


@pytest.mark.sv_emulator(cors=False)
def test_cors_off_refuses_cross_origin_uploads(emu: Emulator) -> None:
    preflight = _preflight(emu.upload_url)
    assert preflight.status_code >= 400
    assert "access-control-allow-origin" not in preflight.headers
    api = EmulatorAPI(emu, "me")
    ticket = api.initiate()
    reply = requests.post(
        ticket["server"],
        params={"ref": ticket["ref"], "token": ticket["token"]},
        files={"file": ("clip.mp4", b"bytes")},
        headers={"Origin": ORIGIN},
        timeout=30,
    )
    assert reply.json()["status"] == "success"  # curl and servers are not browsers
    assert "access-control-allow-origin" not in reply.headers


def _wait(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def test_a_cut_off_upload_stores_nothing_and_leaves_no_temp_file(emu: Emulator) -> None:
    api = EmulatorAPI(emu, "me")
    ticket = api.initiate()
    assert emu.data_dir is not None
    tmp = Path(emu.data_dir) / "tmp"
    before = api.call("GET", "me/files", "files", "get").json()["codes"]
    boundary = "cutcutcut"
    head = (
        f"--{boundary}\r\n"
        'Content-Disposition: form-data; name="file"; filename="big.mp4"\r\n'
        "Content-Type: video/mp4\r\n\r\n"
    ).encode()
    declared = 64 * 1024 * 1024
    target = (
        f"/fileservers/upload?ref={ticket['ref']}&token={requests.utils.quote(ticket['token'])}"
    )
    request = (
        f"POST {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: {ORIGIN}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {declared}\r\n\r\n"
    ).encode()
    port = int(emu.base_url.rsplit(":", 1)[1])
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(request + head)
        chunk = b"\0" * (1024 * 1024)
        for _ in range(6):  # more than one 4 MiB batch, so the temp file is being written
            sock.sendall(chunk)
        _wait(
            lambda: any(p.name.startswith("upload-") and p.stat().st_size for p in tmp.iterdir()),
            "the partial upload to reach the disk",
        )
    # the client hung up after 6 of 64 MiB
    _wait(lambda: not any(tmp.iterdir()), "the partial upload to be removed")
    assert api.call("GET", "me/files", "files", "get").json()["codes"] == before
    progress = requests.get(f"{emu.upload_url}/progress", params={"ref": ticket["ref"]}, timeout=30)
    assert progress.text != "100"
