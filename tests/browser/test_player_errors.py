"""When a stream does not play, the player says why, and tells two causes apart.

- The browser cannot play the format: "this browser cannot play WebM; it can play HLS, DASH,
  MP4", whether the page knows it before trying or learns it from a decoding failure of media
  that is there.
- The media is gone or unreachable (the file was deleted, the server stopped, the proxy
  failed): "the media is gone or unreachable: ..." with what the page saw, then what the
  service says about the file. Never a format error for a refused connection.

The emulator here makes canned media (one second, 360/480/720) in milliseconds; what is
tested is the player's diagnosis, not the media.
"""

from __future__ import annotations

import io
import re
import secrets
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Locator, Page, Route, expect

from .harness import (
    cell_output,
    kernel_execute,
    open_notebook,
    run_cell,
    save_screenshot,
    wait_for_widget,
    write_notebook,
)
from .server import JupyterServer

if TYPE_CHECKING:
    from sv_widgets.emulator import Emulator

pytestmark = pytest.mark.browser

ACCOUNT = "browser-errors"
CLIENT = "from sv_widgets import Client, Player\n\nclient = Client.from_env()"


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    from sv_widgets.emulator import Emulator

    with Emulator(accounts={ACCOUNT: secrets.token_hex(24)}, conversions="fast") as emu:
        yield emu


def converted(emu: Emulator, **flags: bool) -> str:
    client = emu.client(ACCOUNT)
    code: str = client.upload(io.BytesIO(b"canned: conversions are fast"))
    client.convert(code, **flags)
    client.wait_for_conversion(code, timeout=60, poll=0.1)
    client.close()
    return code


def start(page: Page, server: JupyterServer, emu: Emulator, name: str, cells: list[str]) -> None:
    write_notebook(server.root_dir, name, [CLIENT, *cells])
    open_notebook(page, server, name)
    env = {
        "SV_PUBLIC_KEY": ACCOUNT,
        "SV_PRIVATE_KEY": emu.accounts[ACCOUNT],
        "SV_API_URL": emu.api_url,
        "SV_THUMBNAIL_URL": emu.thumbnail_url,
    }
    kernel_execute(page, f"import os\nos.environ.update({env!r})")
    run_cell(page, 0)


def failed_player(page: Page, index: int) -> Locator:
    player = wait_for_widget(page, ".sv-player", cell_index=index)
    expect(player).to_have_attribute("data-state", "error")
    return player


def test_only_the_files_formats_are_offered(
    page: Page, jupyter_lab: JupyterServer, emulator: Emulator
) -> None:
    code = converted(emulator, mp4_only=True)
    cells = [f"Player(client, {code!r})", f"Player(client, {code!r}, format='dash')"]
    start(page, jupyter_lab, emulator, "errors-mp4-only.ipynb", cells)
    run_cell(page, 1)
    run_cell(page, 2)
    player = wait_for_widget(page, ".sv-player", cell_index=1)
    expect(player.locator("select.sv-player-format option")).to_have_text(["Auto (MP4)", "MP4"])
    expect(player).to_have_attribute("data-state", "playing")
    asked = failed_player(page, 2)
    expect(asked.locator(".sv-player-note")).to_have_text(
        "this file has no DASH stream; it has MP4"
    )
    expect(asked.locator("video")).not_to_have_attribute("src", re.compile("."))


WEBM_UNPLAYABLE = """
const canPlayType = HTMLMediaElement.prototype.canPlayType;
HTMLMediaElement.prototype.canPlayType = function (type) {
  return /webm/i.test(type) ? "" : canPlayType.call(this, type);
};
"""


def test_a_format_this_browser_lacks_is_named_with_what_it_can_play(
    page: Page, jupyter_lab: JupyterServer, emulator: Emulator
) -> None:
    page.add_init_script(WEBM_UNPLAYABLE)
    code = converted(emulator)
    webm: list[str] = []
    page.on("request", lambda r: webm.append(r.url) if r.url.endswith(".webm") else None)
    start(
        page,
        jupyter_lab,
        emulator,
        "errors-no-webm.ipynb",
        [f"Player(client, {code!r}, format='webm')"],
    )
    run_cell(page, 1)
    player = failed_player(page, 1)
    expect(player).to_have_attribute("data-error-kind", "format")
    expect(player.locator(".sv-player-note")).to_have_text(
        "this browser cannot play WebM; it can play HLS, DASH, MP4"
    )
    option = player.locator("select.sv-player-format option[value=webm]")
    expect(option).to_have_text("WebM (not in this browser)")
    assert webm == []  # it knew before asking for any
    # Auto never picks what the browser cannot play, and the person can switch away.
    player.locator("select.sv-player-format").select_option("mp4")
    expect(player).to_have_attribute("data-state", "playing")


