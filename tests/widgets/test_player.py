"""Player against the emulator: formats, renditions, src, the library it sends, errors, and
what it leaves in a saved notebook. (What a browser does with it: tests/browser.)"""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import requests
from traitlets import TraitError

from sv_widgets.client import Client
from sv_widgets.emulator import Emulator
from sv_widgets.models import Rendition
from sv_widgets.widgets import Player
from sv_widgets.widgets.player import default_rendition, vendor_library

STATIC = Path(__file__).parents[2] / "sv_widgets" / "widgets" / "static"
PRIVATE = "player-private-key-0123456789"


# Canned conversions: MP4 and WebM at 360, 480 and 720, HLS and DASH, in milliseconds.
pytestmark = pytest.mark.sv_emulator(accounts={"player": PRIVATE}, conversions="fast")


def converted(client: Client, **flags: bool) -> str:
    code = client.upload(io.BytesIO(b"any bytes: conversions are canned"))
    client.convert(code, **flags)
    client.wait_for_conversion(code, timeout=120, poll=0.1)
    return code


@pytest.fixture
def code(client: Client) -> str:
    return converted(client)


def ready(player: Player) -> Player:
    assert player.wait_idle(30)
    return player


def test_every_format_and_rendition_of_the_file(client: Client, code: str) -> None:
    info = client.file_info(code)
    player = ready(Player(client, code))
    assert (player.status, player.error) == ("ready", "")
    assert player.formats == ["hls", "dash", "mp4", "webm"]
    assert player.manifests == {"hls": info.streams.hls, "dash": info.streams.mpd}
    mp4 = {r.label: r.file for r in info.streams.mp4}
    webm = {r.label: r.file for r in info.streams.webm}
    assert player.renditions == [
        {"label": label, "mp4": mp4[label], "webm": webm[label]} for label in ("720", "480", "360")
    ]
    assert (player.format, player.rendition) == ("auto", "auto")
    assert player.src == info.streams.hls  # auto: the adaptive stream first
    player.format = "dash"
    assert player.src == info.streams.mpd
    player.format = "mp4"
    assert player.src == mp4[default_rendition(info.streams.mp4)]
    player.rendition = "480"
    assert player.src == mp4["480"]
    player.format = "webm"
    assert player.src == webm["480"]
    player.format = "hls"  # a pinned rendition lives inside the stream: the URL is the playlist
    assert player.src == info.streams.hls
    head = requests.get(mp4["480"], headers={"Range": "bytes=0-99"}, timeout=10)
    assert (head.status_code, len(head.content)) == (206, 100)
    assert player.poster.startswith(b"\xff\xd8")
    player.close()


def test_format_and_rendition_given_at_the_start(client: Client, code: str) -> None:
    player = ready(Player(client, code, format="webm", rendition="360"))
    assert (player.format, player.rendition, player.status) == ("webm", "360", "ready")
    assert player.src == next(
        r.file for r in client.file_info(code).streams.webm if r.label == "360"
    )
    unknown = ready(Player(client, code, rendition="4320"))  # not one of the file's: auto
    assert unknown.rendition == "auto"
    player.close()
    unknown.close()


def test_only_the_formats_the_file_has(client: Client) -> None:
    code = converted(client, mp4_only=True, sd_only=True)
    player = ready(Player(client, code))
    assert player.formats == ["mp4"]
    assert player.manifests == {"hls": "", "dash": ""}
    assert [r["label"] for r in player.renditions] == ["480", "360"]
    assert all(r["webm"] == "" for r in player.renditions)
    with pytest.raises(TraitError, match="this file has no HLS stream; it has MP4"):
        player.format = "hls"
    asked = ready(Player(client, code, format="dash"))
    assert asked.status == "error"
    assert asked.error == "this file has no DASH stream; it has MP4"
    player.close()
    asked.close()


