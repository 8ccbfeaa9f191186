"""No private key and no token ever reaches the front end, through any widget or child."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import ipywidgets
import pytest

import sv_widgets
from sv_widgets import signing
from sv_widgets.emulator import Emulator
from sv_widgets.widgets import FileBrowser, Player, ThumbnailGallery, UploadProgress

MARKER = "PRIVATE-MARKER-7f3a9c"
# B64 "." HEX: what a signed token looks like (docs/wire-contract.md)
TOKEN = re.compile(r"[A-Za-z0-9+/%]{16,}\.[0-9a-f]{40,}")


def test_the_token_pattern_finds_real_tokens() -> None:
    token = signing.sign({"public_key": "pk", "method": "file", "action": "get"}, MARKER)
    assert TOKEN.search(f"<a href='x?token={token}'>")
    assert TOKEN.search(quote(token, safe=""))


def tree(widget: ipywidgets.Widget, seen: set[str]) -> Iterator[ipywidgets.Widget]:
    """The widget and every widget its synced traits reference (children, layouts, ...)."""
    if widget.model_id in seen:
        return
    seen.add(widget.model_id)
    yield widget
    for name in widget.keys:
        value = getattr(widget, name)
        items = value if isinstance(value, list | tuple) else [value]
        for item in items:
            if isinstance(item, ipywidgets.Widget):
                yield from tree(item, seen)


def values(state: Any) -> Iterator[str | bytes]:
    """Every key, string and bytes value in a serialized widget state."""
    if isinstance(state, dict):
        for key, item in state.items():
            yield str(key)
            yield from values(item)
    elif isinstance(state, list | tuple):
        for item in state:
            yield from values(item)
    elif isinstance(state, str):
        yield state
    elif isinstance(state, bytes | bytearray | memoryview):
        yield bytes(state)


@pytest.mark.sv_emulator(accounts={"pk-state": MARKER})
def test_no_secret_in_any_synced_state(
    sv_emulator: Emulator, tmp_path: Path, sample_clip: Path
) -> None:
    client = sv_emulator.client()
    pending = client.upload(io.BytesIO(b"not a video"))
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video either")
    failed = UploadProgress(client, bad, poll_interval=0.1)
    with pytest.raises(sv_widgets.SpareVideosError):
        failed.wait(timeout=60)
    done = UploadProgress(client, sample_clip, poll_interval=0.1)
    code = done.wait(timeout=120)
    browser = FileBrowser(client, page_size=3)
    widgets: list[ipywidgets.Widget] = [
        failed,
        done,
        ThumbnailGallery(client, code),
        ThumbnailGallery(client, pending),
        browser,
        Player(client, code),
        Player(client, pending),
    ]
    for w in widgets[2:]:
        assert w.wait_idle(30)
    browser.toggle_details(code)  # details open: their gallery is walked too
    gallery = browser._rows[[r.code for r in browser._rows].index(code)].details.children[1]
    assert gallery.wait_idle(30)

    seen: set[str] = set()
    everything = [v for w in widgets for node in tree(w, seen) for v in values(node.get_state())]
    assert len(seen) > 100  # the walk reached rows, buttons and details
    texts = " ".join(v for v in everything if isinstance(v, str))
    assert code in texts
    assert pending in texts
    assert "/media/" in texts  # the player's stream URLs, which carry no token
    assert sum(isinstance(v, bytes) and v.startswith(b"\xff\xd8") for v in everything) > 10
    for value in everything:
        if isinstance(value, bytes):
            assert MARKER.encode() not in value
        else:
            assert MARKER not in value, value
            assert not TOKEN.search(value), value
    for w in widgets:
        assert MARKER not in repr(w)
        w.close()
    client.close()
