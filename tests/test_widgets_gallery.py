"""ThumbnailGallery against the real emulator: bytes in state, clicks saved, refusals reverted."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

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


def test_concurrent_cached_loading_meets_the_target(emulator: Emulator, converted: str) -> None:
    """Issue 7: 15 thumbnails at 100 ms latency load in at most 3x one request's time."""
    thumbnail_cache.clear()
    with emulator.client() as client:
        emulator.set_faults(["thumbnail:latency:ms=100"])
        try:
            names = [t.file_name for t in client.thumbnails(converted)]
            start = time.perf_counter()
            client.thumbnail_image(converted, names[0], size=260)
            one = time.perf_counter() - start
            thumbnail_cache.clear()

            start = time.perf_counter()
            cold = ThumbnailGallery(client, converted)
            assert cold.wait_idle(30)
            cold_time = time.perf_counter() - start
            assert len(cold.images) == len(names)
            assert cold_time <= 3 * one + 0.1, (cold_time, one)

            start = time.perf_counter()
            warm = ThumbnailGallery(client, converted)  # cached: only the list is fetched
            assert warm.wait_idle(30)
            warm_time = time.perf_counter() - start
            assert len(warm.images) == len(names)
            assert warm_time < 2 * one, (warm_time, one)
        finally:
            emulator.clear_faults()
        cold.close()
        warm.close()
