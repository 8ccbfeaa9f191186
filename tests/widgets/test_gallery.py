"""ThumbnailGallery against the real emulator: bytes in state, clicks saved, refusals reverted."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sv_widgets.client import Client
from sv_widgets.emulator import Emulator
from sv_widgets.widgets import ThumbnailGallery
from sv_widgets.widgets._cache import thumbnail_cache

JPEG = b"\xff\xd8"


@pytest.fixture(scope="module")
def converted(emulator: Emulator, sample_clip: Path) -> str:
    with emulator.client() as client:
        code = client.upload(sample_clip)
        client.convert(code)
        client.wait_for_conversion(code, timeout=120, poll=0.2)
    return code


@pytest.fixture
def client(emulator: Emulator) -> Iterator[Client]:
    c = emulator.client()
    yield c
    c.close()


@pytest.fixture
def gallery(client: Client, converted: str) -> Iterator[ThumbnailGallery]:
    g = ThumbnailGallery(client, converted)
    assert g.wait_idle(30)
    yield g
    g.close()


def selected_on_server(client: Client, code: str) -> str:
    return next(t.file_name for t in client.thumbnails(code) if t.selected)


def test_loads_every_thumbnail_as_bytes(
    gallery: ThumbnailGallery, client: Client, converted: str
) -> None:
    thumbs = client.thumbnails(converted)
    heights = {t.height for t in thumbs}
    assert len(thumbs) == 5 * len(heights)
    assert heights
    assert gallery.status == "ready"
    assert gallery.error == ""
    assert [t["name"] for t in gallery.thumbnails] == [t.file_name for t in thumbs]
    assert set(gallery.images) == {t.file_name for t in thumbs}
    assert all(isinstance(b, bytes) and b.startswith(JPEG) for b in gallery.images.values())
    assert gallery.value == selected_on_server(client, converted)
    # the bytes travel as binary buffers of the widget state, not as URLs
    state = gallery.get_state()
    assert not any("http" in str(t) for t in state["thumbnails"])


def test_select_saves_on_the_server(
    gallery: ThumbnailGallery, client: Client, converted: str
) -> None:
    statuses: list[str] = []
    gallery.observe(lambda c: statuses.append(c["new"]), names="status")
    target = next(t["name"] for t in gallery.thumbnails if t["name"] != gallery.value)
    gallery.select(target)
    assert gallery.value == target  # shown at once
    assert gallery.wait_idle(30)
    assert statuses == ["saving", "saved"]
    assert selected_on_server(client, converted) == target
    assert target in gallery.message


def test_click_message_from_front_end_selects(
    gallery: ThumbnailGallery, client: Client, converted: str
) -> None:
    target = next(t["name"] for t in gallery.thumbnails if t["name"] != gallery.value)
    gallery._handle_custom_msg({"type": "select", "name": target}, [])  # what a click sends
    assert gallery.wait_idle(30)
    assert gallery.status == "saved"
    assert selected_on_server(client, converted) == target


def test_setting_value_from_python_selects(
    gallery: ThumbnailGallery, client: Client, converted: str
) -> None:
    target = next(t["name"] for t in gallery.thumbnails if t["name"] != gallery.value)
    gallery.value = target
    assert gallery.wait_idle(30)
    assert selected_on_server(client, converted) == target


def test_value_set_while_the_list_loads_is_kept(
    emulator: Emulator, client: Client, converted: str
) -> None:
    current = selected_on_server(client, converted)
    target = next(t.file_name for t in client.thumbnails(converted) if t.file_name != current)
    # a slow save: the list arrives first, still holding the old selection
    emulator.set_faults([{"route": "file_update", "kind": "latency", "latency_ms": 400}])
    try:
        g = ThumbnailGallery(client, converted)
        g.value = target
        assert g.wait_idle(30)
    finally:
        emulator.clear_faults()
    try:
        assert g.value == target
        assert g.status == "saved"
        assert selected_on_server(client, converted) == target
    finally:
        g.close()


def test_refusal_reverts_with_reason(
    gallery: ThumbnailGallery, client: Client, converted: str
) -> None:
    before = gallery.value
    gallery.select(f"{converted}_9999_01.jpg")
    assert gallery.wait_idle(30)
    assert gallery.value == before
    assert gallery.status == "error"
    assert gallery.error.startswith("[404] ")
    assert "[404]" in gallery.message
    assert before in gallery.message
    assert selected_on_server(client, converted) == before


def test_unknown_file_shows_error_in_place(client: Client) -> None:
    g = ThumbnailGallery(client, "1700000000-NoSuch")
    assert g.wait_idle(30)
    assert g.status == "error"
    assert g.error.startswith("[404]")
    assert g.images == {}
    g.close()


def test_images_load_concurrently_then_come_from_the_cache(
    emulator: Emulator, converted: str
) -> None:
    """Every image is requested at once (a barrier opens only when all have arrived), and a
    second gallery of the same file requests none. Speed: benchmarks/bench_gallery.py."""
    thumbnail_cache.clear()
    with emulator.client() as client:
        names = [t.file_name for t in client.thumbnails(converted)]
        barrier = threading.Barrier(len(names), timeout=60)
        calls: list[str] = []
        original = client.thumbnail_image

        def gathered(code: str, name: str | None = None, **kwargs: Any) -> bytes:
            calls.append(str(name))
            barrier.wait()
            return original(code, name, **kwargs)

        setattr(client, "thumbnail_image", gathered)  # noqa: B010 - wrap this one client
        cold = ThumbnailGallery(client, converted)
        assert cold.wait_idle(90)
        assert not barrier.broken
        assert cold.status == "ready", cold.error
        assert sorted(cold.images) == sorted(names)
        assert sorted(calls) == sorted(names)

        calls.clear()
        warm = ThumbnailGallery(client, converted)  # cached: only the list is fetched
        assert warm.wait_idle(30)
        assert sorted(warm.images) == sorted(names)
        assert calls == []
        cold.close()
        warm.close()
