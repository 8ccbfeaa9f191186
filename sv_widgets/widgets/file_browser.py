"""``FileBrowser``: the account's files as rows, with paging, a filter and a safe delete.

Only what is visible is fetched: the API pages the current rows come from (see
:mod:`~sv_widgets.widgets._listing`), then, for every visible row at once, its info and its
small thumbnail in parallel, so the first page shows after about two request times.
"""

from __future__ import annotations

import html
import math
import threading
from typing import TYPE_CHECKING, Any

import ipywidgets as W
from traitlets import Bool, Int, List, Unicode, observe

from sv_widgets.display import files_table_html, format_duration, format_renditions, image_src
from sv_widgets.errors import SpareVideosError, summarize
from sv_widgets.models import FileStatus
from sv_widgets.widgets._access import AccessHelper, mark_accessible
from sv_widgets.widgets._confirm import DeleteConfirmation
from sv_widgets.widgets._listing import CodeIndex, Window
from sv_widgets.widgets._rows import COLUMNS, FileRow
from sv_widgets.widgets._static import StaticHTML
from sv_widgets.widgets._tasks import Quiet, Runner, close_descendants, set_traits
from sv_widgets.widgets.gallery import ThumbnailGallery
from sv_widgets.wire import MIN_THUMBNAIL_HEIGHT

if TYPE_CHECKING:
    from sv_widgets.client import Client

__all__ = ["FileBrowser"]


