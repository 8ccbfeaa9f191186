"""Conversion states, file info, thumbnails, selection and media serving, with a fast fake
transcoder (the real PyAV one is exercised in tests/emulator/test_conversion.py)."""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests
from PIL import Image

from sv_widgets.emulator import Emulator
from sv_widgets.emulator.domain.store import FileRecord
from tests.helpers.api import EmulatorAPI

HEIGHTS = (720, 480, 360)


class FakeConverter:
    """Writes a plausible output tree; blocks on ``gate`` so tests can watch progress."""

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.gate.set()
        self.started = threading.Event()
        self.calls: list[tuple[str, bool, bool]] = []

    def __call__(
        self,
        record: FileRecord,
        work: Path,
        on_progress: Callable[[float], None],
        should_stop: Callable[[], bool],
    ) -> dict[str, Any]:
        self.calls.append((record.code, record.sd_only, record.mp4_only))
        on_progress(0.25)
        self.started.set()
        while not self.gate.wait(0.05):
            if should_stop():
                raise RuntimeError("stopped")
        source = next((work.parent.parent / "files" / record.code).glob("source.*"))
        if source.read_bytes().startswith(b"BAD"):
            raise ValueError("not a video: no video stream found")
        heights = [h for h in HEIGHTS if not record.sd_only or h <= 480]
        out: dict[str, Any] = {
            "playtime": 3.0,
            "heights": heights,
            "mp4": {},
            "webm": {},
            "hls": None,
            "mpd": None,
            "thumbnails": {},
        }
        for sub in ("mp4", "webm", "hls", "dash", "thumbs"):
            (work / sub).mkdir()
        for h in heights:
            (work / "mp4" / f"{h}.mp4").write_bytes(bytes(range(256)) * 400)
            out["mp4"][str(h)] = f"mp4/{h}.mp4"
            if not record.mp4_only:
                (work / "webm" / f"{h}.webm").write_bytes(b"webm")
                out["webm"][str(h)] = f"webm/{h}.webm"
            names = []
            for n in range(1, 6):
                name = f"thumbs/{record.code}_{h}_{n:02d}.jpg"
                buf = io.BytesIO()
                Image.new("RGB", (h * 16 // 9, h), (n * 40, 0, 0)).save(buf, "JPEG")
                (work / name).write_bytes(buf.getvalue())
                names.append(name)
            out["thumbnails"][str(h)] = names
        if not record.mp4_only:
            (work / "hls" / "master.m3u8").write_text("#EXTM3U\n")
            (work / "hls" / "seg0.ts").write_bytes(b"ts")
            (work / "dash" / "manifest.mpd").write_text("<MPD/>")
            (work / "dash" / "seg.m4s").write_bytes(b"m4s")
            out["hls"], out["mpd"] = "hls/master.m3u8", "dash/manifest.mpd"
        on_progress(1.0)
        return out


FAKE = FakeConverter()
pytestmark = pytest.mark.sv_emulator(accounts={"me": "my-key", "you": "your-key"}, converter=FAKE)


@pytest.fixture
def fake() -> FakeConverter:
    """The converter of this module's emulator (``emu``), its gate open."""
    FAKE.gate.set()
    return FAKE


@pytest.fixture
def api(emu: Emulator) -> EmulatorAPI:
    return EmulatorAPI(emu, "me")


@pytest.fixture
def ready(api: EmulatorAPI, fake: FakeConverter) -> str:
    """A converted file (the emulator is reset before every test)."""
    code = api.upload(b"video bytes", name="holiday.AVI")
    assert api.convert(code)["status"] == "success"
    assert api.wait_ready(code)["status"] == "success"
    return code


def test_states_before_during_and_after(api: EmulatorAPI, fake: FakeConverter) -> None:
    code = api.upload(b"video")
    before = api.info(code)
    assert before["error"] == 100030
    assert "progress" not in before
    fake.gate.clear()
    fake.started.clear()
    try:
        api.convert(code)
        assert fake.started.wait(10)
        during = api.info(code)
        assert during["error"] == 100030
        assert "in progress" in during["message"]
        assert during["progress"] == 25.0
        assert api.convert(code)["error"] == 100031
    finally:
        fake.gate.set()
    assert api.wait_ready(code)["status"] == "success"
    assert api.convert(code)["error"] == 100031


def test_failed_conversion_is_10001_with_reason(api: EmulatorAPI) -> None:
    code = api.upload(b"BAD bytes")
    api.convert(code)
    body = api.wait_ready(code)
    assert body["error"] == 10001
    assert "not a video: no video stream found" in body["message"]


def test_file_info(api: EmulatorAPI, ready: str, emu: Emulator) -> None:
    info = api.info(ready)
    base = f"{emu.base_url}/media/{ready}"
    assert info == {
        "status": "success",
        "extension": "avi",
        "playtime": 3.0,
        "thumbnail": f"{emu.thumbnail_url}/{ready}/exact/{ready}_720_03.jpg",
        "streams": {
            "mp4": [{"file": f"{base}/mp4/{h}.mp4", "label": str(h)} for h in (360, 480, 720)],
            "webm": [{"file": f"{base}/webm/{h}.webm", "label": str(h)} for h in (360, 480, 720)],
            "hls": {"file": f"{base}/hls/master.m3u8"},
            "mpd": {"file": f"{base}/dash/manifest.mpd"},
        },
    }
    for rendition in info["streams"]["mp4"]:
        assert requests.get(rendition["file"], timeout=10).status_code == 200


def test_flags_reach_the_converter(api: EmulatorAPI, fake: FakeConverter) -> None:
    code = api.upload(b"video")
    api.convert(code, convert_sd_only=True, convert_mp4_only=True)
    info = api.wait_ready(code)
    assert (code, True, True) in fake.calls
    assert set(info["streams"]) == {"mp4"}
    assert [r["label"] for r in info["streams"]["mp4"]] == ["360", "480"]


def test_thumbnail_list_order_and_selection(api: EmulatorAPI, emu: Emulator, ready: str) -> None:
    url = f"{emu.thumbnail_url}/{ready}/json/list"
    listing = requests.get(url, timeout=10).json()
    keys = list(listing)
    assert keys[:6] == ["720.05", "720.04", "720.03.selected", "720.02", "720.01", "480.05"]
    assert keys[-1] == "360.01"
    assert listing["480.02"] == f"{ready}_480_02.jpg"
    # Select with each of the three update shapes.
    for verb, data, name in [
        ("PUT", None, f"{ready}_480_02.jpg"),
        ("POST", {"_method": "PUT"}, f"{ready}_360_05.jpg"),
        ("POST", {"_method": "UPDATE"}, f"{ready}_720_01.jpg"),
    ]:
        r = api.call(verb, "me/file", "file", "update", data=data, file_code=ready, thumbnail=name)
        assert r.json() == {"status": "success"}
        listing = requests.get(url, timeout=10).json()
        selected = [v for k, v in listing.items() if k.endswith(".selected")]
        assert selected == [name]
        assert api.info(ready)["thumbnail"].endswith(f"/exact/{name}")
    r = api.call("PUT", "me/file", "file", "update", file_code=ready, thumbnail="nope.jpg")
    assert r.json()["error"] == 404
    assert api.info(ready)["thumbnail"].endswith(f"/exact/{ready}_720_01.jpg")  # unchanged
    r = api.call(
        "PUT", "me/file", "file", "update", file_code=ready, thumbnail="x", public_key="you"
    )
    assert r.json()["error"] == 403


def test_exact_thumbnail(emu: Emulator, ready: str) -> None:
    r = requests.get(f"{emu.thumbnail_url}/{ready}/exact/{ready}_480_04.jpg", timeout=10)
    assert r.headers["content-type"] == "image/jpeg"
    assert Image.open(io.BytesIO(r.content)).size == (853, 480)


def test_media_range_requests(emu: Emulator, ready: str) -> None:
    url = f"{emu.base_url}/media/{ready}/mp4/360.mp4"
    whole = requests.get(url, timeout=10)
    assert whole.headers["content-type"] == "video/mp4"
    assert whole.headers["accept-ranges"] == "bytes"
    assert len(whole.content) == 102400
    part = requests.get(url, headers={"Range": "bytes=100-199"}, timeout=10)
    assert part.status_code == 206
    assert part.headers["content-range"] == "bytes 100-199/102400"
    assert part.content == whole.content[100:200]
    tail = requests.get(url, headers={"Range": "bytes=-10"}, timeout=10)
    assert tail.content == whole.content[-10:]
    bad = requests.get(url, headers={"Range": "bytes=200000-"}, timeout=10)
    assert bad.status_code == 416
    assert bad.headers["content-range"] == "bytes */102400"
    head = requests.head(url, timeout=10)
    assert head.headers["content-length"] == "102400"


@pytest.mark.parametrize(
    ("path", "ctype"),
    [
        ("hls/master.m3u8", "application/vnd.apple.mpegurl"),
        ("hls/seg0.ts", "video/mp2t"),
        ("dash/manifest.mpd", "application/dash+xml"),
        ("dash/seg.m4s", "video/iso.segment"),
        ("webm/360.webm", "video/webm"),
    ],
)
def test_media_content_types(emu: Emulator, ready: str, path: str, ctype: str) -> None:
    r = requests.get(f"{emu.base_url}/media/{ready}/{path}", timeout=10)
    assert r.status_code == 200
    assert r.headers["content-type"].split(";")[0] == ctype


@pytest.mark.parametrize(
    "tail",
    [
        "media/{code}/../source.avi",
        "media/{code}/%2e%2e/source.avi",
        "media/{code}/%252e%252e/source.avi",
        "media/{code}/..%5csource.avi",
        "media/{code}/mp4/%00.mp4",
        "media/{code}//etc/passwd",
        "media/{code}/mp4",
        "media/..%2f..%2fetc/passwd",
        "media/{code}%2f..%2f..%2f/x",
        "thumbnail/{code}/exact/..%2f..%2fsource.avi",
        "thumbnail/{code}/exact/%2e%2e",
        "thumbnail/..%2f{code}/json/list",
        "thumbnail/{code}/300/..%5c..%5csource.avi",
    ],
)
def test_traversal_is_404(emu: Emulator, ready: str, tail: str) -> None:
    r = requests.get(f"{emu.base_url}/{tail.format(code=ready)}", timeout=10)
    assert r.status_code in (404, 400)
    assert r.json()["status"] == "error"
    assert b"video bytes" not in r.content


def test_routes_for_unknown_or_unconverted_codes(api: EmulatorAPI, emu: Emulator) -> None:
    code = api.upload(b"video")
    for path in (
        f"thumbnail/{code}/json/list",
        f"thumbnail/{code}/exact/{code}_720_03.jpg",
        f"media/{code}/mp4/720.mp4",
        "thumbnail/1-AAAAAA/json/list",
    ):
        r = requests.get(f"{emu.base_url}/{path}", timeout=10)
        assert r.status_code == 404
        assert r.json()["error"] == 404


def test_deleted_files_vanish_everywhere(api: EmulatorAPI, emu: Emulator) -> None:
    code = api.upload(b"video")
    api.convert(code)
    info = api.wait_ready(code)
    media = info["streams"]["mp4"][0]["file"]
    assert requests.get(media, timeout=10).status_code == 200
    r = api.call("DELETE", "me/files", "files", "delete", codes=[code])
    assert r.json() == {"status": "success"}
    assert requests.get(media, timeout=10).status_code == 404
    r = requests.get(f"{emu.thumbnail_url}/{code}/json/list", timeout=10)
    assert r.status_code == 404
    assert api.info(code)["error"] == 404


def test_delete_during_conversion(api: EmulatorAPI, fake: FakeConverter) -> None:
    code = api.upload(b"video")
    fake.gate.clear()
    fake.started.clear()
    try:
        api.convert(code)
        assert fake.started.wait(10)
        r = api.call("DELETE", "me/files", "files", "delete", codes=[code])
        assert r.json() == {"status": "success"}
    finally:
        fake.gate.set()
    assert api.info(code)["error"] == 404
    data_dir = api.emulator.data_dir
    assert data_dir is not None
    assert not (data_dir / "files" / code).exists()
