"""Every widget for keyboard and screen-reader users, in JupyterLab's light and dark themes.

One notebook shows every widget (UploadProgress, the ``%%sv_upload`` rows, UploadDropzone,
ThumbnailGallery, FileBrowser, Player, the ``%sv_info`` card) and runs twice per application;
in each run, in the light theme and in the dark one, each widget's output is checked with
axe and the contrast measurement, then the keyboard scenarios run in the theme checked
last: the dark one in the first run, the light one in the second.

- axe-core (``js/node_modules/axe-core``, pinned in ``js/package.json``, injected from disk,
  never from a CDN), scoped to the widget: no serious or critical violation;
- our own contrast measurement (axe's colour rule does not evaluate inside JupyterLab):
  every visible text at least 4.5:1 against its effective background (3:1 when large), and
  every control's focus ring and edge at least 3:1 (``js/harness/a11y.js``);
- the keyboard scenarios: Enter on a thumbnail saves it and the focus stays on it, the gallery is
  one Tab stop, ``m`` inside a widget leaves its cell a code cell, ArrowDown on a menu
  changes its value, arrows on the video seek, Tab and Enter open the file chooser, the
  delete confirmation takes the focus and gives it back, Next on the last page leaves the
  focus in the browser, Cancel (with the upload server holding the upload) hands the focus
  to Retry.

With ``SV_UPDATE_SCREENSHOTS=1`` the JupyterLab run also refreshes the documentation's
screenshots of each widget in both themes (``docs/screenshots/theme-*-light.png`` and
``-dark.png``).
"""

from __future__ import annotations

import json
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import Locator, Page, expect

from .harness import (
    EXECUTE_TIMEOUT_MS,
    POLL_MS,
    REPO_ROOT,
    UPDATE_DOCS_SCREENSHOTS,
    WIDGET_TIMEOUT_MS,
    cell_output,
    collapse_left_area,
    kernel_execute,
    open_notebook,
    page_function,
    run_all,
    save_screenshot,
    wait_for_images,
    wait_for_video_metadata,
    wait_for_widget,
    write_notebook,
)
from .server import JupyterServer
from .test_magics_browser import stalls_holding
from .test_widgets_browser import CLIENT_CELL, point_kernel_at, upload_converted, wait_until

if TYPE_CHECKING:
    from sv_widgets.emulator import Emulator

pytestmark = [pytest.mark.browser, pytest.mark.slow]

AXE = REPO_ROOT / "js" / "node_modules" / "axe-core" / "axe.min.js"
ACCOUNTS = {"lab": "browser-a11y-lab", "notebook": "browser-a11y-notebook"}  # 4 files each
THEMES = ("JupyterLab Light", "JupyterLab Dark")

# cell index, the widget's element: what each check is scoped to
WIDGETS = {
    "upload-progress": (1, ".sv-upload-progress"),
    "sv-upload-rows": (2, ".sv-upload-progress"),
    "upload-dropzone": (3, ".sv-dropzone"),
    "thumbnail-gallery": (4, ".sv-gallery"),
    "file-browser": (5, ".sv-file-browser"),
    "player": (6, ".sv-player"),
    "sv-info-card": (7, ".sv-file-info"),
    "upload-progress-cancel": (8, ".sv-upload-progress"),
}


@pytest.fixture
def a11y_emulator() -> Iterator[Emulator]:
    """An emulator of this test's own: each run starts from an account with no file."""
    from sv_widgets.emulator import Emulator

    accounts = {account: secrets.token_hex(24) for account in ACCOUNTS.values()}
    with Emulator(host="127.0.0.1", port=0, accounts=accounts) as emu:
        yield emu


