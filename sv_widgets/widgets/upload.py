"""``UploadProgress``: an upload's progress bar, from the first byte to a playable file.

The widget is a view: an :class:`~sv_widgets.uploads.Upload` does the work in a background
thread and writes its :class:`~sv_widgets.uploads.UploadState`; this module draws that
state and turns button clicks into calls on the upload. The state's traits are mirrored on
the widget (``up.phase``, ``up.progress``...), so they can be read and observed here too.
Nothing synced to the front end holds the upload token or a key.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import anywidget
import ipywidgets as W
from traitlets import Bool, Float, Int, Unicode, dlink

from sv_widgets.display import format_bytes, format_duration
from sv_widgets.errors import UploadCancelled
from sv_widgets.uploads import (
    CANCEL_BUTTON,
    TERMINAL_PHASES,
    Upload,
    UploadOptions,
    run_text,
    status_line,
)
from sv_widgets.widgets._access import AccessHelper, ProgressBar, mark_accessible
from sv_widgets.widgets._static import StaticHTML
from sv_widgets.widgets._styles import stylesheet
from sv_widgets.widgets._tasks import close_descendants, set_traits
from sv_widgets.widgets._upload_view import announcement, detail_text, upload_html

if TYPE_CHECKING:
    from sv_widgets.client import Client
    from sv_widgets.models import FileInfo

__all__ = ["CancelButton", "UploadCancelled", "UploadProgress"]

_MIRRORED = (
    "phase",
    "progress",
    "file_code",
    "error",
    "error_code",
    "state",
    "name",
    "sent",
    "total",
    "rate",
    "eta",
)
_BAR_STYLES = {"ready": "success", "failed": "danger", "cancelled": "warning"}
_STATIC = Path(__file__).parent / "static"


class CancelButton(anywidget.AnyWidget):
    """The Cancel button of an upload row.

    A click sends ``cancel`` to the kernel. While a cell is blocked waiting for the upload
    (``interrupt`` set), the kernel reads no widget message until the cell ends, so the click
    also interrupts the kernel through the page's kernel connection; the waiting magic turns
    that into a clean cancel.

    Examples
    --------
    >>> clicked = []
    >>> button = CancelButton(description="Cancel")
    >>> button.on_click(lambda: clicked.append(True)); button.click(); clicked
    [True]
    """

    _esm = _STATIC / "cancel.js"
    _css = stylesheet("cancel")

    description = Unicode("Cancel").tag(sync=True)
    disabled = Bool(False).tag(sync=True)
    interrupt = Bool(False).tag(sync=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._handlers: list[Callable[[], None]] = []
        self.on_msg(self._on_msg)

    def on_click(self, handler: Callable[[], None]) -> None:
        """Call ``handler()`` on every click."""
        self._handlers.append(handler)

    def click(self) -> None:
        """Act as if the button were clicked."""
        for handler in self._handlers:
            handler()

    def _on_msg(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if isinstance(content, dict) and content.get("type") == CANCEL_BUTTON:
            self.click()


class UploadProgress(StaticHTML, W.VBox):  # type: ignore[misc]
    """Upload a file (or have the service fetch a URL), convert it, and show every step.

    Parameters
    ----------
    client
        The :class:`~sv_widgets.client.Client` to upload with (never built here).
    source
        A local path, a binary file object, or an ``http(s)://`` URL the service fetches
        (``client.upload_remote``; progress is polled).
    convert
        Request conversion once uploaded. ``False`` ends in ``ready`` right after the upload.
    sd_only, mp4_only
        Conversion options (no rendition above 480p; mp4 only).
    wait
        Wait for the conversion to finish (``ready`` means playable). ``False`` ends in
        ``ready`` once conversion is requested.
    autostart
        Start at once in a background thread (the default), so that displaying the widget
        shows live progress; ``False`` waits for :meth:`start`.
    poll_interval
        Seconds between conversion-status polls.

    Attributes
    ----------
    phase, progress, file_code, error, error_code, state
        Observable traits (``progress`` is 0..1 within the phase; ``state`` is a sentence on
        where the file stands, e.g. ``"cancelled: nothing was stored"``).
    info
        The :class:`~sv_widgets.models.FileInfo` once converted, else ``None``.
    upload
        The :class:`~sv_widgets.uploads.Upload` this widget draws.

    Examples
    --------
    >>> up = UploadProgress(client, "clip.mp4")          # doctest: +SKIP
    >>> up                                               # doctest: +SKIP
    >>> code = up.wait(timeout=600)                      # doctest: +SKIP

    In a terminal, :meth:`run_text` prints progress lines instead of drawing a widget.
    """

    phase = Unicode("idle")
    progress = Float(0.0)
    file_code = Unicode("")
    error = Unicode("")
    error_code = Int(None, allow_none=True)
    state = Unicode("")
    name = Unicode("")
    sent = Int(0)
    total = Int(0)
    rate = Float(None, allow_none=True)
    eta = Float(None, allow_none=True)

    def __init__(
        self,
        client: Client,
        source: Any,
        *,
        convert: bool = True,
        sd_only: bool = False,
        mp4_only: bool = False,
        wait: bool = True,
        autostart: bool = True,
        poll_interval: float = 1.0,
    ) -> None:
        options = UploadOptions(
            convert=convert,
            sd_only=sd_only,
            mp4_only=mp4_only,
            wait=wait,
            poll_interval=poll_interval,
        )
        self._attach(Upload(client, source, options))
        if autostart:
            self.start()

    @classmethod
    def showing(cls, upload: Upload, *, compact: bool = False) -> UploadProgress:
        """A widget drawing an existing :class:`~sv_widgets.uploads.Upload` (not started here).

        ``compact`` draws one line (name, bar, figures, buttons, code) with the rest behind a
        Details toggle: bulk uploads show one such row per file.

        Examples
        --------
        >>> from sv_widgets.uploads import Upload        # doctest: +SKIP
        >>> UploadProgress.showing(Upload(client, "clip.mp4"))   # doctest: +SKIP
        """
        view = cls.__new__(cls)
        view._attach(upload, compact=compact)
        return view

    def _attach(self, upload: Upload, *, compact: bool = False) -> None:
        self.upload = upload
        self._compact = compact
        self._title = W.HTML("")
        self._bar = ProgressBar(value=0.0, bar_style="info")
        self._bar.layout.width = "100%"
        self._detail = W.Label("")
        self._message = W.HTML("")
        self._cancel_button = CancelButton(description="Cancel")
        self._retry_button = W.Button(description="Retry", icon="redo", button_style="primary")
        self._cancel_button.on_click(self.cancel)
        self._retry_button.on_click(lambda _b: self.retry())
        self._retry_button.layout.display = "none"
        self._thumbnail = W.Image(format="jpeg")
        self._thumbnail.layout.height = "90px"
        self._result = W.HTML("")
        self._result_box = W.HBox([self._thumbnail, self._result])
        self._result_box.layout.display = "none"
        super().__init__([*self._layout(compact), AccessHelper()])
        self.add_class("sv-upload-progress")
        mark_accessible(self)
        state = upload.state
        for name in _MIRRORED:
            dlink((state, name), (self, name))
        state.observe(lambda _c: self._draw(), names="revision")
        state.observe(lambda _c: self._settle_static(), names="revision")
        self._draw()

    def _layout(self, compact: bool) -> list[W.Widget]:
        buttons = [self._cancel_button, self._retry_button]
        if not compact:
            bar_line = W.HBox([self._bar, *buttons])
            return [self._title, bar_line, self._detail, self._message, self._result_box]
        self._title.layout.width = "220px"
        self._bar.layout.width = "160px"
        self._detail.layout.width = "260px"
        self._details_button = W.ToggleButton(description="Details", icon="info")
        self._details_button.add_class("sv-details-button")
        self._details_box = W.VBox([self._message, self._result_box])
        self._details_box.layout.display = "none"
        self._details_button.observe(self._toggle_details, names="value")
        line = W.HBox([self._title, self._bar, self._detail, *buttons, self._details_button])
        line.layout.align_items = "center"
        self.add_class("sv-upload-row")
        return [line, self._details_box]

    def _toggle_details(self, change: Any) -> None:
        self._details_box.layout.display = "" if change["new"] else "none"

    def waiting(self, blocked: bool) -> None:
        """Say whether a cell is blocked waiting for this upload (Cancel then interrupts it)."""
        set_traits(self._cancel_button, interrupt=blocked)

    # -- public actions -----------------------------------------------------------------
    @property
    def info(self) -> FileInfo | None:
        """The converted file's info, once ``ready`` after a conversion."""
        info: FileInfo | None = self.upload.state.info
        return info

    def start(self) -> None:
        """Start (or restart after a failure or cancel) in a background thread.

        Raises ``RuntimeError`` if an attempt is already running.
        """
        self.upload.start()

    def cancel(self) -> None:
        """Stop the upload cleanly; ``state`` then says where the file was left."""
        if self.upload.running and not self.upload.state.finished:
            self.upload.cancel()
            set_traits(self._detail, value="cancelling…")
            set_traits(self._cancel_button, disabled=True)

    def retry(self) -> None:
        """Run the whole upload again (after a failure or a cancel)."""
        self.upload.retry()

    def wait(self, timeout: float | None = None) -> str:
        """Block until the upload ends; return the file code.

        Raises as :meth:`sv_widgets.uploads.Upload.wait` does: the upload's error (with the
        API's code), :class:`UploadCancelled`, or ``TimeoutError``.
        """
        return self.upload.wait(timeout)

    def close(self) -> None:
        """Close the widget; a running upload is cancelled first (closing means "stop")."""
        self.cancel()
        close_descendants(self)
        super().close()

    @classmethod
    def run_text(
        cls, client: Client, source: Any, *, stream: IO[str] | None = None, **options: Any
    ) -> str:
        """Upload with plain-text progress (terminals, logs, no widget front end).

        Takes the same options as the constructor (but ``autostart``); builds no widget.
        Returns the file code or raises as :meth:`wait` does. Ctrl-C cancels cleanly.

        Examples
        --------
        >>> code = UploadProgress.run_text(client, "clip.mp4")   # doctest: +SKIP
        clip.mp4: uploading 25% (25.0 MB of 100 MB) 48.2 MB/s 2 s left
        ...
        """
        return run_text(client, source, UploadOptions(**options), stream=stream)

    # -- state -> view ------------------------------------------------------------------
    def _draw(self) -> None:
        state = self.upload.state
        phase = state.phase
        size = f" · {format_bytes(state.total)}" if state.total else ""
        set_traits(self._title, value=f"<b>{html.escape(state.name)}</b>{size}")
        set_traits(
            self._bar,
            value=state.progress,
            bar_style=_BAR_STYLES.get(phase, "info"),
            description=f"Upload of {state.name or 'a file'}",
            status=announcement(state),
        )
        set_traits(self._detail, value=self._detail_text())
        message = ""
        if phase == "failed":
            message = f'<span class="sv-error-text">{html.escape(state.error)}</span><br>'
        if state.state:
            message += f"<small>{html.escape(state.state)}</small>"
        set_traits(self._message, value=message)
        set_traits(self._cancel_button, disabled=False)
        self._cancel_button.layout.display = "none" if phase in TERMINAL_PHASES else ""
        self._retry_button.layout.display = "" if phase in ("failed", "cancelled") else "none"
        if state.thumbnail != self._thumbnail.value:
            set_traits(self._thumbnail, value=state.thumbnail)
        show_result = phase == "ready" and bool(state.file_code)
        self._result_box.layout.display = "" if show_result else "none"
        self._thumbnail.layout.display = "" if self._thumbnail.value else "none"
        if show_result:
            set_traits(self._result, value=self._result_html())
        if self._compact:
            code = html.escape(state.file_code)
            title = f"<b>{html.escape(state.name)}</b>" + (f" <code>{code}</code>" if code else "")
            set_traits(self._title, value=title)

    def _result_html(self) -> str:
        state = self.upload.state
        code = html.escape(state.file_code)
        if state.info is not None:
            second = f"<b>Duration</b> {format_duration(state.info.playtime)}"
        elif not self.upload.options.convert:
            second = "Not converted: no conversion was requested"
        else:
            second = (
                f"Converting on the service: <code>%sv_info {code}</code> shows when it is ready"
            )
        return f"<b>File code</b> <code>{code}</code><br>{second}"

    def _detail_text(self) -> str:
        return detail_text(self.upload.state)

    def __repr__(self) -> str:
        return f"<UploadProgress {status_line(self.upload.state)}>"

    # -- static output ------------------------------------------------------------------
    def _static_state(self) -> str | None:
        """How the upload ended (the HTML is replaced then: code, thumbnail or reason)."""
        phase = self.upload.state.phase
        return phase if phase in TERMINAL_PHASES else None

    def _static_html(self) -> str:
        return upload_html(self.upload.state)


class UploadColumn(StaticHTML, W.VBox):  # type: ignore[misc]
    """Several uploads' rows and a summary under them, shown as one output (``%%sv_upload``).

    Its saved HTML is every row's (the file's card once ready, else where it stands) and the
    summary; :meth:`settle` replaces it once every upload has ended.

    Parameters
    ----------
    rows
        The :class:`UploadProgress` rows.
    summary
        A widget with an HTML ``value`` (the bulk summary), drawn under the rows.
    """

    def __init__(self, rows: list[UploadProgress], summary: W.HTML) -> None:
        super().__init__([*rows, summary])
        self._rows = list(rows)
        self._summary = summary

    def settle(self) -> None:
        """Give every display of the column its final HTML (call once all uploads ended)."""
        self._refresh_static()

    def _static_html(self) -> str:
        rows = "".join(f"<div>{row._static_html()}</div>" for row in self._rows)
        return f'<div class="sv-uploads">{rows}{self._summary.value}</div>'

    def close(self) -> None:
        """Close the rows and the summary too."""
        close_descendants(self)
        super().close()
