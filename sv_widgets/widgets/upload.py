"""``UploadProgress``: an upload's progress bar, from the first byte to a playable file.

The widget is a view: an :class:`~sv_widgets.uploads.Upload` does the work in a background
thread and writes its :class:`~sv_widgets.uploads.UploadState`; this module draws that
state and turns button clicks into calls on the upload. The state's traits are mirrored on
the widget (``up.phase``, ``up.progress``...), so they can be read and observed here too.
Nothing synced to the front end holds the upload token or a key.
"""

from __future__ import annotations

import html
from typing import IO, TYPE_CHECKING, Any

import ipywidgets as W
from traitlets import Float, Int, Unicode, dlink

from sv_widgets.display import format_bytes, format_duration, format_rate
from sv_widgets.errors import UploadCancelled
from sv_widgets.uploads import (
    TERMINAL_PHASES,
    Upload,
    UploadOptions,
    UploadState,
    run_text,
    status_line,
)
from sv_widgets.widgets._tasks import close_descendants, set_traits

if TYPE_CHECKING:
    from sv_widgets.client import Client
    from sv_widgets.models import FileInfo

__all__ = ["UploadCancelled", "UploadProgress", "detail_text"]

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


def detail_text(state: UploadState) -> str:
    """The figures line under an upload's bar: the same in every view of an upload.

    Examples
    --------
    >>> state = UploadState(name="a.mp4", total=2_000_000)
    >>> state.apply(phase="uploading", progress=0.5, sent=1_000_000, rate=500_000.0, eta=2.0)
    >>> detail_text(state)
    '50% · 1.0 MB of 2.0 MB · 0.50 MB/s · 2 s left'
    """
    if state.phase == "uploading":
        return " · ".join(state.figures())
    if state.phase == "converting":
        figures = state.figures()
        return f"converting {figures[0]}" if figures else "converting…"
    if state.phase == "ready" and state.total and state.rate:
        return f"done · {format_bytes(state.total)} uploaded at {format_rate(state.rate)}"
    return {"initiating": "initiating…", "ready": "done"}.get(state.phase, state.phase)


class UploadProgress(W.VBox):  # type: ignore[misc]
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
    def showing(cls, upload: Upload) -> UploadProgress:
        """A widget drawing an existing :class:`~sv_widgets.uploads.Upload` (not started here).

        Examples
        --------
        >>> from sv_widgets.uploads import Upload        # doctest: +SKIP
        >>> UploadProgress.showing(Upload(client, "clip.mp4"))   # doctest: +SKIP
        """
        view = cls.__new__(cls)
        view._attach(upload)
        return view

    def _attach(self, upload: Upload) -> None:
        self.upload = upload
        self._title = W.HTML("")
        self._bar = W.FloatProgress(value=0.0, min=0.0, max=1.0, bar_style="info")
        self._bar.layout.width = "100%"
        self._detail = W.Label("")
        self._message = W.HTML("")
        self._cancel_button = W.Button(description="Cancel", icon="stop", button_style="warning")
        self._retry_button = W.Button(description="Retry", icon="redo", button_style="primary")
        self._cancel_button.on_click(lambda _b: self.cancel())
        self._retry_button.on_click(lambda _b: self.retry())
        self._retry_button.layout.display = "none"
        self._thumbnail = W.Image(format="jpeg")
        self._thumbnail.layout.height = "90px"
        self._result = W.HTML("")
        self._result_box = W.HBox([self._thumbnail, self._result])
        self._result_box.layout.display = "none"
        super().__init__(
            [
                self._title,
                W.HBox([self._bar, self._cancel_button, self._retry_button]),
                self._detail,
                self._message,
                self._result_box,
            ]
        )
        self.add_class("sv-upload-progress")
        state = upload.state
        for name in _MIRRORED:
            dlink((state, name), (self, name))
        state.observe(lambda _c: self._draw(), names="revision")
        self._draw()

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
        set_traits(self._bar, value=state.progress, bar_style=_BAR_STYLES.get(phase, "info"))
        set_traits(self._detail, value=self._detail_text())
        message = ""
        if phase == "failed":
            color = "var(--jp-error-color1, #c62828)"
            message = f'<span style="color:{color}">{html.escape(state.error)}</span><br>'
        if state.state:
            message += f"<small>{html.escape(state.state)}</small>"
        set_traits(self._message, value=message)
        self._cancel_button.layout.display = "none" if phase in TERMINAL_PHASES else ""
        self._retry_button.layout.display = "" if phase in ("failed", "cancelled") else "none"
        if state.thumbnail != self._thumbnail.value:
            set_traits(self._thumbnail, value=state.thumbnail)
        show_result = phase == "ready" and bool(state.file_code)
        self._result_box.layout.display = "" if show_result else "none"
        self._thumbnail.layout.display = "" if self._thumbnail.value else "none"
        if show_result:
            duration = format_duration(state.info.playtime) if state.info else "-"
            set_traits(
                self._result,
                value=(
                    f"<b>File code</b> <code>{html.escape(state.file_code)}</code><br>"
                    f"<b>Duration</b> {duration}"
                ),
            )

    def _detail_text(self) -> str:
        return detail_text(self.upload.state)

    def __repr__(self) -> str:
        return f"<UploadProgress {status_line(self.upload.state)}>"