def test_bad_values_are_refused(client: Client, code: str) -> None:
    with pytest.raises(TraitError, match="format must be one of auto, hls, dash, mp4, webm"):
        Player(client, code, format="flv")
    with pytest.raises(TraitError, match="proxy must be one of"):
        Player(client, code, proxy="sometimes")
    player = ready(Player(client, code))
    with pytest.raises(TraitError, match="no '9999' rendition; this file has auto, 720, 480, 360"):
        player.rendition = "9999"
    player.close()


def test_unconverted_file_shows_api_error(client: Client) -> None:
    code = client.upload(io.BytesIO(b"not yet converted"))
    player = ready(Player(client, code))
    assert player.status == "error"
    assert player.error.startswith("[100030] ")
    assert (player.src, player.renditions, player.formats) == ("", [], [])
    player.close()


def sent_messages(player: Player) -> list[tuple[Any, list[bytes]]]:
    sent: list[tuple[Any, list[bytes]]] = []
    player.send = lambda content, buffers=None: sent.append((content, list(buffers or [])))  # type: ignore[method-assign]
    return sent


def test_the_page_asks_for_the_player_library_and_gets_the_shipped_one(
    client: Client, code: str
) -> None:
    player = ready(Player(client, code))
    sent = sent_messages(player)
    player._handle_custom_msg({"type": "vendor-request"}, [])
    [(content, buffers)] = sent
    manifest = json.loads((STATIC / "vendor" / "shaka-player" / "VENDOR.json").read_text())
    assert content == {"type": "vendor", "name": "shaka-player", "version": manifest["version"]}
    assert hashlib.sha256(buffers[0]).hexdigest() == manifest["sha256"]
    assert vendor_library()[1] is vendor_library()[1]  # read once per process
    player.close()


def test_what_the_page_plays_is_reported_back(client: Client, code: str) -> None:
    player = ready(Player(client, code))
    report = {"format": "hls", "engine": "mse", "rendition": "480", "width": 854, "height": 480}
    player._handle_custom_msg({"type": "playing", **report, "url": "u", "extra": 1}, [])
    assert player.playing == {**report, "url": "u"}
    assert (player.status, player.error) == ("ready", "")
    player.close()


def test_an_ill_typed_report_from_the_page_is_not_passed_on(client: Client, code: str) -> None:
    player = ready(Player(client, code))
    forged = {"format": ["hls"], "engine": "x" * 100_000, "rendition": 480, "url": None}
    player._handle_custom_msg({"type": "playing", **forged, "width": True, "height": -1}, [])
    assert player.playing == dict.fromkeys(
        ("format", "engine", "rendition", "url", "width", "height")
    )
    player._handle_custom_msg({"type": "media-error", "kind": "format", "message": {"a": 1}}, [])
    assert player.wait_idle(30)
    assert (player.status, player.error) == ("error", "the video could not be played")
    player._handle_custom_msg({"type": "media-error", "kind": "format", "message": "x" * 5000}, [])
    assert player.wait_idle(30)
    assert player.error == "x" * 300 + "…"
    player.close()


def test_a_format_the_browser_cannot_play_is_said_as_such(client: Client, code: str) -> None:
    player = ready(Player(client, code, format="webm"))
    message = "this browser cannot play WebM (media error 4); it can play HLS, DASH, MP4"
    player._handle_custom_msg({"type": "media-error", "kind": "format", "message": message}, [])
    assert player.wait_idle(30)
    assert (player.status, player.error) == ("error", message)  # no question to the service
    player.close()


GONE = "the media is gone or unreachable: HTTP 404 for 127.0.0.1/media/x (the file was deleted?)"


def test_gone_media_is_explained_by_asking_the_service(client: Client) -> None:
    code = converted(client)
    player = ready(Player(client, code))
    client.delete([code])
    player._handle_custom_msg({"type": "media-error", "kind": "unreachable", "message": GONE}, [])
    assert player.wait_idle(30)
    assert player.status == "error"
    assert player.error.startswith(GONE + "; the service no longer has this file ([404] ")
    player.close()


