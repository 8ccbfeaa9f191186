"""The client through a whole video's life on the real emulator (real conversion, PyAV).

Upload -> convert -> wait -> info -> thumbnails -> images -> media bytes -> delete, plus the
conversion failure and timeout paths. Uses conftest's shared ``emulator`` and ``sample_clip``.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from sv_widgets.client import Client
from sv_widgets.emulator import Emulator
from sv_widgets.errors import (
    ConversionTimeout,
    FileAlreadyConverted,
    FileNotConverted,
    FileserverError,
    NotFound,
)
from sv_widgets.models import FileInfo


def jpeg_height(data: bytes) -> int:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as img:
        assert img.format == "JPEG"
        return int(img.height)


@pytest.fixture(scope="module")
def client(emulator: Emulator) -> Iterator[Client]:
    with emulator.client() as c:
        yield c


@pytest.fixture(scope="module")
def converted(client: Client, sample_clip: Path) -> tuple[str, FileInfo, list[float]]:
    code = client.upload(sample_clip)
    assert client.convert(code) == code
    seen: list[float] = []
    info = client.wait_for_conversion(code, timeout=120, poll=0.2, on_progress=seen.append)
    return code, info, seen


def test_wait_for_conversion(client: Client, converted: tuple[str, FileInfo, list[float]]) -> None:
    code, info, seen = converted
    assert seen[-1] == 100.0
    assert all(0 <= p <= 100 for p in seen)
    assert info.code == code
    assert info.extension == "mp4"
    assert info.playtime == pytest.approx(3.0, abs=0.2)
    assert [r.label for r in info.streams.mp4] == ["360"]
    assert [r.label for r in info.streams.webm] == ["360"]
    assert info.streams.hls
    assert info.streams.mpd
    assert info.thumbnail
    assert info.thumbnail.endswith(f"{code}_360_03.jpg")
    assert client.file_info(code) == info
    html = info._repr_html_()
    assert info.thumbnail in html
    assert "0:03" in html
    with pytest.raises(FileAlreadyConverted):
        client.convert(code)


def test_media_bytes(client: Client, converted: tuple[str, FileInfo, list[float]]) -> None:
    _, info, _ = converted
    mp4 = client.fetch_bytes(info.streams.mp4[0].file)
    assert mp4[4:8] == b"ftyp"
    assert client.fetch_bytes(info.streams.hls or "").startswith(b"#EXTM3U")


def test_thumbnails(client: Client, converted: tuple[str, FileInfo, list[float]]) -> None:
    code, _, _ = converted
    thumbs = client.thumbnails(code)
    assert [(t.height, t.number) for t in thumbs] == [(360, n) for n in range(5, 0, -1)]
    (selected,) = [t for t in thumbs if t.selected]
    assert selected.file_name == f"{code}_360_03.jpg"

    default = client.thumbnail_image(code)
    assert default == client.thumbnail_image(code, selected.file_name)
    assert jpeg_height(default) == 360
    assert jpeg_height(client.thumbnail_image(code, size=100)) == 260
    assert jpeg_height(client.thumbnail_image(code, thumbs[0].file_name, size=300)) == 300

    client.set_thumbnail(code, thumbs[0].file_name)
    assert [t.file_name for t in client.thumbnails(code) if t.selected] == [thumbs[0].file_name]
    assert client.file_info(code).thumbnail.endswith(thumbs[0].file_name)  # type: ignore[union-attr]
    with pytest.raises(NotFound):
        client.set_thumbnail(code, "not-in-the-list.jpg")
    assert [t.file_name for t in client.thumbnails(code) if t.selected] == [thumbs[0].file_name]
    with pytest.raises(NotFound):
        client.thumbnail_image(code, "not-in-the-list.jpg")


def test_mp4_only(client: Client, sample_clip: Path) -> None:
    code = client.upload(sample_clip)
    client.convert(code, mp4_only=True)
    info = client.wait_for_conversion(code, timeout=120, poll=0.2)
    assert [r.label for r in info.streams.mp4] == ["360"]
    assert (info.streams.webm, info.streams.hls, info.streams.mpd) == ((), None, None)


def test_conversion_timeout(client: Client, sample_clip: Path) -> None:
    code = client.upload(sample_clip)
    with pytest.raises(ConversionTimeout, match=code) as e:
        client.wait_for_conversion(code, timeout=0.3, poll=0.1)  # never asked to convert
    assert isinstance(e.value.__cause__, FileNotConverted)


def test_failed_conversion_is_raised(client: Client) -> None:
    code = client.upload(io.BytesIO(b"this is not a video" * 100))
    client.convert(code)
    with pytest.raises(FileserverError) as e:
        client.wait_for_conversion(code, timeout=60, poll=0.1)
    assert e.value.code == 10001


def test_delete_removes_everything(client: Client, sample_clip: Path) -> None:
    code = client.upload(sample_clip)
    client.convert(code, sd_only=True)
    client.wait_for_conversion(code, timeout=120, poll=0.2)
    assert code in list(client.iter_files())
    client.delete([code])
    assert code not in list(client.iter_files())
    with pytest.raises(NotFound):
        client.file_info(code)
    with pytest.raises(NotFound):
        client.thumbnails(code)
