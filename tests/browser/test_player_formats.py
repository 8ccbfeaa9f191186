"""Every stream of a converted file plays in JupyterLab: MP4, WebM, HLS and DASH.

For each format a notebook shows two players of the same file, one fetching the emulator
directly and one through the Jupyter server's jupyter-server-proxy (the Binder path). For
each player the test proves, in the page, that the video plays (``currentTime`` advances, no
media error), that ``videoWidth`` is the chosen rendition's, that the network log holds the
format's own requests (playlist and ``.ts`` segments for HLS, manifest and ``.m4s`` segments
for DASH, the rendition's file for MP4 and WebM) and nothing else of the file's media, that
pinning another rendition switches the picture, and that a seek lands and playback goes on.
The kernel hears what the page plays (``player.playing``).

The clip is 10 s of 854x480 at 25 fps: renditions 480 (854x480) and 360 (640x360), three
HLS/DASH segments each, so a seek crosses segments.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Locator, Page, Request, expect

from .harness import (
    WIDGET_TIMEOUT_MS,
    cell_output,
    kernel_execute,
    open_notebook,
    run_all,
    run_cell_until,
    save_screenshot,
    wait_for_widget,
    write_notebook,
)
from .server import JupyterServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ACCOUNT = "browser-formats"
WIDTHS = {"480": 854, "360": 640}
# The requests each format makes for this file, and the ones it must not make.
OWN = {
    "mp4": [r"/mp4/[^/]+_480\.mp4$"],
    "webm": [r"/webm/[^/]+_480\.webm$"],
    "hls": [r"/hls/master\.m3u8$", r"/hls/480/index\.m3u8$", r"/hls/480/segment_\d+\.ts$"],
    "dash": [r"/dash/manifest\.mpd$", r"/dash/init-\d+\.m4s$", r"/dash/chunk-\d+-\d+\.m4s$"],
}
FOREIGN = {
    "mp4": r"\.(webm|m3u8|ts|mpd|m4s)$",
    "webm": r"\.(mp4|m3u8|ts|mpd|m4s)$",
    "hls": r"\.(mp4|webm|mpd|m4s)$",
    "dash": r"\.(mp4|webm|m3u8|ts)$",
}


@dataclass
class Clip:
    """The converted file every test here plays."""

    code: str
    env: dict[str, str]
    base_url: str
    port: int


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Clip]:
    from sv_widgets.emulator import Emulator, make_sample_clip

    source = make_sample_clip(
        tmp_path_factory.mktemp("formats") / "clip.mp4", seconds=10, width=854, height=480
    )
    private = secrets.token_hex(24)
    with Emulator(accounts={ACCOUNT: private}, workers=2) as emu:
        client = emu.client(ACCOUNT)
        code = client.upload(source)
        client.convert(code)
        info = client.wait_for_conversion(code, timeout=300, poll=0.25)
        assert sorted(r.label for r in info.streams.mp4) == ["360", "480"]
        env = {
            "SV_PUBLIC_KEY": ACCOUNT,
            "SV_PRIVATE_KEY": private,
            "SV_API_URL": emu.api_url,
            "SV_THUMBNAIL_URL": emu.thumbnail_url,
        }
        yield Clip(code, env, emu.base_url, emu.port)
        client.close()


class MediaLog:
    """Every request the page makes for the clip's media, as URLs."""

    def __init__(self, page: Page, code: str) -> None:
        self.urls: list[str] = []
        self._code = code
        page.on("request", self._record)

    def _record(self, request: Request) -> None:
        if f"/media/{self._code}/" in request.url:
            self.urls.append(request.url.split("?")[0])

    def through(self, prefix: str) -> list[str]:
        return [u for u in self.urls if u.startswith(prefix)]


def notebook(server: JupyterServer, name: str, clip: Clip, players: list[str]) -> None:
    cells = [
        "from sv_widgets import Client, Player\n\nclient = Client.from_env()",
        *players,
    ]
    write_notebook(server.root_dir, name, cells)


def open_with_clip(page: Page, server: JupyterServer, name: str, clip: Clip) -> None:
    open_notebook(page, server, name)
    kernel_execute(page, f"import os\nos.environ.update({clip.env!r})")
    run_all(page)


