"""Player against the real emulator: renditions, src, switching, errors in place."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from traitlets import TraitError

from sv_widgets.client import Client
from sv_widgets.emulator import Emulator
from sv_widgets.models import Rendition
from sv_widgets.widgets import Player
from sv_widgets.widgets.player import default_rendition

STATIC = Path(__file__).parents[1] / "sv_widgets" / "widgets" / "static"


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


def test_src_is_the_chosen_mp4_rendition(client: Client, converted: str) -> None:
    player = Player(client, converted)
    assert player.wait_idle(30)
    info = client.file_info(converted)
    assert player.status == "ready"
    assert player.error == ""
    assert player.renditions == [{"label": r.label, "file": r.file} for r in info.streams.mp4]
    assert player.rendition == default_rendition(info.streams.mp4)
    chosen = next(r.file for r in info.streams.mp4 if r.label == player.rendition)
    assert player.src == chosen
    head = requests.get(player.src, headers={"Range": "bytes=0-99"}, timeout=10)
    assert head.status_code == 206
    assert len(head.content) == 100
    assert player.poster.startswith(b"\xff\xd8")
    player.close()


def test_switching_rendition_changes_src(client: Client, converted: str) -> None:
    player = Player(client, converted)
    assert player.wait_idle(30)
    for item in player.renditions:
        player.rendition = item["label"]
        assert player.src == item["file"]
    with pytest.raises(TraitError, match="no '9999' rendition"):
        player.rendition = "9999"
    player.close()


def test_unconverted_file_shows_api_error(client: Client) -> None:
    code = client.upload(io.BytesIO(b"not yet converted"))
    player = Player(client, code)
    assert player.wait_idle(30)
    assert player.status == "error"
    assert player.error.startswith("[100030] ")
    assert player.src == ""
    assert player.renditions == []
    player.close()


def test_proxy_mode_is_validated(client: Client, converted: str) -> None:
    with pytest.raises(TraitError, match="proxy must be one of"):
        Player(client, converted, proxy="sometimes")


def test_front_end_media_error_is_shown(client: Client, converted: str) -> None:
    player = Player(client, converted)
    assert player.wait_idle(30)
    player._handle_custom_msg({"type": "media-error", "message": "media error 4"}, [])
    assert player.status == "error"
    assert "media error 4" in player.error
    player.close()


@pytest.mark.parametrize(
    ("labels", "expected"),
    [(["360", "720", "1080"], "720"), (["1080"], "1080"), (["480", "360"], "480"), ([], "")],
)
def test_default_rendition(labels: list[str], expected: str) -> None:
    assert default_rendition([Rendition(f"u{label}", label) for label in labels]) == expected


def test_front_end_is_self_contained() -> None:
    """No CDN, no network imports: the browser on Binder may have no internet."""
    for path in STATIC.glob("*.js"):
        text = path.read_text()
        assert not re.search(r"^\s*import\b|\bimport\(", text, re.M), path
        assert not re.search(r"https?://", text), path
        assert "export default" in text, path
    js = (STATIC / "player.js").read_text()
    assert "jupyter-config-data" in js
    assert "proxy/" in js


NODE_PROBE = """
const cases = JSON.parse(process.argv[2]);
const out = [];
for (const c of cases) {
  const page = new URL(c.page);
  globalThis.window = { location: { hostname: page.hostname, protocol: page.protocol,
                                    origin: page.origin } };
  globalThis.document = {
    baseURI: c.page,
    getElementById: (id) => (id === "jupyter-config-data" && c.baseUrl !== null
      ? { textContent: JSON.stringify({ baseUrl: c.baseUrl }) } : null),
  };
  const { playableUrl } = await import("./player.mjs");
  out.push(playableUrl(c.src, c.mode));
}
console.log(JSON.stringify(out));
"""

MEDIA = "http://127.0.0.1:8765/media/1700000000-AbC123/720.mp4?x=1"
ROUTING = [
    # (page, baseUrl in #jupyter-config-data, src, mode) -> (url, proxied)
    ("http://127.0.0.1:8888/lab", "/", MEDIA, "auto", (MEDIA, False)),
    (
        "https://hub.mybinder.org/user/x-abc/lab/tree/a.ipynb",
        "/user/x-abc/",
        MEDIA,
        "auto",
        (
            "https://hub.mybinder.org/user/x-abc/proxy/127.0.0.1:8765/media/1700000000-AbC123/720.mp4?x=1",
            True,
        ),
    ),
    (
        "https://hub.example/user/y/notebooks/a.ipynb",
        None,  # no config data: the base URL comes from the page path
        "http://localhost:9000/v.mp4",
        "auto",
        ("https://hub.example/user/y/proxy/9000/v.mp4", True),
    ),
    (
        "http://localhost:8888/lab",
        "/",
        MEDIA,
        "always",
        ("http://localhost:8888/proxy/127.0.0.1:8765/media/1700000000-AbC123/720.mp4?x=1", True),
    ),
    ("https://hub.example/user/y/lab", "/user/y/", MEDIA, "never", (MEDIA, False)),
    (
        "https://hub.example/lab",
        "/",
        "https://cdn.sparevideos.com/v/720.mp4",
        "auto",
        ("https://cdn.sparevideos.com/v/720.mp4", False),
    ),
]


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node to run the front-end code")
def test_front_end_routes_loopback_urls_through_the_jupyter_server(tmp_path: Path) -> None:
    shutil.copyfile(STATIC / "player.js", tmp_path / "player.mjs")
    (tmp_path / "probe.mjs").write_text(NODE_PROBE)
    cases = [
        {"page": page, "baseUrl": base, "src": src, "mode": mode}
        for page, base, src, mode, _ in ROUTING
    ]
    result = subprocess.run(
        ["node", "probe.mjs", json.dumps(cases)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    got = [(r["url"], r["proxied"]) for r in json.loads(result.stdout)]
    assert got == [expected for *_, expected in ROUTING]
