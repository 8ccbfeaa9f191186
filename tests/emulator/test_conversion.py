"""Real conversions with PyAV through the emulator: outputs, thumbnails, resizing, failures,
and an API that stays responsive while the workers are busy."""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from PIL import Image

from sv_widgets.emulator import Emulator
from tests.helpers.api import EmulatorAPI


@pytest.fixture(scope="module")
def converted(emulator: Emulator, sample_clip: Path) -> tuple[str, dict[str, Any]]:
    api = EmulatorAPI(emulator)
    code = api.upload(sample_clip, name="sample.MP4")
    assert api.convert(code)["status"] == "success"
    info = api.wait_ready(code, timeout=180)
    assert info["status"] == "success", info
    return code, info


def test_info_of_a_real_conversion(converted: tuple[str, dict[str, Any]]) -> None:
    code, info = converted
    assert info["extension"] == "mp4"
    assert info["playtime"] == pytest.approx(3.0, abs=0.2)
    assert [r["label"] for r in info["streams"]["mp4"]] == ["360"]
    assert info["thumbnail"].endswith(f"/exact/{code}_360_03.jpg")
    for kind in ("hls", "mpd"):
        assert info["streams"][kind]["file"].startswith("http://127.0.0.1:")


def test_real_media_is_served_with_ranges(converted: tuple[str, dict[str, Any]]) -> None:
    _, info = converted
    mp4 = info["streams"]["mp4"][0]["file"]
    head = requests.get(mp4, headers={"Range": "bytes=0-15"}, timeout=10)
    assert head.status_code == 206
    assert head.content[4:8] == b"ftyp"
    hls = requests.get(info["streams"]["hls"]["file"], timeout=10)
    assert hls.headers["content-type"].startswith("application/vnd.apple.mpegurl")
    assert hls.text.startswith("#EXTM3U")
    mpd = requests.get(info["streams"]["mpd"]["file"], timeout=10)
    assert mpd.headers["content-type"].startswith("application/dash+xml")
    assert "<MPD" in mpd.text


def test_real_thumbnails_and_resizing(
    emulator: Emulator, converted: tuple[str, dict[str, Any]]
) -> None:
    code, _ = converted
    base = f"{emulator.thumbnail_url}/{code}"
    listing = requests.get(f"{base}/json/list", timeout=10).json()
    assert list(listing) == ["360.05", "360.04", "360.03.selected", "360.02", "360.01"]
    for size, expected in [("300", 300), ("100", 260), ("99999", 2160)]:
        r = requests.get(f"{base}/{size}/default.jpg", timeout=30)
        assert r.headers["content-type"] == "image/jpeg"
        assert Image.open(io.BytesIO(r.content)).size[1] == expected
    r = requests.get(f"{base}/300/{code}_360_01.jpg", timeout=10)
    assert Image.open(io.BytesIO(r.content)).size[1] == 300
    assert requests.get(f"{base}/300/nope.jpg", timeout=10).json()["error"] == 404


def test_corrupt_video_fails_with_a_reason(api: EmulatorAPI, sample_clip: Path) -> None:
    data = sample_clip.read_bytes()
    code = api.upload(data[: len(data) // 3] + b"\x00" * 5000, name="broken.mp4")
    api.convert(code)
    body = api.wait_ready(code, timeout=120)
    assert body["error"] == 10001
    assert "conversion failed: " in body["message"]
    assert "internal" not in body["message"]


def test_text_file_fails_with_a_reason(api: EmulatorAPI) -> None:
    code = api.upload(b"hello, I am not a video\n" * 100, name="notes.txt")
    api.convert(code)
    body = api.wait_ready(code, timeout=60)
    assert body["error"] == 10001
    assert "internal" not in body["message"]


@pytest.mark.slow
def test_api_stays_responsive_during_conversions(
    emulator: Emulator, api: EmulatorAPI, tmp_path: Path
) -> None:
    from sv_widgets.emulator import make_sample_clip

    clip = make_sample_clip(tmp_path / "long.mp4", seconds=6.0, width=1280, height=720)
    codes = [api.upload(clip) for _ in range(2)]
    for code in codes:
        api.convert(code)
    answered_while_converting = 0
    while True:
        converting = [api.info(c).get("error") == 100030 for c in codes]
        r = requests.get(f"{emulator.upload_url}/progress?ref=x", timeout=10)
        assert r.text == "0"
        if not any(converting):
            break
        if all(converting) and all(api.info(c).get("error") == 100030 for c in codes):
            answered_while_converting += 1  # both were converting before and after it
        time.sleep(0.05)
    # an API held up by the workers would answer only once they had finished
    assert answered_while_converting >= 3, answered_while_converting
    for code in codes:
        info = api.info(code)
        assert [r["label"] for r in info["streams"]["mp4"]] == ["360", "480", "720"]


@pytest.mark.slow
def test_sd_only_and_mp4_only(api: EmulatorAPI, tmp_path: Path) -> None:
    from sv_widgets.emulator import make_sample_clip

    clip = make_sample_clip(tmp_path / "hd.mp4", seconds=2.0, width=1280, height=720)
    code = api.upload(clip)
    api.convert(code, convert_sd_only=True, convert_mp4_only=True)
    info = api.wait_ready(code, timeout=180)
    assert set(info["streams"]) == {"mp4"}
    assert [r["label"] for r in info["streams"]["mp4"]] == ["360", "480"]
