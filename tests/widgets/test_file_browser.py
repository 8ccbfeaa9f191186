"""FileBrowser against the real emulator: lazy paging, filter, selection, confirmed delete."""

from __future__ import annotations

import io
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sv_widgets.client import Client
from sv_widgets.emulator import Emulator
from sv_widgets.widgets import FileBrowser, ThumbnailGallery
from sv_widgets.widgets._listing import CodeIndex

pytestmark = pytest.mark.sv_emulator(page_size=5)


@pytest.fixture
def codes(client: Client) -> list[str]:
    """Twelve unconverted files, oldest first (three API pages of five)."""
    made = [client.upload(io.BytesIO(f"file {i}".encode()), ticket=None) for i in range(12)]
    assert list(client.iter_files()) == made
    return made


@pytest.fixture
def browser(client: Client, codes: list[str]) -> Iterator[FileBrowser]:
    b = FileBrowser(client, page_size=4, poll_interval=0)
    assert b.wait_idle(30)
    yield b
    b.close()


def test_first_page_fetches_only_the_api_pages_it_needs(
    browser: FileBrowser, codes: list[str]
) -> None:
    assert browser.codes == codes[:4]
    assert browser.total == 12
    assert browser.status == "ready"
    assert browser._index.fetched_pages == [1, 3]  # rows 0-3 are on page 1; 3 gives the total
    assert browser._page_label.value == "page 1 of 3 · 12 files"
    shown = [row.code for row in browser._rows]
    assert shown == codes[:4]


def test_paging_across_api_pages(browser: FileBrowser, codes: list[str]) -> None:
    browser._next.click()
    assert browser.wait_idle(30)
    assert browser.page == 2
    assert browser.codes == codes[4:8]
    assert browser._index.fetched_pages == [1, 2, 3]
    browser.next_page()
    assert browser.wait_idle(30)
    assert browser.codes == codes[8:12]
    assert browser._next.disabled
    browser.next_page()  # no page 4: stays
    assert browser.page == 3
    browser._prev.click()
    assert browser.wait_idle(30)
    assert browser.codes == codes[4:8]
    assert not browser._prev.disabled


def test_rows_show_placeholders_for_unconverted_files(browser: FileBrowser) -> None:
    row = browser._rows[0]
    assert row.image.layout.display == "none"
    # its checkbox is labelled with the file's code (an unseen description, a real label)
    assert row.checkbox.description == f"Select {row.code}"
    # the placeholder takes the image widget's place, margins included: codes line up
    assert "calc(84px + 2 * var(--jp-widgets-margin, 2px))" in row.text.value
    assert "not converted" in row.fields["placeholder"]
    assert row.fields["duration"] == ""
    assert row.fields["extension"] == ""


def test_filter_by_code(browser: FileBrowser, codes: list[str]) -> None:
    assert browser._filter_text.continuous_update  # filters as one types, not on Enter
    target = codes[9]
    browser._filter_text.value = target[-6:].lower()  # case-insensitive substring
    assert browser.wait_idle(30)
    assert browser.filter == target[-6:].lower()
    assert browser.codes == [target]
    assert browser.total == 1
    assert browser.page == 1
    browser.filter = "no-such-code"
    assert browser.wait_idle(30)
    assert browser.codes == []
    assert "No files match" in browser._message.value
    browser.filter = ""
    assert browser.wait_idle(30)
    assert browser.codes == codes[:4]


def test_delete_selected_after_confirmation(
    browser: FileBrowser, client: Client, codes: list[str]
) -> None:
    browser._rows[0].checkbox.value = True
    browser._rows[2].checkbox.value = True
    assert browser.selected == [codes[0], codes[2]]
    assert browser._delete_button.description == "Delete selected (2)"
    browser._delete_button.click()
    assert browser.confirming
    text = browser._confirm_box.text.value
    assert "Delete 2 files?" in text
    assert codes[0] in text
    assert codes[2] in text
    assert set(client.iter_files()) == set(codes)  # nothing deleted before confirming
    browser._confirm_box.confirm_button.click()
    assert browser.wait_idle(30)
    remaining = list(client.iter_files())
    assert remaining == [c for c in codes if c not in (codes[0], codes[2])]
    assert browser.selected == []
    assert browser.codes == remaining[:4]
    assert browser.total == 10
    assert "Deleted 2 files" in browser._message.value


