"""Streams as players fetch them: relative URLs in playlists and manifests (so they play
through a path-rewriting proxy such as jupyter-server-proxy), HTTP Range on every media
route, and the right media type for every kind of file."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urljoin
from xml.etree import ElementTree

import pytest
import requests

from sv_widgets.emulator import Emulator
from tests.helpers.api import EmulatorAPI

MPD_NS = {"m": "urn:mpeg:dash:schema:mpd:2011"}


pytestmark = pytest.mark.sv_emulator(accounts={"me": "my-key"}, conversions="fast")


@pytest.fixture
def info(emu: Emulator) -> dict[str, Any]:
    """A converted file's ``/me/file`` answer (the emulator is reset before every test)."""
    api = EmulatorAPI(emu, "me")
    code = api.upload(b"anything")
    api.convert(code)
    body = api.wait_ready(code)
    assert body["status"] == "success", body
    return body


class _PrefixProxy(BaseHTTPRequestHandler):
    """``/user/me/proxy/{port}/...`` -> ``{target}/...``, as jupyter-server-proxy rewrites."""

    target = ""
    prefix = ""

    def do_GET(self) -> None:
        if not self.path.startswith(self.prefix):
            self.send_error(404)
            return
        headers = {k: v for k, v in self.headers.items() if k.lower() == "range"}
        upstream = requests.get(
            self.target + self.path[len(self.prefix) :], headers=headers, timeout=30
        )
        self.send_response(upstream.status_code)
        for name in ("content-type", "content-range", "accept-ranges"):
            if name in upstream.headers:
                self.send_header(name, upstream.headers[name])
        self.send_header("content-length", str(len(upstream.content)))
        self.end_headers()
        self.wfile.write(upstream.content)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def proxied(emu: Emulator) -> Iterator[str]:
    """A proxy's base URL standing for the emulator's ``base_url`` under a path prefix."""
    handler = type("Proxy", (_PrefixProxy,), {"target": emu.base_url, "prefix": "/user/me/proxy/1"})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/user/me/proxy/1"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(30)


def _through(proxy: str, emu: Emulator, url: str) -> str:
    assert url.startswith(emu.base_url)
    return proxy + url[len(emu.base_url) :]


def _uris(playlist: str) -> list[str]:
    return [line for line in playlist.splitlines() if line and not line.startswith("#")]


def _relative(uri: str) -> bool:
    return "://" not in uri and not uri.startswith("/") and ".." not in uri.split("/")


def test_hls_refers_to_variants_and_segments_relatively(
    emu: Emulator, info: dict[str, Any], proxied: str
) -> None:
    master = _through(proxied, emu, info["streams"]["hls"]["file"])
    reply = requests.get(master, timeout=30)
    assert reply.status_code == 200
    variants = _uris(reply.text)
    assert len(variants) == 3
    for variant in variants:
        assert _relative(variant), variant
        playlist = urljoin(master, variant)
        assert playlist.startswith(proxied)
        segments = _uris(requests.get(playlist, timeout=30).text)
        assert segments
        for segment in segments:
            assert _relative(segment), segment
            got = requests.get(urljoin(playlist, segment), timeout=30)
            assert got.status_code == 200
            assert got.headers["content-type"] == "video/mp2t"


def test_dash_refers_to_segments_relatively(
    emu: Emulator, info: dict[str, Any], proxied: str
) -> None:
    manifest = _through(proxied, emu, info["streams"]["mpd"]["file"])
    root = ElementTree.fromstring(requests.get(manifest, timeout=30).content)
    assert root.findall(".//m:BaseURL", MPD_NS) == []  # nothing re-roots the segment URLs
    templates = root.findall(".//m:SegmentTemplate", MPD_NS)
    assert templates
    for representation in root.findall(".//m:Representation", MPD_NS):
        template = representation.find("m:SegmentTemplate", MPD_NS)
        assert template is not None
        rep = representation.get("id", "")
        init = template.get("initialization", "").replace("$RepresentationID$", rep)
        media = template.get("media", "")
        first = re.sub(r"\$Number%0(\d)d\$", lambda m: "1".zfill(int(m.group(1))), media)
        first = first.replace("$RepresentationID$", rep)
        for uri in (init, first):
            assert _relative(uri), uri
            got = requests.get(urljoin(manifest, uri), timeout=30)
            assert got.status_code == 200, uri
            assert got.headers["content-type"] == "video/iso.segment"


