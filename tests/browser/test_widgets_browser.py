"""What a person sees: the widgets in JupyterLab, in headless Chromium, against an emulator.

The emulator runs in this (the test) process with known accounts; before the cells run, the
kernel is pointed at it through ``SV_PUBLIC_KEY``, ``SV_PRIVATE_KEY``, ``SV_API_URL`` and
``SV_THUMBNAIL_URL`` (set by code run in the kernel outside any cell, so the notebooks and
their screenshots read like a user's, with no key in sight). What the widgets claim in the
page is checked against what the emulator then holds, through a client of our own. Every
test saves a screenshot; with ``SV_UPDATE_SCREENSHOTS=1`` they also refresh
``docs/screenshots/`` for the README.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, expect

from .harness import (
    WIDGET_TIMEOUT_MS,
    cell_output,
    collapse_left_area,
    kernel_execute,
    open_notebook,
    run_all,
    run_cell_until,
    save_notebook,
    save_screenshot,
    wait_for_images,
    wait_for_video_metadata,
    wait_for_widget,
    write_notebook,
)
from .server import JupyterServer

if TYPE_CHECKING:
    from sv_widgets.client import Client
    from sv_widgets.emulator import Emulator

pytestmark = pytest.mark.browser

CLIP_SECONDS = 3.0  # the suite's sample_clip fixture (tests/conftest.py)
CONVERSION_TIMEOUT_S = 300.0
# One account per test, so no test sees another's files.
ACCOUNTS = (
    "browser-gallery",
    "browser-files",
    "browser-upload",
    "browser-player",
    "browser-state",
    "browser-convert",
)


@pytest.fixture(scope="module")
def browser_emulator() -> Iterator[Emulator]:
    """This module's emulator: an account per test, so each sees only its own files."""
    from sv_widgets.emulator import Emulator

    accounts = {public: secrets.token_hex(24) for public in ACCOUNTS}
    with Emulator(host="127.0.0.1", port=0, accounts=accounts, workers=2) as emu:
        yield emu


def upload_converted(client: Client, clip: Path, count: int = 1) -> list[str]:
    """Upload ``clip`` ``count`` times, convert each, and wait until all are playable."""
    codes = [client.upload(clip) for _ in range(count)]
    for code in codes:
        client.convert(code)
    for code in codes:
        client.wait_for_conversion(code, timeout=CONVERSION_TIMEOUT_S, poll=0.25)
    return codes


def point_kernel_at(page: Page, emulator: Emulator, public_key: str) -> None:
    """Give the open notebook's kernel this emulator account, as a user's environment would."""
    env = {
        "SV_PUBLIC_KEY": public_key,
        "SV_PRIVATE_KEY": emulator.accounts[public_key],
        "SV_API_URL": emulator.api_url,
        "SV_THUMBNAIL_URL": emulator.thumbnail_url,
    }
    kernel_execute(page, f"import os\nos.environ.update({env!r})")


CLIENT_CELL = "from sv_widgets import Client\n\nclient = Client.from_env()"