def test_cancelled_confirmation_deletes_nothing(
    browser: FileBrowser, client: Client, codes: list[str]
) -> None:
    browser.select_page(True)
    browser.request_delete()
    assert browser.confirming
    assert "Delete 4 files?" in browser._confirm_box.text.value
    browser._confirm_box.cancel_button.click()
    assert not browser.confirming
    assert browser._confirm_box.layout.display == "none"
    assert browser.wait_idle(30)
    assert list(client.iter_files()) == codes
    assert "Nothing was deleted" in browser._message.value
    with pytest.raises(RuntimeError, match="request_delete"):
        browser.confirm_delete()


def test_page_checkbox_selects_the_visible_rows(browser: FileBrowser, codes: list[str]) -> None:
    browser._page_box.value = True
    assert browser.selected == codes[:4]
    assert all(row.checkbox.value for row in browser._rows)
    browser.next_page()
    assert browser.wait_idle(30)
    assert browser._page_box.value is False  # page 2 is not selected; page 1 stays selected
    assert browser.selected == codes[:4]
    browser._rows[1].checkbox.value = True
    assert browser.selected == [*codes[:4], codes[5]]


def test_delete_is_all_or_nothing(browser: FileBrowser, client: Client, codes: list[str]) -> None:
    browser.set_selected(codes[0], True)
    browser.set_selected(codes[1], True)
    client.delete([codes[1]])  # gone behind the browser's back
    browser.request_delete()
    browser.confirm_delete()
    assert browser.wait_idle(30)
    assert browser.status == "error"
    assert browser.error.startswith("[404]")
    assert "Nothing was deleted" in browser._message.value
    assert codes[0] in set(client.iter_files())


def test_changing_selection_withdraws_the_confirmation(
    browser: FileBrowser, codes: list[str]
) -> None:
    browser.set_selected(codes[0], True)
    browser.request_delete()
    browser.set_selected(codes[1], True)  # the confirmation named one file: it must go
    assert not browser.confirming


def test_nothing_selected_asks_to_tick_first(browser: FileBrowser) -> None:
    browser.request_delete()
    assert not browser.confirming
    assert "Nothing selected" in browser._message.value


def test_details_of_an_unconverted_file(browser: FileBrowser, codes: list[str]) -> None:
    browser._rows[0].open_button.click()
    row = browser._rows[0]
    assert row.details_open
    assert "not converted" in row.details.children[0].value
    assert row.details.children[0].value.count("onvert") == 1  # said once, not twice
    browser.toggle_details(codes[0])
    assert not row.details_open
    with pytest.raises(ValueError, match="not on the current page"):
        browser.toggle_details(codes[11])


@pytest.mark.sv_emulator(page_size=5, conversions="manual")
def test_convert_action_converts_a_file_and_its_row_follows(
    emu: Emulator, client: Client, codes: list[str]
) -> None:
    browser = FileBrowser(client, page_size=4, poll_interval=0.05)
    assert browser.wait_idle(30)
    browser.toggle_details(codes[0])
    (_text, button) = browser._rows[0].details.children
    assert button.description == "Convert"
    button.click()
    deadline = time.monotonic() + 60
    while "converting" not in browser._rows[0].fields["placeholder"]:
        assert time.monotonic() < deadline, browser._rows[0].fields
        time.sleep(0.05)
    assert not browser._rows[0].details_open  # the details of a file no longer waiting close
    emu.set_conversion(codes[0], state="ready")
    while browser._rows[0].fields["duration"] == "":
        assert time.monotonic() < deadline, browser._rows[0].fields
        time.sleep(0.05)
    browser.convert(codes[0])  # twice: the service's refusal is shown, nothing breaks
    assert browser.wait_idle(30)
    assert browser.error.startswith("[100031]")
    browser.close()