def _axe_installed() -> None:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci` in js/ (python3 dev.py test does)")


_FN = {
    name: page_function("a11y", name)
    for name in (
        "contrastReport",
        "ringReport",
        "focused",
        "focusWithin",
        "cellTypes",
        "changeTheme",
        "themeApplied",
    )
}


def _notebook(root: Path, clip: Path, code: str) -> str:
    shutil.copyfile(clip, root / "a11y-clip.mp4")
    name = "accessibility.ipynb"
    write_notebook(
        root,
        name,
        [
            "%load_ext sv_widgets\n" + CLIENT_CELL,
            "from sv_widgets import UploadProgress\n"
            'up = UploadProgress(client, "a11y-clip.mp4", convert=False)\nup',
            "%%sv_upload\na11y-clip.mp4\na11y-clip.mp4",
            "from sv_widgets import UploadDropzone\nUploadDropzone(client)",
            f"from sv_widgets import ThumbnailGallery\nThumbnailGallery(client, {code!r})",
            "from sv_widgets import FileBrowser\nFileBrowser(client, page_size=2)",
            f"from sv_widgets import Player\nPlayer(client, {code!r})",
            f"%sv_info {code}",
            "held = UploadProgress(client, 'a11y-clip.mp4', convert=False, autostart=False)\nheld",
        ],
    )
    return name


def _widget(page: Page, name: str) -> Locator:
    index, selector = WIDGETS[name]
    return wait_for_widget(page, selector, cell_index=index)


def _axe(page: Page, scope: Locator) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations inside ``scope``."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = scope.evaluate(
        "async (node) => await window.axe.run(node, { resultTypes: ['violations'] })"
    )
    return [
        {
            "rule": v["id"],
            "impact": v["impact"],
            "nodes": [n["html"][:120] for n in v["nodes"]][:3],
        }
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def _contrast(scope: Locator) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    texts: list[dict[str, Any]] = scope.evaluate(_FN["contrastReport"])
    rings: list[dict[str, Any]] = scope.evaluate(_FN["ringReport"])
    return texts, rings


def _check_theme(page: Page, theme: str, report: dict[str, Any]) -> None:
    """axe and contrast for every widget in ``theme``; every figure goes into ``report``."""
    problems = []
    for name in WIDGETS:
        scope = _widget(page, name)
        violations = _axe(page, scope)
        texts, rings = _contrast(scope)
        low = [t for t in texts if t["ratio"] < t["needed"]]
        weak = [
            r
            for r in rings
            if r["ring"] < 3 or r["ringWidth"] < 1 or (not r["native"] and r["edge"] < 3)
        ]
        report[name] = {
            "axe": violations,
            "texts": len(texts),
            "lowest text": min((t["ratio"] for t in texts), default=None),
            "lowest ring": min((r["ring"] for r in rings), default=None),
            "lowest edge": min((r["edge"] for r in rings if not r["native"]), default=None),
        }
        if violations or low or weak:
            problems.append({"widget": name, "axe": violations, "text": low, "controls": weak})
    assert not problems, f"{theme}: " + json.dumps(problems, indent=1)


def _switch_theme(page: Page, theme: str) -> None:
    page.evaluate(_FN["changeTheme"], theme)
    page.wait_for_function(
        _FN["themeApplied"], arg=theme, timeout=WIDGET_TIMEOUT_MS, polling=POLL_MS
    )


def _shots(page: Page, app: str, theme: str) -> None:
    suffix = "light" if theme == THEMES[0] else "dark"
    docs = UPDATE_DOCS_SCREENSHOTS and app == "lab"
    for name, (index, _selector) in WIDGETS.items():
        if name == "upload-progress-cancel":
            continue  # not started yet: nothing worth a picture
        save_screenshot(cell_output(page, index), f"theme-{name}-{suffix}", docs=docs)


def _focus_is_in(page: Page, scope: Locator) -> None:
    """The focus is on a control inside ``scope`` (never the page body)."""
    handle = scope.element_handle()
    page.wait_for_function(
        _FN["focusWithin"], arg=handle, timeout=WIDGET_TIMEOUT_MS, polling=POLL_MS
    )


def _gallery_keys(page: Page) -> None:
    gallery = _widget(page, "thumbnail-gallery")
    wait_for_images(gallery, ".sv-thumb img")
    options = gallery.get_by_role("option")
    assert gallery.locator('.sv-thumb[tabindex="0"]').count() == 1  # one Tab stop
    gallery.locator("select").focus()
    page.keyboard.press("Tab")
    first = gallery.locator('.sv-thumb[tabindex="0"]')
    expect(first).to_be_focused()
    page.keyboard.press("ArrowRight")
    moved = gallery.locator('.sv-thumb[tabindex="0"]')
    target = moved.get_attribute("data-name")
    expect(moved).to_be_focused()
    assert target
    assert options.count() > 1
    page.keyboard.press("Enter")
    chosen = gallery.locator(f'.sv-thumb[data-name="{target}"]')
    expect(chosen).to_have_attribute("aria-selected", "true", timeout=WIDGET_TIMEOUT_MS)
    expect(gallery.locator(".sv-gallery-status")).to_have_attribute("data-status", "saved")
    expect(chosen).to_be_focused()  # the redraw kept it
    page.keyboard.press("m")  # a notebook shortcut (to Markdown) must not fire here
    page.keyboard.press("Tab")
    expect(gallery.get_by_role("option").and_(page.locator(":focus"))).to_have_count(0)
    assert set(page.evaluate(_FN["cellTypes"])) == {"code"}


def _menu_and_video_keys(page: Page, code: str) -> None:
    player = _widget(page, "player")
    video = player.locator("video")
    wait_for_video_metadata(video)
    expect(video).to_have_attribute("aria-label", f"Video {code}")
    menu = player.locator("select.sv-player-format")
    before = menu.input_value()
    menu.focus()
    page.keyboard.press("ArrowDown")
    expect(menu).not_to_have_value(before)
    assert set(page.evaluate(_FN["cellTypes"])) == {"code"}
    # The new format loads a new source, which starts at 0 s: seek once it has loaded.
    chosen_format = menu.input_value()
    if chosen_format != "auto":
        expect(player).to_have_attribute("data-format", chosen_format)
    expect(player).to_have_attribute("data-state", "playing", timeout=WIDGET_TIMEOUT_MS)
    wait_for_video_metadata(video)
    video.focus()
    start = video.evaluate("v => v.currentTime")
    page.keyboard.press("ArrowRight")
    page.wait_for_function(
        "([v, t]) => v.currentTime > t",
        arg=[video.element_handle(), start],
        timeout=WIDGET_TIMEOUT_MS,
    )
    page.keyboard.press("m")
    assert set(page.evaluate(_FN["cellTypes"])) == {"code"}
    gallery = _widget(page, "thumbnail-gallery")
    height = gallery.locator("select")
    if height.is_enabled():
        chosen = height.input_value()
        height.focus()
        page.keyboard.press("ArrowDown")
        expect(height).not_to_have_value(chosen)


def _file_chooser(page: Page, clip: Path) -> None:
    """Tab and Enter open the chooser; the chosen file's row then goes to the end (so that
    the checks see a row's bar, its figures and its thumbnail)."""
    zone = _widget(page, "upload-dropzone")
    zone.locator(".sv-dz-target").evaluate("n => { n.tabIndex = -1; n.focus(); }")
    page.keyboard.press("Tab")
    expect(zone.locator("input[type=file]")).to_be_focused()
    with page.expect_file_chooser(timeout=WIDGET_TIMEOUT_MS) as chooser:
        page.keyboard.press("Enter")
    assert chooser.value.is_multiple()
    chooser.value.set_files(str(clip))
    row = zone.locator('.sv-dz-row[data-phase="ready"]')
    expect(row).to_have_count(1, timeout=EXECUTE_TIMEOUT_MS)
    expect(row.get_by_role("progressbar")).to_have_accessible_name("Upload of sample.mp4")
    expect(row.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "100")
    expect(zone.get_by_role("status")).to_contain_text("sample.mp4: done, file code")


def _browser_keys(page: Page) -> None:
    browser = _widget(page, "file-browser")
    rows = browser.locator(".sv-file-row:visible")
    expect(rows).to_have_count(2, timeout=WIDGET_TIMEOUT_MS)
    box = rows.first.locator("input[type=checkbox]")
    expect(box).to_have_accessible_name(f"Select {rows.first.locator('code').inner_text()}")
    box.focus()
    page.keyboard.press("Space")
    delete = browser.get_by_role("button", name="Delete selected (1)")
    delete.focus()
    page.keyboard.press("Enter")
    dialog = browser.get_by_role("alertdialog")
    expect(dialog).to_be_visible()
    _focus_is_in(page, dialog)  # the confirmation took the focus, on its Cancel
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(delete).to_be_focused()  # given back
    next_page = browser.get_by_role("button", name="Next")
    next_page.focus()
    page.keyboard.press("Enter")
    expect(next_page).to_be_disabled(timeout=WIDGET_TIMEOUT_MS)  # the last page
    _focus_is_in(page, browser)
    assert not page.evaluate(_FN["focused"])["inBody"]


def _cancel_keeps_focus(page: Page, emulator: Emulator) -> None:
    """Cancel from the keyboard while the upload server holds the upload: the focus goes to
    Retry when the row shows it (the widget is drawn again then), never to the page body."""
    emulator.set_faults(["upload:stall"])
    try:
        kernel_execute(page, "held.start()")
        wait_until(lambda: stalls_holding(emulator) == 1, "the upload server holds the upload")
        cancel = _widget(page, "upload-progress-cancel").get_by_role("button", name="Cancel")
        cancel.focus()
        page.keyboard.press("Enter")
        upload = _widget(page, "upload-progress-cancel")
        expect(upload).to_contain_text("cancelled", timeout=WIDGET_TIMEOUT_MS)
        expect(upload.get_by_role("button", name="Retry")).to_be_focused()
    finally:
        emulator.clear_faults()


@pytest.mark.parametrize("themes", [THEMES, THEMES[::-1]], ids=["keys-in-dark", "keys-in-light"])
def test_every_widget_passes_axe_contrast_and_keyboard_in_both_themes(
    page: Page,
    jupyter: JupyterServer,
    a11y_emulator: Emulator,
    sample_clip: Path,
    themes: tuple[str, str],
) -> None:
    """axe and the contrast measurement in both themes; the keyboard scenarios in the theme
    checked last, which the two runs of each app make the dark one and the light one."""
    _axe_installed()
    page.on("filechooser", lambda chooser: None)  # the page's choosers come to the test
    account = ACCOUNTS[jupyter.app]
    client = a11y_emulator.client(account)
    (code,) = upload_converted(client, sample_clip)
    name = _notebook(jupyter.root_dir, sample_clip, code)
    open_notebook(page, jupyter, name)
    point_kernel_at(page, a11y_emulator, account)
    run_all(page)
    if jupyter.app == "lab":
        collapse_left_area(page)
    for widget in WIDGETS:
        _widget(page, widget)
    wait_for_images(_widget(page, "thumbnail-gallery"), ".sv-thumb img")
    expect(_widget(page, "file-browser").locator(".sv-file-row:visible")).to_have_count(2)

    _file_chooser(page, sample_clip)
    report: dict[str, Any] = {}
    try:
        for theme in themes:
            _switch_theme(page, theme)
            report[theme] = {}
            _check_theme(page, theme, report[theme])
            _shots(page, jupyter.app, theme)
        _gallery_keys(page)
        _menu_and_video_keys(page, code)
        _browser_keys(page)
        _cancel_keeps_focus(page, a11y_emulator)
    finally:
        print(json.dumps(report, indent=1))
        _switch_theme(page, THEMES[0])
