"""What each widget leaves in a saved notebook beside its live view: standalone ``text/html``.

GitHub, nbviewer and ``jupyter nbconvert --to html`` cannot run a widget; they show the
``text/html`` of the same output. It must stand alone (no script, images inlined), say what
the widget showed (code, duration, renditions, stream links, thumbnails), and hold no key or
token. An upload's HTML follows it to its end through its display id.
(The player's own: tests/widgets/test_player.py; every shipped notebook exported:
tests/browser/test_notebooks_run_all.py.)
"""

from __future__ import annotations

import io
import re
import threading
from pathlib import Path
from typing import Any

import pytest
from IPython.core.interactiveshell import InteractiveShell

from sv_widgets.client import Client
from sv_widgets.emulator import Emulator
from sv_widgets.widgets import FileBrowser, Player, ThumbnailGallery, UploadProgress

PRIVATE = "static-private-key-SVMARKER-0123"
DATA_IMAGE = re.compile(r'<img src="data:image/jpeg;base64,[A-Za-z0-9+/=]{100,}"')
# a signed token: base64 "." hex HMAC (the look-behind keeps long base64 images linear)
TOKEN = re.compile(r"(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{20,}\.[0-9a-f]{64}")
VIEW = "application/vnd.jupyter.widget-view+json"


pytestmark = pytest.mark.sv_emulator(accounts={"static": PRIVATE}, conversions="fast")


def converted(client: Client) -> str:
    code = client.upload(io.BytesIO(b"canned conversions"))
    client.convert(code)
    client.wait_for_conversion(code, timeout=60, poll=0.1)
    return code


def bundle_of(widget: Any) -> dict[str, Any]:
    data = widget._repr_mimebundle_()
    data = data[0] if isinstance(data, tuple) else data
    assert VIEW in data  # JupyterLab still draws the live widget
    assert "text/plain" in data
    return dict(data)


def standalone(html: str) -> str:
    assert "<script" not in html
    assert "<style" not in html
    assert PRIVATE not in html
    assert not TOKEN.search(html), TOKEN.search(html)
    return html


def test_gallery_html_shows_the_selected_row_inlined(client: Client) -> None:
    code = converted(client)
    gallery = ThumbnailGallery(client, code)
    assert gallery.wait_idle(30)  # the list and the images
    html = standalone(bundle_of(gallery)["text/html"])
    selected = f"{code}_720_03.jpg"
    assert gallery.value == selected
    assert f"Thumbnails of {code}" in html
    assert f"{selected} (selected)" in html
    assert len(DATA_IMAGE.findall(html)) == 5  # the selected one's row, 720p
    assert f"{code}_360_01.jpg" not in html
    gallery.close()


def test_browser_html_lists_the_page_with_thumbnails_and_links(client: Client) -> None:
    ready = converted(client)
    waiting = client.upload(io.BytesIO(b"not converted"))
    info = client.file_info(ready)
    browser = FileBrowser(client, page_size=50)
    assert browser.wait_idle(30)
    html = standalone(bundle_of(browser)["text/html"])
    assert "File browser · page 1 of 1" in html
    row = re.search(rf"<tr><td>([^\n]*?)</td><td>{ready}</td>(.*?)</tr>", html)
    assert row, html[:500]
    assert DATA_IMAGE.search(row.group(1))
    assert f">{info.duration_text}<" in row.group(2)
    for url in (info.streams.hls, info.streams.mpd, *(r.file for r in info.streams.mp4)):
        assert f'href="{url}"' in row.group(2)
    assert re.search(rf"<td></td><td>{waiting}</td><td></td><td></td><td>not converted", html)
    browser.close()


def test_empty_browser_says_so(client: Client) -> None:
    browser = FileBrowser(client)
    assert browser.wait_idle(30)
    html = standalone(bundle_of(browser)["text/html"])
    assert "No files yet." in html
    browser.close()


class Published:
    """What the kernel would send: each display and each update of a display id."""

    def __init__(self, shell: InteractiveShell) -> None:
        self.messages: list[dict[str, Any]] = []
        self._shell = shell
        self._original = shell.display_pub.publish

    def __enter__(self) -> Published:
        def publish(
            data: Any,
            metadata: Any = None,
            *,
            transient: Any = None,
            update: bool = False,
            **_: Any,
        ) -> None:
            self.messages.append({"data": data, "transient": transient or {}, "update": update})

        self._shell.display_pub.publish = publish
        return self

    def __exit__(self, *_exc: object) -> None:
        self._shell.display_pub.publish = self._original


@pytest.fixture
def shell() -> InteractiveShell:
    return InteractiveShell.instance()