def wait_until(
    condition: Callable[[], bool], what: str, *, timeout: float = 30.0, interval: float = 0.1
) -> None:
    """Poll ``condition`` (a question to the emulator) until it holds, at most ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"still not true after {timeout:.0f}s: {what}")
        time.sleep(interval)


def test_gallery_images_load_and_a_click_selects_on_the_server(
    page: Page, jupyter: JupyterServer, browser_emulator: Emulator, sample_clip: Path
) -> None:
    """In JupyterLab and in Notebook 7."""
    client = browser_emulator.client("browser-gallery")
    (code,) = upload_converted(client, sample_clip)
    thumbnails = client.thumbnails(code)
    before = next(t.file_name for t in thumbnails if t.selected)
    target = next(t.file_name for t in thumbnails if not t.selected)

    write_notebook(
        jupyter.root_dir,
        f"gallery-{jupyter.app}.ipynb",
        [
            CLIENT_CELL,
            f"from sv_widgets import ThumbnailGallery\n"
            f"gallery = ThumbnailGallery(client, {code!r})\n"
            f"gallery",
            "print(gallery.value)",
        ],
    )
    open_notebook(page, jupyter, f"gallery-{jupyter.app}.ipynb")
    point_kernel_at(page, browser_emulator, "browser-gallery")
    run_all(page)

    gallery = wait_for_widget(page, ".sv-gallery", cell_index=1)
    # Every thumbnail the service lists is drawn, as a real decoded image.
    assert wait_for_images(gallery, ".sv-thumb img", count=len(thumbnails)) > 1
    expect(gallery.locator(".sv-thumb.sv-selected")).to_have_attribute("data-name", before)

    gallery.locator(f'.sv-thumb[data-name="{target}"]').click()
    chosen = gallery.locator(".sv-thumb.sv-selected")
    expect(chosen).to_have_count(1)
    expect(chosen).to_have_attribute("data-name", target)
    expect(gallery.locator(".sv-gallery-status")).to_have_attribute("data-status", "saved")

    def server_selection() -> str:
        return next(t.file_name for t in client.thumbnails(code) if t.selected)

    wait_until(lambda: server_selection() == target, f"{target} selected on the service")
    # The saved HTML follows the selection (a display update): the gallery is drawn once.
    expect(cell_output(page, 1).locator(".sv-gallery")).to_have_count(1)
    expect(gallery.locator(".sv-thumb.sv-selected")).to_have_attribute("data-name", target)
    assert client.file_info(code).thumbnail is not None
    run_cell_until(page, 2, target)  # and Python's gallery.value agrees

    if jupyter.app == "lab":
        save_screenshot(cell_output(page, 1), "thumbnail-gallery")
        collapse_left_area(page)
        save_screenshot(page, "jupyterlab-thumbnail-gallery")
    else:
        save_screenshot(page, "notebook7-thumbnail-gallery", docs=False)


def test_file_browser_shows_every_file_and_deletes_after_confirmation(
    page: Page, jupyter_lab: JupyterServer, browser_emulator: Emulator, sample_clip: Path
) -> None:
    client = browser_emulator.client("browser-files")
    codes = upload_converted(client, sample_clip, count=3)
    doomed, kept = codes[:2], codes[2]

    write_notebook(
        jupyter_lab.root_dir,
        "file-browser.ipynb",
        [
            CLIENT_CELL,
            "from sv_widgets import FileBrowser\n"
            "browser = FileBrowser(client, page_size=10)\n"
            "browser",
        ],
    )
    open_notebook(page, jupyter_lab, "file-browser.ipynb")
    point_kernel_at(page, browser_emulator, "browser-files")
    run_all(page)

    browser = wait_for_widget(page, ".sv-file-browser", cell_index=1)
    rows = browser.locator(".sv-file-row:visible")
    expect(rows).to_have_count(3)
    for code in codes:
        row = rows.filter(has_text=code)
        expect(row).to_have_count(1)
        wait_for_images(row, "img", count=1)  # the file's thumbnail, decoded
    save_screenshot(cell_output(page, 1), "file-browser")

    for code in doomed:
        rows.filter(has_text=code).locator("input[type=checkbox]").check()
    browser.get_by_role("button", name="Delete selected (2)").click()

    # Nothing is deleted before the confirmation, which names how many and which.
    confirm = browser.get_by_role("button", name="Delete 2 files")
    expect(confirm).to_be_visible()
    question = browser.locator(".widget-html", has_text="Delete 2 files?")
    expect(question).to_be_visible()
    for code in doomed:
        expect(question).to_contain_text(code)
    expect(question).not_to_contain_text(kept)
    save_screenshot(cell_output(page, 1), "file-browser-confirm-delete")
    assert set(codes) <= set(client.iter_files())

    confirm.click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(kept)
    expect(browser).to_contain_text("Deleted 2 files.")

    remaining = set(client.iter_files())
    assert kept in remaining
    assert not remaining & set(doomed)


def test_convert_from_a_rows_details_by_keyboard_gives_the_focus_back_to_the_row(
    page: Page, jupyter_lab: JupyterServer, browser_emulator: Emulator, sample_clip: Path
) -> None:
    """A file uploaded without conversion: Enter on its row's Details opens them, Enter on
    their Convert requests the conversion and closes them, and the focus goes back to the
    row's Details button (the control that opened them), never to the page body."""
    client = browser_emulator.client("browser-convert")
    code = client.upload(sample_clip)
    write_notebook(
        jupyter_lab.root_dir,
        "file-browser-convert.ipynb",
        [CLIENT_CELL, "from sv_widgets import FileBrowser\nFileBrowser(client)"],
    )
    open_notebook(page, jupyter_lab, "file-browser-convert.ipynb")
    point_kernel_at(page, browser_emulator, "browser-convert")
    run_all(page)

    browser = wait_for_widget(page, ".sv-file-browser", cell_index=1)
    row = browser.locator(".sv-file-row:visible").filter(has_text=code)
    expect(row).to_contain_text("not converted", timeout=WIDGET_TIMEOUT_MS)
    toggle = row.locator("button.sv-details-button")
    toggle.focus()
    page.keyboard.press("Enter")
    convert = row.get_by_role("button", name="Convert")
    expect(convert).to_be_visible(timeout=WIDGET_TIMEOUT_MS)
    expect(toggle).to_have_attribute("aria-expanded", "true")
    convert.focus()
    page.keyboard.press("Enter")
    expect(convert).to_have_count(0, timeout=WIDGET_TIMEOUT_MS)  # the details closed
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_be_focused()
    client.wait_for_conversion(code, timeout=CONVERSION_TIMEOUT_S, poll=0.25)
    expect(row).not_to_contain_text("not converted", timeout=WIDGET_TIMEOUT_MS)