def _media_urls(emu: Emulator, info: dict[str, Any]) -> dict[str, str]:
    """One URL of each kind of file the emulator serves, by extension."""
    hls = info["streams"]["hls"]["file"]
    variant = urljoin(hls, _uris(requests.get(hls, timeout=30).text)[0])
    segment = urljoin(variant, _uris(requests.get(variant, timeout=30).text)[0])
    mpd = info["streams"]["mpd"]["file"]
    return {
        ".mp4": info["streams"]["mp4"][0]["file"],
        ".webm": info["streams"]["webm"][0]["file"],
        ".m3u8": hls,
        ".ts": segment,
        ".mpd": mpd,
        ".m4s": urljoin(mpd, "init-0.m4s"),
        ".jpg": info["thumbnail"],
    }


MEDIA_TYPES = {
    ".mp4": "video/mp4",
    ".webm": "video/webm",
    ".m3u8": "application/vnd.apple.mpegurl",
    ".ts": "video/mp2t",
    ".mpd": "application/dash+xml",
    ".m4s": "video/iso.segment",
    ".jpg": "image/jpeg",
}


@pytest.mark.parametrize("ext", sorted(MEDIA_TYPES))
def test_every_media_route_honours_range(emu: Emulator, info: dict[str, Any], ext: str) -> None:
    url = _media_urls(emu, info)[ext]
    whole = requests.get(url, timeout=30)
    assert whole.status_code == 200
    assert whole.headers["content-type"] == MEDIA_TYPES[ext]
    assert whole.headers["accept-ranges"] == "bytes"
    size = len(whole.content)
    assert size > 20

    part = requests.get(url, headers={"Range": "bytes=4-13"}, timeout=30)
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 4-13/{size}"
    assert part.content == whole.content[4:14]
    tail = requests.get(url, headers={"Range": "bytes=-7"}, timeout=30)
    assert tail.status_code == 206
    assert tail.content == whole.content[-7:]
    open_ended = requests.get(url, headers={"Range": f"bytes={size - 3}-"}, timeout=30)
    assert open_ended.content == whole.content[-3:]
    past = requests.get(url, headers={"Range": f"bytes={size}-"}, timeout=30)
    assert past.status_code == 416
    assert past.headers["content-range"] == f"bytes */{size}"
    head = requests.head(url, headers={"Range": "bytes=0-0"}, timeout=30)
    assert head.status_code == 206
    assert head.headers["content-length"] == "1"
    assert head.content == b""


@pytest.mark.parametrize("header", ["bytes=9-2", "bytes=a-b", "items=0-1", "bytes=0-1,4-5"])
def test_ranges_it_cannot_honour_get_the_whole_file(info: dict[str, Any], header: str) -> None:
    url = info["streams"]["mp4"][0]["file"]
    whole = requests.get(url, timeout=30).content
    reply = requests.get(url, headers={"Range": header}, timeout=30)
    assert reply.status_code == 200
    assert reply.content == whole


def test_if_range_with_another_validator_gets_the_whole_file(info: dict[str, Any]) -> None:
    url = info["streams"]["mp4"][0]["file"]
    first = requests.get(url, headers={"Range": "bytes=0-9"}, timeout=30)
    same = requests.get(
        url, headers={"Range": "bytes=0-9", "If-Range": first.headers["etag"]}, timeout=30
    )
    assert same.status_code == 206
    other = requests.get(url, headers={"Range": "bytes=0-9", "If-Range": '"x"'}, timeout=30)
    assert other.status_code == 200
    assert len(other.content) > 10