def test_an_upload_replaces_its_html_when_it_ends(
    shell: InteractiveShell, client: Client, sample_clip: Path
) -> None:
    upload = UploadProgress(client, sample_clip, autostart=False, poll_interval=0.1)
    with Published(shell) as published:
        from IPython.display import display

        display(upload)  # what %sv_upload and a cell ending in the widget do
        upload.start()
        code = upload.wait(timeout=120)
    first, *updates = published.messages
    display_id = first["transient"]["display_id"]
    assert VIEW in first["data"]
    assert standalone(first["data"]["text/html"]).endswith("sample.mp4</strong>: idle…</div>")
    assert [m["update"] for m in updates] == [True]
    final = updates[0]
    assert final["transient"]["display_id"] == display_id
    assert final["data"][VIEW] == first["data"][VIEW]  # the same live widget
    html = standalone(final["data"]["text/html"])
    info = client.file_info(code)
    assert f"<strong>{code}</strong>" in html
    assert "uploaded sample.mp4" in html
    assert DATA_IMAGE.search(html)
    assert f'href="{info.streams.mp4[0].file}"' in html
    upload.close()


def test_a_bulk_upload_column_leaves_every_row_and_the_summary(
    shell: InteractiveShell, client: Client, sample_clip: Path
) -> None:
    """%%sv_upload shows compact rows and a summary as one output; it settles once."""
    import ipywidgets

    from sv_widgets.uploads import Upload, UploadOptions
    from sv_widgets.widgets.upload import UploadColumn

    uploads = [Upload(client, sample_clip, UploadOptions(poll_interval=0.1)) for _ in range(2)]
    rows = [UploadProgress.showing(u, compact=True) for u in uploads]
    summary = ipywidgets.HTML("")
    column = UploadColumn(rows, summary)
    with Published(shell) as published:
        from IPython.display import display

        display(column)
        codes = []
        for upload in uploads:
            upload.start()
            codes.append(upload.wait(timeout=120))
        summary.value = "<pre>2 of 2 uploaded.</pre>"
        column.settle()
    first, *updates = published.messages
    assert standalone(first["data"]["text/html"]).count("sample.mp4</strong>: idle…") == 2
    assert [(m["update"], m["transient"]) for m in updates] == [(True, first["transient"])]
    html = standalone(updates[0]["data"]["text/html"])
    for code in codes:
        assert f"<strong>{code}</strong>" in html
    assert len(DATA_IMAGE.findall(html)) == 2
    assert html.endswith("<pre>2 of 2 uploaded.</pre></div>")
    column.close()


def test_a_gallery_html_follows_a_saved_selection(shell: InteractiveShell, client: Client) -> None:
    code = converted(client)
    gallery = ThumbnailGallery(client, code)
    assert gallery.wait_idle(30)  # displayed once loaded: only the saved selection moves it
    with Published(shell) as published:
        from IPython.display import display

        display(gallery)
        gallery.select(f"{code}_480_02.jpg")
        assert gallery.wait_idle(30)
        assert gallery.status == "saved"
        gallery.select(f"{code}_9999_01.jpg")  # refused: the HTML keeps the saved choice
        assert gallery.wait_idle(30)
        assert gallery.status == "error"
    first, *updates = published.messages
    assert f"{code}_720_03.jpg (selected)" in standalone(first["data"]["text/html"])
    assert [(m["update"], m["transient"]) for m in updates] == [(True, first["transient"])]
    html = standalone(updates[0]["data"]["text/html"])
    assert f"{code}_480_02.jpg (selected)" in html
    assert len(DATA_IMAGE.findall(html)) == 5  # now the 480p row
    gallery.close()


def test_a_failed_upload_leaves_its_reason(emulator: Emulator, tmp_path: Path) -> None:
    """(Real conversions: this emulator probes the upload, and refuses text.)"""
    text = tmp_path / "notes.mp4"
    text.write_text("not a video")
    client = emulator.client()
    upload = UploadProgress(client, text, autostart=False, poll_interval=0.1)
    upload.start()
    with pytest.raises(Exception, match="10001"):
        upload.wait(timeout=60)
    html = standalone(bundle_of(upload)["text/html"])
    assert "<strong>notes.mp4</strong>" in html
    assert "[10001]" in html
    upload.close()
    client.close()


@pytest.mark.parametrize(
    ("widget", "call", "loaded"),
    [
        ("gallery", "thumbnails", "{code}_720_03.jpg (selected)"),
        ("player", "file_info", "Player · format"),
        ("browser", "list_files", "<td>{code}</td>"),
    ],
)
def test_a_display_never_waits_for_the_network(
    shell: InteractiveShell, client: Client, widget: str, call: str, loaded: str
) -> None:
    """The widget's first request is held until the display has returned: the display shows
    what is known (loading), and is replaced once, when the widget has loaded."""
    code = converted(client)
    release = threading.Event()
    original = getattr(client, call)

    def held(*args: Any, **kwargs: Any) -> Any:
        assert release.wait(60)
        return original(*args, **kwargs)

    setattr(client, call, held)
    make = {"gallery": ThumbnailGallery, "player": Player, "browser": FileBrowser}[widget]
    shown = make(client) if widget == "browser" else make(client, code)
    with Published(shell) as published:
        from IPython.display import display

        display(shown)
        assert len(published.messages) == 1  # displayed while the request is still held
        release.set()
        assert shown.wait_idle(30)
    first, *updates = published.messages
    assert "loading…" in standalone(first["data"]["text/html"])
    assert [(m["update"], m["transient"]) for m in updates] == [(True, first["transient"])]
    assert loaded.format(code=code) in standalone(updates[0]["data"]["text/html"])
    shown.close()