def test_media_that_is_there_but_does_not_decode_is_a_format_problem(
    page: Page, jupyter_lab: JupyterServer, emulator: Emulator
) -> None:
    code = converted(emulator)

    def garbage(route: Route) -> None:
        route.fulfill(
            status=200, body=b"\x1a\x45\xdf\xa3 not a webm at all", content_type="video/webm"
        )

    page.route(re.compile(r".*\.webm$"), garbage)
    start(
        page,
        jupyter_lab,
        emulator,
        "errors-bad-webm.ipynb",
        [f"Player(client, {code!r}, format='webm')"],
    )
    run_cell(page, 1)
    player = failed_player(page, 1)
    expect(player).to_have_attribute("data-error-kind", "format")
    expect(player.locator(".sv-player-note")).to_have_text(
        re.compile(
            r"^this browser cannot play WebM \(media error \d.*\); it can play HLS, DASH, MP4$"
        )
    )


@pytest.mark.parametrize("fmt", ["mp4", "hls", "dash"])
def test_a_deleted_file_is_gone_not_a_format_error(
    page: Page, jupyter_lab: JupyterServer, emulator: Emulator, fmt: str
) -> None:
    code = converted(emulator)
    cells = [
        f"player = Player(client, {code!r}, format={fmt!r})\n"
        "player.wait_idle()\n"
        f"client.delete([{code!r}])  # behind the player's back\n"
        "player",
        "print(player.error)",
    ]
    start(page, jupyter_lab, emulator, f"errors-deleted-{fmt}.ipynb", cells)
    run_cell(page, 1)
    player = failed_player(page, 1)
    expect(player).to_have_attribute("data-error-kind", "unreachable")
    note = player.locator(".sv-player-note")
    expect(note).to_contain_text("the media is gone or unreachable: HTTP 404 for ")
    expect(note).to_contain_text(
        "(the file was deleted?); the service no longer has this file ([404] "
    )
    expect(note).not_to_contain_text("cannot play")
    assert run_cell(page, 2).startswith("the media is gone or unreachable: HTTP 404 for ")


@pytest.mark.parametrize(
    ("proxy", "seen"),
    [
        (
            "never",
            r"no answer from 127\.0\.0\.1:\d+ \(the server stopped, or refused the connection\)",
        ),
        (
            "always",
            r"the Jupyter server's proxy answered HTTP 5\d\d for 127\.0\.0\.1:\d+/media/\S+ "
            r"\(is the server behind it still running\?\)",
        ),
    ],
    ids=["direct", "proxied"],
)
def test_a_stopped_server_is_unreachable_not_a_format_error(
    page: Page, jupyter_lab: JupyterServer, emulator: Emulator, proxy: str, seen: str
) -> None:
    """What the quick start met when its last cell stopped the emulator under a player."""
    code = converted(emulator)
    cells = [
        f"player = Player(client, {code!r}, format='mp4', proxy={proxy!r})\nplayer.wait_idle()",
        "player",
    ]
    start(page, jupyter_lab, emulator, f"errors-stopped-{proxy}.ipynb", cells)
    run_cell(page, 1)
    emulator.stop()
    run_cell(page, 2)
    player = failed_player(page, 2)
    expect(player).to_have_attribute("data-error-kind", "unreachable")
    note = player.locator(".sv-player-note")
    expect(note).to_have_text(
        re.compile(
            rf"^the media is gone or unreachable: {seen}; the service at 127\.0\.0\.1:\d+ does not "
            r"answer either \(stopped\?\)$"
        )
    )
    if proxy == "always":
        save_screenshot(cell_output(page, 2), "player-unreachable", docs=False)