@pytest.mark.slow
@pytest.mark.sv_emulator(page_size=2000)
def test_converted_row_shows_thumbnail_details_and_gallery(
    client: Client, sample_clip: Path
) -> None:
    code = client.upload(sample_clip)
    client.convert(code)
    client.wait_for_conversion(code, timeout=120, poll=0.2)
    browser = FileBrowser(client)
    assert browser.wait_idle(30)
    row = browser._rows[0]
    assert row.code == code
    assert bytes(row.image.value).startswith(b"\xff\xd8")
    assert row.image.layout.display == ""
    assert row.fields["placeholder"] == ""
    assert row.fields["duration"] == "0:03"
    assert row.fields["extension"] == "mp4"
    assert "360p" in row.fields["renditions"]
    browser.toggle_details(code)
    html, gallery = row.details.children
    assert code in html.value
    assert isinstance(gallery, ThumbnailGallery)
    assert gallery.wait_idle(30)
    assert gallery.images
    browser.close()
    assert gallery.comm is None  # closing the browser closed the gallery


def test_code_index_fetches_pages_lazily(client: Client, codes: list[str]) -> None:
    index = CodeIndex(client.list_files)
    window = index.window(0, 3)
    assert window.codes == tuple(codes[:3])
    assert window.total is None  # counting needs the last page: not fetched for the rows
    assert window.has_next
    assert index.fetched_pages == [1]
    assert index.count() == 12
    assert index.fetched_pages == [1, 3]
    assert index.window(0, 3).total == 12
    assert index.window(9, 20).codes == tuple(codes[9:])
    found = index.window(0, 5, codes[7][-6:])
    assert found.codes == (codes[7],)
    assert found.total == 1
    assert not found.has_next
    assert index.count(codes[7][-6:]) == 1
    assert index.count("zzzzzzzzz") == 0


def test_first_page_requests_every_row_at_once(
    client: Client, codes: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """After the listing, every visible row's info and thumbnail are in flight together.

    Each request waits at a barrier that only opens when all ten (five rows, two requests
    each) have arrived: fetched one after another, the barrier would break instead. How fast
    that is lives in benchmarks/bench_browser.py, not here.
    """
    barrier = threading.Barrier(10, timeout=60)
    for name in ("file_info", "thumbnail_image"):
        original = getattr(client, name)

        def gathered(*args: Any, _original: Any = original, **kwargs: Any) -> Any:
            barrier.wait()
            return _original(*args, **kwargs)

        monkeypatch.setattr(client, name, gathered)
    browser = FileBrowser(client, page_size=5, poll_interval=0)  # one API page of rows
    assert browser.wait_idle(90)
    assert not barrier.broken
    assert browser.error == ""
    assert all("not converted" in row.fields["placeholder"] for row in browser._rows)
    browser.close()


def test_close_stops_work_and_closes_every_child(client: Client, codes: list[str]) -> None:
    browser = FileBrowser(client, page_size=4, poll_interval=0)
    assert browser.wait_idle(30)
    browser.toggle_details(codes[0])
    browser.close()
    assert browser._rows[0].checkbox.comm is None
    assert browser._delete_button.comm is None
    with pytest.raises(RuntimeError, match="closed"):
        browser.refresh()


@pytest.mark.slow
@pytest.mark.sv_emulator(page_size=2000)
def test_converting_row_shows_percent_then_becomes_ready(client: Client, sample_clip: Path) -> None:
    code = client.upload(sample_clip)
    client.convert(code)
    browser = FileBrowser(client, poll_interval=0.1)
    deadline = time.monotonic() + 30
    while not browser._rows:  # rows are built once the first requests are out
        assert time.monotonic() < deadline
        time.sleep(0.01)
    row = browser._rows[0]
    shown: list[str] = []
    row.text.observe(lambda c: shown.append(c["new"]), names="value")
    deadline = time.monotonic() + 60
    while row.fields["duration"] != "0:03":
        assert time.monotonic() < deadline, shown
        time.sleep(0.05)
    assert any(re.search(r"converting \d+%", text) for text in shown), shown
    assert browser.wait_idle(30)
    assert bytes(row.image.value).startswith(b"\xff\xd8")
    assert row.fields["placeholder"] == ""
    browser.close()