class FileBrowser(StaticHTML, W.VBox):  # type: ignore[misc]
    """Browse, inspect and delete the account's files.

    Parameters
    ----------
    client
        The :class:`~sv_widgets.client.Client` to list, read and delete through.
    page_size
        Rows per page.
    poll_interval
        Seconds between refreshes of visible rows that are still converting.

    Attributes
    ----------
    page : int
        The 1-based page shown; set it to move.
    filter : str
        Show only codes containing this (case-insensitive); set it to filter.
    codes : list of str
        Codes on the current page, oldest first.
    total : int or None
        Number of (matching) files, ``None`` while unknown.
    selected : list of str
        Codes ticked for deletion (kept across pages).
    confirming : bool
        Whether the delete confirmation is showing.
    status, error : str
        What the browser is doing or did; the last error as ``"[code] message"``.

    Examples
    --------
    >>> browser = FileBrowser(client, page_size=10)   # doctest: +SKIP
    >>> browser.filter = "11PY"                       # doctest: +SKIP
    >>> browser.select_page(True); browser.request_delete()   # doctest: +SKIP
    >>> browser.confirm_delete()                      # doctest: +SKIP
    """

    page = Int(1)
    filter = Unicode("")
    codes = List(Unicode())
    total = Int(None, allow_none=True)
    selected = List(Unicode())
    confirming = Bool(False)
    status = Unicode("")
    error = Unicode("")

    def __init__(self, client: Client, *, page_size: int = 24, poll_interval: float = 3.0) -> None:
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        self._client = client
        self.page_size = page_size
        self._poll_interval = poll_interval
        self._runner = Runner(
            min(64, 2 * page_size + 2),
            "sv-browser",
            on_error=self._show_error,
            on_idle=self._settle_static,
        )
        self._lock = threading.RLock()
        self._quiet = Quiet()
        self._generation = 0
        self._index = CodeIndex(client.list_files)
        self._data: dict[str, FileStatus] = {}
        self._thumbs: dict[str, bytes] = {}
        self._timers: list[threading.Timer] = []
        self._notice = ""
        self._rows: list[FileRow] = []
        self._rows_lock = threading.Lock()
        self._to_dispatch = 0  # first-page requests not yet handed to the client
        self._dispatched = threading.Event()
        super().__init__([*self._build(), AccessHelper()])
        self.add_class("sv-file-browser")
        mark_accessible(self)
        self.refresh()

    def _build(self) -> list[W.Widget]:
        self._filter_text = W.Text(
            description="Filter",
            placeholder="by code",
            continuous_update=True,
            style={"description_width": "initial"},
        )
        self._filter_text.observe(lambda c: setattr(self, "filter", c["new"]), names="value")
        self._refresh_button = W.Button(description="Refresh", icon="refresh")
        self._refresh_button.on_click(lambda _b: self.refresh())
        self._delete_button = W.Button(
            description="Delete selected", icon="trash", button_style="danger", disabled=True
        )
        self._delete_button.on_click(lambda _b: self.request_delete())
        self._delete_button.layout.width = "auto"  # "Delete selected (12)" must not be cut
        # Where focus goes when the control holding it goes (a confirmation, a page's end).
        self._delete_button.add_class("sv-focus-fallback")
        self._refresh_button.add_class("sv-focus-fallback")
        self._confirm_box = DeleteConfirmation(self.confirm_delete, self.cancel_delete)
        self._message = W.HTML("")
        self._message.add_class("sv-live")
        self._page_box = W.Checkbox(
            value=False,
            indent=False,
            layout=W.Layout(width="28px"),
            description="Select every file on this page",
            description_allow_html=False,
        )
        self._page_box.add_class("sv-named-box")
        self._page_box.observe(
            lambda c: None if self._quiet.active else self.select_page(c["new"]), names="value"
        )
        heads = [
            W.HTML(f"<b>{t}</b>", layout=W.Layout(width=w, flex="0 0 auto")) for t, w in COLUMNS
        ]
        self._rows_box = W.VBox([])  # filled with the rows right after the first requests
        self._prev = W.Button(description="Previous", icon="arrow-left", disabled=True)
        self._next = W.Button(description="Next", icon="arrow-right", disabled=True)
        self._prev.on_click(lambda _b: self.prev_page())
        self._next.on_click(lambda _b: self.next_page())
        self._page_label = W.Label("")
        pager = W.HBox([self._prev, self._page_label, self._next])
        pager.layout.align_items = "center"
        toolbar = W.HBox([self._filter_text, self._refresh_button, self._delete_button])
        header = W.HBox([self._page_box, *heads])
        return [toolbar, self._confirm_box, self._message, header, self._rows_box, pager]

    # -- navigation ---------------------------------------------------------------------
    def refresh(self) -> None:
        """List the files again from the service and redraw the current page."""
        with self._lock:
            self._index = CodeIndex(self._client.list_files)
            self._data.clear()
            self._thumbs.clear()
        self._reload()

    def next_page(self) -> None:
        """Show the next page, if any."""
        if self._next_exists:
            self.page += 1

    def prev_page(self) -> None:
        """Show the previous page, if any."""
        if self.page > 1:
            self.page -= 1

    @observe("page")
    def _page_changed(self, change: Any) -> None:
        if change["new"] < 1:
            self.page = 1
        elif not self._quiet.active:
            self._reload()

    @observe("filter")
    def _filter_changed(self, change: Any) -> None:
        set_traits(self._filter_text, value=change["new"])
        with self._quiet():
            self.page = 1
        self._reload()

    def _reload(self) -> None:
        with self._lock:
            self._generation += 1
            generation = self._generation
            for timer in self._timers:
                timer.cancel()
            self._timers.clear()
        set_traits(self, status="loading", error="")
        self._draw_message("Loading…")
        self._runner.submit(self._load_page, generation, self.page, self.filter)

    def _load_page(self, generation: int, page: int, needle: str) -> None:
        start = (page - 1) * self.page_size
        try:
            window = self._index.window(start, start + self.page_size, needle)
        except SpareVideosError as exc:
            set_traits(self, status="error", error=summarize(exc))
            self._draw_message(f"Could not list files: {summarize(exc)}", error=True)
            return
        if generation != self._generation:
            return
        if not window.codes and page > 1:
            total = self._index.count(needle)  # the page emptied (deletes): go to the last one
            with self._quiet():
                self.page = max(1, math.ceil(total / self.page_size))
            self._reload()
            return
        missing = [code for code in window.codes if code not in self._data]
        first = not self._rows
        if first:
            with self._lock:
                self._to_dispatch = 2 * len(missing)
            if not missing:
                self._dispatched.set()
        for code in missing:
            self._runner.submit(self._load_info, generation, code)
            self._runner.submit(self._load_thumbnail, generation, code)
        if first:
            # Let the first page's requests leave before building the rows: built at the
            # same time, the rows took the GIL from the threads sending them and the last
            # request left late (benchmarks/results.md). Building now fills the round trip.
            self._dispatched.wait(0.25)
        self._ensure_rows()
        self._show_window(window)  # draws whatever has arrived; later arrivals draw themselves
        if window.total is None:  # alongside the rows, never before them
            self._runner.submit(self._load_total, generation, needle)

    def _ensure_rows(self) -> None:
        """Build the page's rows on first use, after the first requests went out.

        A row is a few widgets; built in the constructor they would delay the first
        requests. Built here, once those requests are in flight, they fill the round trip.
        """
        with self._rows_lock:
            if self._rows:
                return
            rows = [FileRow(self.set_selected, self.toggle_details) for _ in range(self.page_size)]
            self._rows_box.children = rows
            self._rows = rows

    def _load_total(self, generation: int, needle: str) -> None:
        total = self._index.count(needle)
        if generation == self._generation:
            self._draw_pager(total, self.page * self.page_size < total)

    def _show_window(self, window: Window) -> None:
        chosen = set(self.selected)
        for row, code in zip(self._rows, [*window.codes, *[""] * self.page_size], strict=False):
            row.show(code, code in chosen)
            if code in self._data or code in self._thumbs:
                row.draw(self._data.get(code), self._thumbs.get(code))
        set_traits(self, codes=list(window.codes), status="ready")
        self._sync_page_box()
        self._draw_pager(window.total, window.has_next)
        empty = "No files match this filter." if self.filter else "No files yet."
        notice, self._notice = self._notice, ""  # e.g. "Deleted 2 files." outlives the reload
        self._draw_message(" ".join(t for t in (notice, "" if window.codes else empty) if t))

    def _draw_pager(self, total: int | None, has_next: bool) -> None:
        self._next_exists = has_next
        set_traits(self, total=total)
        set_traits(self._prev, disabled=self.page <= 1)
        set_traits(self._next, disabled=not has_next)
        if total is None:
            text = f"page {self.page} · counting…"
        else:
            count = max(1, math.ceil(total / self.page_size))
            noun = ("match", "matches") if self.filter else ("file", "files")
            text = f"page {self.page} of {count} · {total} {noun[total != 1]}"
        set_traits(self._page_label, value=text)

    _next_exists = False

    # -- rows ---------------------------------------------------------------------------
    def _dispatching(self) -> None:
        with self._lock:
            if self._to_dispatch > 0:
                self._to_dispatch -= 1
                if self._to_dispatch == 0:
                    self._dispatched.set()

    def _load_info(self, generation: int, code: str) -> None:
        self._dispatching()
        try:
            data = FileStatus.from_info(self._client.file_info(code))
        except SpareVideosError as exc:
            data = FileStatus.from_error(exc)
        with self._lock:
            if generation != self._generation:
                return
            self._data[code] = data
            if data.state == "converting" and self._poll_interval > 0:
                timer = threading.Timer(self._poll_interval, self._repoll, (generation, code))
                timer.daemon = True
                self._timers.append(timer)
                timer.start()
        self._draw_row(code)

    def _repoll(self, generation: int, code: str) -> None:
        if generation == self._generation:
            self._runner.submit(self._load_info, generation, code)
            self._runner.submit(self._load_thumbnail, generation, code)

    def _load_thumbnail(self, generation: int, code: str) -> None:
        self._dispatching()
        try:
            image = self._client.thumbnail_image(code, size=MIN_THUMBNAIL_HEIGHT)
        except SpareVideosError:
            return  # not converted yet, or failed: the placeholder says which
        with self._lock:
            if generation != self._generation:
                return
            self._thumbs[code] = image
        self._draw_row(code)

    def _draw_row(self, code: str) -> None:
        for row in self._rows:
            if row.code == code:
                row.draw(self._data.get(code), self._thumbs.get(code))

    # -- selection ----------------------------------------------------------------------
    def set_selected(self, code: str, checked: bool) -> None:
        """Tick (``True``) or untick a code for deletion."""
        current = [c for c in self.selected if c != code]
        self.selected = [*current, code] if checked and code else current

    def select_page(self, checked: bool) -> None:
        """Tick or untick every row of the current page."""
        page = set(self.codes)
        rest = [c for c in self.selected if c not in page]
        self.selected = [*rest, *self.codes] if checked else rest

    @observe("selected")
    def _selected_changed(self, change: Any) -> None:
        chosen = set(change["new"])
        for row in self._rows:
            if row.code:
                row.set_checked(row.code in chosen)
        self._sync_page_box()
        count = len(chosen)
        self._delete_button.disabled = count == 0
        self._delete_button.description = (
            f"Delete selected ({count})" if count else "Delete selected"
        )
        if self.confirming:
            self.cancel_delete()  # the confirmation must name exactly what will go

    def _sync_page_box(self) -> None:
        with self._quiet():
            set_traits(
                self._page_box, value=bool(self.codes) and set(self.codes) <= set(self.selected)
            )

    # -- delete -------------------------------------------------------------------------
    def request_delete(self) -> None:
        """Show the confirmation naming how many and which files would be deleted."""
        codes = list(self.selected)
        if not codes:
            self._draw_message("Nothing selected: tick the files to delete first.")
            return
        self._confirm_box.ask(codes)
        self.confirming = True

    def cancel_delete(self) -> None:
        """Close the confirmation; nothing is deleted."""
        if self.confirming:
            self.confirming = False
            self._confirm_box.hide()
            self._draw_message("Nothing was deleted.")

    def confirm_delete(self) -> None:
        """Delete the selected files (all or nothing, in the background), then refresh."""
        if not self.confirming:
            raise RuntimeError("call request_delete() first: deleting needs a confirmation")
        codes = list(self.selected)
        self.confirming = False
        self._confirm_box.hide()
        set_traits(self, status="deleting")
        self._draw_message(f"Deleting {len(codes)} file{'s' if len(codes) != 1 else ''}…")
        self._runner.submit(self._delete, codes)

    def _delete(self, codes: list[str]) -> None:
        try:
            self._client.delete(codes)
        except SpareVideosError as exc:
            set_traits(self, status="error", error=summarize(exc))
            self._draw_message(f"Nothing was deleted: {html.escape(summarize(exc))}", error=True)
            return
        gone = set(codes)
        self.selected = [c for c in self.selected if c not in gone]
        self._notice = f"Deleted {len(codes)} file{'s' if len(codes) != 1 else ''}."
        self.refresh()

    # -- details ------------------------------------------------------------------------
    def toggle_details(self, code: str) -> None:
        """Show (or hide, if shown) a file's details and thumbnail gallery below its row."""
        row = next((r for r in self._rows if r.code == code and code), None)
        if row is None:
            raise ValueError(f"{code!r} is not on the current page")
        if row.details_open:
            row.close_details()
            return
        for other in self._rows:
            if other.details_open:
                other.close_details()
        data = self._data.get(code)
        if data is None or data.info is None:
            row.open_details(self._status_details(code, data))
            return
        gallery = ThumbnailGallery(self._client, code)
        gallery.observe(
            lambda _c: self._runner.submit(self._load_thumbnail, self._generation, code),
            names="saving",
        )
        row.open_details([W.HTML(data.info._repr_html_()), gallery])

    def _status_details(self, code: str, data: FileStatus | None) -> list[W.Widget]:
        """What the details area says of a file that has no info to show (yet)."""
        if data is None:
            return [W.HTML("<i>Still loading.</i>")]
        if data.state == "not converted":
            button = W.Button(description="Convert", icon="play", button_style="primary")
            button.on_click(lambda _b: self.convert(code))
            text = "This file is not converted: no conversion has been requested."
            return [W.HTML(f"<i>{text}</i>"), button]
        text = {
            "converting": f"{data.label.capitalize()} on the service.",
            "failed": f"Conversion failed: {data.message}. Delete it, or upload it again.",
        }.get(data.state, f"Could not read it: {data.message}.")
        return [W.HTML(f"<i>{html.escape(text)}</i>")]

    def convert(self, code: str, *, sd_only: bool = False, mp4_only: bool = False) -> None:
        """Request the conversion of a file that has none yet; its row then follows it."""
        self._runner.submit(self._convert, self._generation, code, sd_only, mp4_only)

    def _convert(self, generation: int, code: str, sd_only: bool, mp4_only: bool) -> None:
        try:
            self._client.convert(code, sd_only=sd_only, mp4_only=mp4_only)
        except SpareVideosError as exc:
            set_traits(self, error=summarize(exc))
            self._draw_message(
                f"Could not convert {code}: {html.escape(summarize(exc))}", error=True
            )
            return
        for row in self._rows:
            if row.code == code:
                row.close_details()
        self._load_info(generation, code)

    # -- plumbing -----------------------------------------------------------------------
    def wait_idle(self, timeout: float | None = 30) -> bool:
        """Block until listing and row loading are done; ``False`` if ``timeout`` passed."""
        return self._runner.wait_idle(timeout)

    def __repr__(self) -> str:
        return f"<FileBrowser: {len(self.codes)} files, {len(self.selected)} selected>"

    # -- static output ------------------------------------------------------------------
    def _static_state(self) -> bool | None:
        """Loaded (the HTML is shown again once, when the first page has arrived)."""
        return True if self._runner.idle else None

    def _static_html(self) -> str:
        """What a saved notebook shows: the page's files with thumbnails and stream links."""
        with self._lock:
            data = {code: self._data.get(code) for code in self.codes}
            thumbs = {code: self._thumbs.get(code) for code in self.codes}
        rows = [_static_row(code, data[code], thumbs[code]) for code in self.codes]
        caption = self._page_label.value or "Files"
        if not self.codes and not self._runner.idle:
            caption += " · loading…"
        elif not self.codes:
            caption += " · No files match this filter." if self.filter else " · No files yet."
        return files_table_html(f"File browser · {caption}", rows)

    def close(self) -> None:
        """Stop background work and close the widget and its rows."""
        with self._lock:
            self._generation += 1
            for timer in self._timers:
                timer.cancel()
        self._runner.shutdown()
        for row in self._rows:
            row.close_details()
        close_descendants(self)
        super().close()

    def _draw_message(self, text: str, *, error: bool = False) -> None:
        kind = "sv-error-text" if error else "sv-muted-text"
        set_traits(self._message, value=f'<span class="{kind}">{text}</span>' if text else "")

    def _show_error(self, exc: BaseException) -> None:
        set_traits(self, status="error", error=summarize(exc))
        self._draw_message(f"Unexpected error: {html.escape(summarize(exc))}", error=True)


def _static_row(
    code: str, data: FileStatus | None, thumbnail: bytes | None
) -> tuple[str | None, str, str, str, str, list[tuple[str, str]]]:
    """One file as :func:`~sv_widgets.display.files_table_html` takes it."""
    info = data.info if data is not None else None
    if info is None:
        state = "loading" if data is None else f"{data.label} {data.message}".strip()
        return None, code, "", "", state, []
    s = info.streams
    links = [(label, url) for label, url in (("HLS", s.hls), ("DASH", s.mpd)) if url]
    names = {"mp4": "MP4", "webm": "WebM"}
    links += [(f"{names[kind]} {r.label}p", r.file) for kind, r in s.progressive()]
    image = image_src(thumbnail, None) if data is not None and data.state == "ready" else None
    renditions = format_renditions([r.label for r in s.mp4])
    return image, code, format_duration(info.playtime), info.extension, renditions, links