def test_unreachable_media_of_a_file_that_exists(client: Client, code: str) -> None:
    player = ready(Player(client, code))
    player._handle_custom_msg({"type": "media-error", "kind": "unreachable", "message": GONE}, [])
    assert player.wait_idle(30)
    assert (
        player.error
        == GONE + "; the service still has the file: the media server or the proxy failed"
    )
    player.close()


def test_a_stopped_service_is_named() -> None:
    with Emulator(conversions="fast") as emu:
        client = emu.client(retries=0, timeout=(2, 5))
        code = converted(client)
        player = ready(Player(client, code))
        host = emu.api_url.split("/")[2]
    message = "the media is gone or unreachable: no answer from 127.0.0.1"
    player._handle_custom_msg(
        {"type": "media-error", "kind": "unreachable", "message": message}, []
    )
    assert player.wait_idle(30)
    assert player.error == f"{message}; the service at {host} does not answer either (stopped?)"
    player.close()
    client.close()


def test_static_html_stands_alone_and_holds_no_secret(client: Client, code: str) -> None:
    info = client.file_info(code)
    player = ready(Player(client, code, format="dash", rendition="480"))
    data = player._repr_mimebundle_()
    if isinstance(data, tuple):
        data = data[0]
    assert set(data) >= {"text/plain", "text/html", "application/vnd.jupyter.widget-view+json"}
    html = data["text/html"]
    assert code in html
    assert "<script" not in html
    assert re.search(r'<img src="data:image/jpeg;base64,[A-Za-z0-9+/=]{100,}"', html)
    assert f'href="{info.streams.hls}"' in html
    assert f'href="{info.streams.mpd}"' in html
    for rendition in (*info.streams.mp4, *info.streams.webm):
        assert f'href="{rendition.file}"' in html
    assert info.duration_text in html
    assert "Player · format DASH · rendition 480" in html
    assert PRIVATE not in html
    assert not re.search(r"(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{20,}\.[0-9a-f]{64}", html)  # token
    player.close()


def test_static_html_of_a_file_that_will_not_play(client: Client) -> None:
    code = client.upload(io.BytesIO(b"not yet converted"))
    player = ready(Player(client, code))
    html = player._repr_mimebundle_()[0]["text/html"]
    assert f"Player · {code}" in html
    assert "[100030]" in html
    player.close()


@pytest.mark.parametrize(
    ("labels", "expected"),
    [(["360", "720", "1080"], "720"), (["1080"], "1080"), (["480", "360"], "480"), ([], "")],
)
def test_default_rendition(labels: list[str], expected: str) -> None:
    assert default_rendition([Rendition(f"u{label}", label) for label in labels]) == expected


def run_node(tmp_path: Path, probe: str, argument: Any) -> Any:
    (tmp_path / "probe.mjs").write_text(probe)
    result = subprocess.run(
        ["node", "probe.mjs", json.dumps(argument)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    return json.loads(result.stdout)


needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="needs node")


LOAD_PROBE = """
const out = {};
for (const name of JSON.parse(process.argv[2])) {
  const { default: widget } = await import(`./${name}.mjs`);
  out[name] = Object.keys(widget).filter((k) => typeof widget[k] === "function").sort();
}
console.log(JSON.stringify(out));
"""


@needs_node
def test_every_front_end_loads_alone_as_an_anywidget_module(tmp_path: Path) -> None:
    """Each shipped module loads with nothing around it (no DOM, no network: an import of a
    URL would fail here, and the browser on Binder may have no internet) and gives anywidget
    its ``render`` (and ``initialize`` where the kernel talks first)."""
    names = sorted(path.stem for path in STATIC.glob("*.js"))
    for name in names:
        shutil.copyfile(STATIC / f"{name}.js", tmp_path / f"{name}.mjs")
    got = run_node(tmp_path, LOAD_PROBE, names)
    assert got == {
        name: ["initialize", "render"] if name == "dropzone" else ["render"] for name in names
    }
    for path in STATIC.glob("*.js"):  # nor a URL it could fetch later (no CDN)
        assert not re.search(r"https?://", path.read_text()), path