def test_sv_upload_shows_progress_to_the_end_and_the_new_code(
    page: Page, jupyter_lab: JupyterServer, browser_emulator: Emulator, sample_clip: Path
) -> None:
    client = browser_emulator.client("browser-upload")
    assert list(client.iter_files()) == []
    (jupyter_lab.root_dir / "upload-clip.mp4").write_bytes(sample_clip.read_bytes())

    write_notebook(
        jupyter_lab.root_dir,
        "sv-upload.ipynb",
        [
            "%load_ext sv_widgets",
            "code = %sv_upload upload-clip.mp4",
            "print(code)",
        ],
    )
    open_notebook(page, jupyter_lab, "sv-upload.ipynb")
    point_kernel_at(page, browser_emulator, "browser-upload")
    run_all(page)

    (code,) = list(client.iter_files())
    info = client.file_info(code)  # converted, as the magic waited for
    assert abs(info.playtime - CLIP_SECONDS) < 0.5

    upload = wait_for_widget(page, ".sv-upload-progress", cell_index=1)
    expect(upload).to_contain_text("upload-clip.mp4")
    # The saved HTML was replaced once the upload ended (a display update): the live widget
    # is drawn again from the same model, once, with nothing left of the first drawing.
    expect(cell_output(page, 1).locator(".sv-upload-progress")).to_have_count(1)
    html = page.evaluate(
        """(index) => {
          const panel = [...window.jupyterapp.shell.widgets('main')]
            .find(w => w.context && w.context.path === window.__svNotebookPath);
          const outputs = panel.content.widgets[index].model.outputs.toJSON();
          return outputs.map(o => (o.data || {})['text/html'] || '').join('');
        }""",
        1,
    )
    assert f"<strong>{code}</strong>" in html, html[:300]
    assert 'src="data:image/jpeg;base64,' in html
    bar = upload.get_by_role("progressbar", name="Upload of upload-clip.mp4")
    expect(bar).to_have_attribute("aria-valuenow", "100")
    expect(upload.locator('.sv-progress[data-style="success"]')).to_have_count(1)
    expect(upload).to_contain_text(f"File code {code}")
    expect(upload.get_by_role("button", name="Cancel")).to_be_hidden()
    run_cell_until(page, 2, code)

    save_screenshot(cell_output(page, 1), "sv-upload")


