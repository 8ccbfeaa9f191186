"""``UploadProgress``: an upload's progress bar, from the first byte to a playable file.

The work (:class:`~sv_widgets.widgets._upload_job.UploadJob`) runs in a background thread;
this module only holds the observable state and draws it. Phases::

    idle -> initiating -> uploading -> converting -> ready | failed | cancelled

``progress`` is a fraction **0.0 to 1.0 of the current phase** (bytes sent while uploading,
the server's conversion percent / 100 while converting; 1.0 when ready), so one bar serves
both long phases. Nothing synced to the front end holds the upload token or a key.
"""

from __future__ import annotations

import html
import os
import sys
import threading
from typing import IO, TYPE_CHECKING, Any

import ipywidgets as W
from traitlets import Float, Int, Unicode

from sv_widgets.errors import SpareVideosError
from sv_widgets.widgets._format import format_bytes, format_duration, format_eta, format_rate
from sv_widgets.widgets._tasks import close_descendants, set_traits
from sv_widgets.widgets._text import TextProgress, status_line
from sv_widgets.widgets._upload_job import (
    TERMINAL_PHASES,
    UploadJob,
    UploadOptions,
    is_remote,
    source_size,
)

if TYPE_CHECKING:
    from sv_widgets.client import Client
    from sv_widgets.models import FileInfo

__all__ = ["UploadCancelled", "UploadProgress"]


class UploadCancelled(SpareVideosError):
    """The upload was cancelled; ``message`` says what state the file was left in.

    Examples
    --------
    >>> str(UploadCancelled("cancelled: not uploaded"))
    'cancelled: not uploaded'
    """


def _source_name(source: Any) -> str:
    if is_remote(source):
        return str(source)
    if isinstance(source, str | os.PathLike):
        return os.path.basename(os.fspath(source)) or os.fspath(source)
    return str(getattr(source, "name", "") or "stream")