def video_state(video: Locator) -> dict[str, object]:
    state: dict[str, object] = video.evaluate(
        """v => ({t: v.currentTime, w: v.videoWidth, h: v.videoHeight, paused: v.paused,
                  error: v.error && `${v.error.code} ${v.error.message}`, src: v.currentSrc})"""
    )
    return state


def wait_video(video: Locator, condition: str, what: str) -> None:
    """Wait for ``condition`` (a JS expression of ``v``, the video element) to hold."""
    try:
        video.page.wait_for_function(
            f"v => !v.error && ({condition})",
            arg=video.element_handle(),
            timeout=WIDGET_TIMEOUT_MS,
            polling=100,
        )
    except Exception as exc:
        player = video.locator("xpath=..")
        note = player.locator(".sv-player-note").text_content()
        raise AssertionError(f"{what}: {video_state(video)}; the player says {note!r}") from exc


def play(video: Locator) -> None:
    """Start playback as a person would (muted: headless Chromium has no audio output).

    Once the video has its metadata: before that the player may still be attaching its
    stream, and a new load interrupts a ``play()`` asked for meanwhile (``AbortError``), as
    it would leave a person's click unanswered.
    """
    wait_video(video, "v.readyState >= 1", "no metadata to play")
    video.evaluate("v => { v.muted = true; return v.play(); }")


def plays_at(player: Locator, label: str, what: str) -> None:
    """The player plays rendition ``label``: the picture is its size, and time advances.

    The width is the displayed one: a 640x360 rendition of an 854x480 source carries a pixel
    aspect ratio of 1.0008 (so it shows at the source's aspect), which Chromium applies.
    """
    video = player.locator("video")
    size = f"v.videoHeight === {label} && Math.abs(v.videoWidth - {WIDTHS[label]}) <= 2"
    wait_video(video, size, f"{what}: not {label}p")
    start = float(video.evaluate("v => v.currentTime"))
    wait_video(video, f"v.currentTime > {start + 0.5} || v.ended", f"{what}: time stands still")
    expect(player).not_to_have_attribute("data-state", "error")


def rewind(video: Locator) -> None:
    """Back to the start, playing: the clip is short, and a switch shows only on new frames."""
    video.evaluate("v => { v.currentTime = 0; return v.play(); }")


def seek(player: Locator, to: float, what: str) -> None:
    video = player.locator("video")
    video.evaluate(f"v => {{ v.currentTime = {to}; }}")
    wait_video(video, f"!v.seeking && v.currentTime >= {to}", f"{what}: the seek did not land")
    wait_video(video, f"v.currentTime > {to + 0.4} || v.ended", f"{what}: nothing after the seek")


def pin(player: Locator, label: str) -> None:
    player.locator("select.sv-player-rendition").select_option(label)


def check_requests(log: MediaLog, prefix: str, fmt: str, what: str) -> None:
    urls = log.through(prefix)
    for pattern in OWN[fmt]:
        assert any(re.search(pattern, u) for u in urls), f"{what}: no {pattern} in {urls}"
    foreign = [u for u in urls if re.search(FOREIGN[fmt], u)]
    assert not foreign, f"{what}: requests of another format: {foreign}"


@pytest.mark.parametrize("fmt", ["mp4", "webm", "hls", "dash"])
def test_each_format_plays_directly_and_through_the_proxy(
    page: Page, jupyter_lab: JupyterServer, clip: Clip, fmt: str
) -> None:
    name = f"formats-{fmt}.ipynb"
    players = [
        f"direct = Player(client, {clip.code!r}, format={fmt!r}, rendition='480', proxy='never')\n"
        "direct",
        f"proxied = Player(client, {clip.code!r}, format={fmt!r}, rendition='480', "
        "proxy='always')\nproxied",
        "print(direct.playing.get('format'), direct.playing.get('rendition'),"
        " proxied.playing.get('format'), proxied.playing.get('rendition'))",
    ]
    notebook(jupyter_lab, name, clip, players)
    log = MediaLog(page, clip.code)
    open_with_clip(page, jupyter_lab, name, clip)
    proxy_prefix = f"{jupyter_lab.url}proxy/127.0.0.1:{clip.port}/media/"
    routes = {1: (f"{clip.base_url}/media/", "direct"), 2: (proxy_prefix, "proxied")}
    for index, (prefix, how) in routes.items():
        what = f"{fmt} {how}"
        player = wait_for_widget(page, ".sv-player", cell_index=index)
        expect(player).to_have_attribute("data-format", fmt)
        engine = {"mp4": "progressive", "webm": "progressive"}.get(fmt, "mse")
        expect(player).to_have_attribute("data-engine", engine)
        play(player.locator("video"))
        plays_at(player, "480", what)
        check_requests(log, prefix, fmt, what)
        rewind(player.locator("video"))
        pin(player, "360")
        plays_at(player, "360", f"{what}, pinned to 360")
        expect(player.locator(".sv-player-note")).to_contain_text("360p")
        seek(player, 6.0, what)
        rewind(player.locator("video"))
        pin(player, "480")
        plays_at(player, "480", f"{what}, pinned back to 480")
    # Everything the proxied player asked for went through the Jupyter server.
    assert not [u for u in log.urls if "/proxy/" not in u and not u.startswith(clip.base_url)]
    run_cell_until(page, 3, f"{fmt} 480 {fmt} 480")  # the kernel hears what plays
    if fmt == "hls":
        save_screenshot(cell_output(page, 1), "player-hls")