@pytest.mark.parametrize("proxy", ["never", "always"])
def test_player_video_loads_metadata(
    page: Page,
    jupyter_lab: JupyterServer,
    browser_emulator: Emulator,
    sample_clip: Path,
    proxy: str,
) -> None:
    """``never``: the browser fetches the emulator directly; ``always``: through the Jupyter
    server's jupyter-server-proxy, the way Binder's browser must. MP4, whose source URL the
    element shows (every format, seeking and renditions: test_player_formats.py)."""
    client = browser_emulator.client("browser-player")
    (code,) = upload_converted(client, sample_clip)

    name = f"player-{proxy}.ipynb"
    write_notebook(
        jupyter_lab.root_dir,
        name,
        [
            CLIENT_CELL,
            f"from sv_widgets import Player\n"
            f"player = Player(client, {code!r}, format='mp4', proxy={proxy!r})\n"
            f"player",
        ],
    )
    open_notebook(page, jupyter_lab, name)
    point_kernel_at(page, browser_emulator, "browser-player")
    run_all(page)

    player = wait_for_widget(page, ".sv-player", cell_index=1)
    video = player.locator("video")
    meta = wait_for_video_metadata(video)
    assert meta["readyState"] >= 1
    assert abs(meta["duration"] - CLIP_SECONDS) < 0.5, meta
    assert meta["videoWidth"] > 0, meta
    if proxy == "always":
        assert f"{jupyter_lab.base_url}proxy/127.0.0.1:{browser_emulator.port}/" in meta["src"], (
            meta
        )
        expect(video).to_have_attribute("data-proxied", "true")
    else:
        assert meta["src"].startswith(browser_emulator.base_url), meta

    # The README shows the direct one; the proxied one looks the same.
    if proxy == "never":
        save_screenshot(cell_output(page, 1), "player")
    else:
        save_screenshot(cell_output(page, 1), "player-proxied", docs=False)


# A signed request token is ``{base64 payload}.{hex HMAC}`` (sv_widgets.signing).
_SIGNED_TOKEN = re.compile(r"[A-Za-z0-9_=-]{8,}\.[0-9a-f]{40,}")


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def test_saved_widget_state_holds_no_key_and_no_token(
    page: Page, jupyter_lab: JupyterServer, browser_emulator: Emulator, sample_clip: Path
) -> None:
    """Saved with "save widget state" on, a notebook of every widget carries their state
    (so it renders without a kernel) but nothing that could sign a request."""
    private_key = browser_emulator.accounts["browser-state"]
    (jupyter_lab.root_dir / "state-clip.mp4").write_bytes(sample_clip.read_bytes())
    path = write_notebook(
        jupyter_lab.root_dir,
        "widget-state.ipynb",
        [
            "%load_ext sv_widgets",
            "code = %sv_upload state-clip.mp4",
            "from sv_widgets import Client, FileBrowser, Player, ThumbnailGallery\n\n"
            "client = Client.from_env()\n"
            "ThumbnailGallery(client, code)",
            "Player(client, code)",
            "FileBrowser(client)",
        ],
    )
    with jupyter_lab.user_settings(
        "@jupyter-widgets/jupyterlab-manager:plugin", {"saveState": True}
    ):
        open_notebook(page, jupyter_lab, "widget-state.ipynb")
        point_kernel_at(page, browser_emulator, "browser-state")
        run_all(page)
        wait_for_images(wait_for_widget(page, ".sv-gallery", cell_index=2), ".sv-thumb img")
        wait_for_video_metadata(wait_for_widget(page, ".sv-player video", cell_index=3))
        wait_for_images(wait_for_widget(page, ".sv-file-row", cell_index=4), "img", count=1)
        save_notebook(page)

    text = path.read_text()
    notebook = json.loads(text)
    state = notebook["metadata"]["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    models = {model["model_name"] for model in state.values()}
    assert {"AnyModel", "ButtonModel", "CheckboxModel"} <= models, models
    assert private_key not in text
    tokens = [s for s in _strings(notebook) if _SIGNED_TOKEN.search(s)]
    assert tokens == [], tokens