def _position(source: Any) -> int | None:
    """Where a seekable file object stands now (``None`` for paths, URLs, pipes)."""
    if isinstance(source, str | os.PathLike) or not hasattr(source, "seek"):
        return None
    try:
        return int(source.tell())
    except (OSError, ValueError):
        return None


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
        where the file stands, e.g. ``"cancelled: not uploaded"``).
    info
        The :class:`~sv_widgets.models.FileInfo` once converted, else ``None``.

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
        self._client = client
        self._source = source
        self._options = UploadOptions(
            convert=convert,
            sd_only=sd_only,
            mp4_only=mp4_only,
            wait=wait,
            poll_interval=poll_interval,
        )
        self._job: UploadJob | None = None
        self._thread: threading.Thread | None = None
        self._done = threading.Event()
        self._lock = threading.RLock()
        self.info: FileInfo | None = None
        self._rewind_to = _position(source)
        size = source_size(source)
        self._title = W.HTML(self._title_html(_source_name(source), size))
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
        self.name = _source_name(source)
        self.total = size or 0
        if autostart:
            self.start()

    # -- public actions -----------------------------------------------------------------
    def start(self) -> None:
        """Start (or restart after a failure or cancel) in a background thread.

        Raises ``RuntimeError`` if an attempt is already running.
        """
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                raise RuntimeError("this upload is already running")
            self._done.clear()
            self.info = None
            if self._rewind_to is not None:  # a file object: Retry sends it from the start again
                self._source.seek(self._rewind_to)
            self._apply(
                phase="initiating",
                progress=0.0,
                sent=0,
                rate=None,
                eta=None,
                file_code="",
                error="",
                error_code=None,
                state="",
                thumbnail=b"",
            )
            self._job = UploadJob(self._client, self._source, self._options, self._apply)
            self._thread = threading.Thread(
                target=self._run, args=(self._job,), name="sv-upload", daemon=True
            )
            self._thread.start()

    def _run(self, job: UploadJob) -> None:
        try:
            job.run()
        finally:
            if job is self._job:
                self._done.set()

    def cancel(self) -> None:
        """Stop the upload cleanly; ``state`` then says where the file was left."""
        job = self._job
        if job is not None and self.phase not in TERMINAL_PHASES:
            job.cancel()
            set_traits(self._detail, value="cancelling…")

    def retry(self) -> None:
        """Run the whole upload again (after a failure or a cancel)."""
        if self.phase in TERMINAL_PHASES:
            self.start()

    def wait(self, timeout: float | None = None) -> str:
        """Block until the upload ends; return the file code.

        Raises the upload's error (a :class:`~sv_widgets.errors.SpareVideosError` with the
        API's code), :class:`UploadCancelled`, or ``TimeoutError``. While this blocks the
        kernel's main thread, the front end's buttons cannot reach the kernel; interrupt the
        kernel to cancel (the upload is then cancelled too).
        """
        if self._thread is None:
            raise RuntimeError("this upload was not started: call start() first")
        try:
            if not self._done.wait(timeout):
                raise TimeoutError(f"upload still {self.phase} after {timeout} s")
        except KeyboardInterrupt:
            self.cancel()
            raise
        if self.phase == "cancelled":
            raise UploadCancelled(self.state)
        job = self._job
        if self.phase == "failed" and job is not None and job.exception is not None:
            raise job.exception
        return self.file_code

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

        Takes the same options as the constructor; returns the file code or raises as
        :meth:`wait` does. Ctrl-C cancels the upload cleanly.

        Examples
        --------
        >>> code = UploadProgress.run_text(client, "clip.mp4")   # doctest: +SKIP
        clip.mp4: uploading  25% (25.0 MB of 100 MB) 48.2 MB/s 2 s left
        ...
        """
        upload = cls(client, source, autostart=False, **options)
        renderer = TextProgress(upload, stream if stream is not None else sys.stdout)
        try:
            upload.start()
            return upload.wait()
        finally:
            renderer.close()
            upload.close()

    # -- state -> view ------------------------------------------------------------------
    def _apply(self, **changes: Any) -> None:
        """Receive a report from the job (any thread) and redraw."""
        thumbnail = changes.pop("thumbnail", None)
        info = changes.pop("info", None)
        with self._lock:
            if info is not None:
                self.info = info
            with self.hold_trait_notifications():
                for key, value in changes.items():
                    setattr(self, key, value)
            self._draw(thumbnail)

    def _draw(self, thumbnail: bytes | None) -> None:
        phase = self.phase
        terminal = phase in TERMINAL_PHASES
        style = {"ready": "success", "failed": "danger", "cancelled": "warning"}.get(phase, "info")
        set_traits(self._bar, value=self.progress, bar_style=style)
        set_traits(self._detail, value=self._detail_text())
        message = ""
        if phase == "failed":
            color = "var(--jp-error-color1, #c62828)"
            message = f'<span style="color:{color}">{html.escape(self.error)}</span><br>'
        if self.state:
            message += f"<small>{html.escape(self.state)}</small>"
        set_traits(self._message, value=message)
        self._cancel_button.layout.display = "none" if terminal else ""
        self._retry_button.layout.display = "" if phase in ("failed", "cancelled") else "none"
        if thumbnail is not None:
            set_traits(self._thumbnail, value=thumbnail)
        show_result = phase == "ready" and bool(self.file_code)
        self._result_box.layout.display = "" if show_result else "none"
        self._thumbnail.layout.display = "" if self._thumbnail.value else "none"
        if show_result:
            duration = format_duration(self.info.playtime) if self.info else "-"
            set_traits(
                self._result,
                value=(
                    f"<b>File code</b> <code>{html.escape(self.file_code)}</code><br>"
                    f"<b>Duration</b> {duration}"
                ),
            )

    def _detail_text(self) -> str:
        if self.phase == "uploading":
            parts = [f"{self.progress:.0%}"]
            if self.total:
                parts.append(f"{format_bytes(self.sent)} of {format_bytes(self.total)}")
            parts.append(format_rate(self.rate))
            if self.eta is not None:
                parts.append(format_eta(self.eta))
            return " · ".join(parts)
        if self.phase == "converting":
            return f"converting {self.progress:.0%}" if self.progress else "converting…"
        if self.phase == "ready" and self.total and self.rate:
            return f"done · {format_bytes(self.total)} uploaded at {format_rate(self.rate)}"
        return {"initiating": "initiating…", "ready": "done"}.get(self.phase, self.phase)

    @staticmethod
    def _title_html(name: str, size: int | None) -> str:
        size_text = f" · {format_bytes(size)}" if size is not None else ""
        return f"<b>{html.escape(name)}</b>{size_text}"

    def __repr__(self) -> str:
        return f"<UploadProgress {status_line(self)}>"