def test_auto_plays_the_adaptive_stream_and_the_rendition_can_be_pinned(
    page: Page, jupyter: JupyterServer, clip: Clip
) -> None:
    """``format="auto"``: HLS through Media Source Extensions in Chromium; ABR, then pinned.
    In JupyterLab and in Notebook 7."""
    name = f"formats-auto-{jupyter.app}.ipynb"
    notebook(jupyter, name, clip, [f"player = Player(client, {clip.code!r})\nplayer"])
    log = MediaLog(page, clip.code)
    open_with_clip(page, jupyter, name, clip)
    player = wait_for_widget(page, ".sv-player", cell_index=1)
    expect(player).to_have_attribute("data-format", "hls")
    expect(player).to_have_attribute("data-engine", "mse")
    video = player.locator("video")
    play(video)
    wait_video(video, "v.currentTime > 0.5", "auto: not playing")
    note = player.locator(".sv-player-note")
    expect(note).to_contain_text(re.compile(r"HLS · (360|480)p \(\d+\u00d7\d+\) · auto"))
    options = player.locator("select.sv-player-format option")
    expect(options).to_have_text(["Auto (HLS)", "HLS", "DASH", "MP4", "WebM"])
    rewind(video)
    pin(player, "360")
    plays_at(player, "360", "auto, pinned to 360")
    # the coded size of the 854x480 source's 360p, not the 641 its sample aspect ratio shows
    expect(note).to_contain_text("HLS · 360p (640\u00d7360) · pinned")
    assert any(re.search(r"/hls/360/segment_\d+\.ts$", u) for u in log.urls), log.urls


NO_MSE = "delete window.MediaSource; delete window.ManagedMediaSource;"


def test_native_hls_where_the_browser_has_no_media_source_extensions(
    page: Page, jupyter_lab: JupyterServer, clip: Clip
) -> None:
    """A browser with native HLS and no Media Source Extensions (an iPhone before iOS 17.1):
    HLS plays natively, pinning loads the rendition's own playlist, DASH is refused plainly."""
    page.add_init_script(NO_MSE)
    name = "formats-native.ipynb"
    notebook(jupyter_lab, name, clip, [f"player = Player(client, {clip.code!r})\nplayer"])
    log = MediaLog(page, clip.code)
    open_with_clip(page, jupyter_lab, name, clip)
    player = wait_for_widget(page, ".sv-player", cell_index=1)
    expect(player).to_have_attribute("data-format", "hls")
    expect(player).to_have_attribute("data-engine", "native")
    video = player.locator("video")
    play(video)
    wait_video(video, "v.currentTime > 0.5", "native HLS: not playing")
    assert any(u.endswith("/hls/master.m3u8") for u in log.urls), log.urls
    assert any(re.search(r"/hls/\d+/segment_\d+\.ts$", u) for u in log.urls), log.urls
    rewind(video)
    pin(player, "360")
    plays_at(player, "360", "native HLS pinned to 360")
    assert video.evaluate("v => v.currentSrc").endswith("/hls/360/index.m3u8")
    seek(player, 6.0, "native HLS")
    player.locator("select.sv-player-format").select_option("dash")
    expect(player).to_have_attribute("data-state", "error")
    expect(player.locator(".sv-player-note")).to_have_text(
        "this browser cannot play DASH; it can play HLS, MP4, WebM"
    )
