"""Plain-text rendering of an upload, for terminals and logs where no widget can show.

:class:`TextProgress` observes an :class:`~sv_widgets.widgets.UploadProgress` (any object
with its traits) and writes to a text stream: on a terminal one line redrawn in place with
``\\r`` (at most five times a second); elsewhere (captured output, CI logs) one line per phase
and per quarter of progress, so logs stay short. The final line gives the file code or the
error with its API code.
"""

from __future__ import annotations

import threading
import time
from typing import IO, Any

from traitlets import HasTraits

from sv_widgets.widgets._format import format_bytes, format_eta, format_rate

__all__ = ["TextProgress", "status_line"]

_FINAL = ("ready", "failed", "cancelled")


def status_line(w: Any) -> str:
    """One line describing where an upload stands (what the text renderer prints).

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> status_line(NS(name="a.mp4", phase="uploading", progress=0.5, sent=500, total=1000,
    ...                rate=None, eta=None, file_code="", error="", state=""))
    'a.mp4: uploading  50% (500 B of 1.0 kB)'
    """
    head = f"{w.name}: {w.phase}"
    if w.phase == "uploading":
        parts = [f"{head} {w.progress:4.0%}"]
        if w.total:
            parts.append(f"({format_bytes(w.sent)} of {format_bytes(w.total)})")
        if w.rate:
            parts.append(format_rate(w.rate))
        if w.eta is not None:
            parts.append(format_eta(w.eta))
        return " ".join(parts)
    if w.phase == "converting":
        return f"{head} {w.progress:4.0%}"
    if w.phase == "ready":
        return f"{head}: {w.file_code} ({w.state})"
    if w.phase == "failed":
        return f"{head}: {w.error} ({w.state})"
    if w.phase == "cancelled":
        return f"{head} ({w.state})"
    return head


class TextProgress:
    """Write an upload's progress to ``stream`` as it changes.

    Parameters
    ----------
    upload
        An :class:`~sv_widgets.widgets.UploadProgress` (observed, not driven).
    stream
        Where to write, e.g. ``sys.stdout``.
    interactive
        Redraw one line with ``\\r``; defaults to ``stream.isatty()``.

    Examples
    --------
    >>> import io
    >>> from traitlets import Float, HasTraits, Unicode
    >>> class Fake(HasTraits):
    ...     name = Unicode("a.mp4"); phase = Unicode("idle"); progress = Float(0.0)
    ...     state = Unicode(""); file_code = Unicode(""); error = Unicode("")
    >>> out = io.StringIO(); fake = Fake(); text = TextProgress(fake, out)
    >>> fake.phase = "converting"; fake.state = "done"; fake.file_code = "c"; fake.phase = "ready"
    >>> text.close(); out.getvalue().splitlines()
    ['a.mp4: converting   0%', 'a.mp4: ready: c (done)']
    """

    def __init__(self, upload: HasTraits, stream: IO[str], *, interactive: bool | None = None):
        self._upload = upload
        self._stream = stream
        self._interactive = stream.isatty() if interactive is None else interactive
        self._lock = threading.Lock()
        self._last_draw = 0.0
        self._last_quarter = -1
        self._last_line = ""
        upload.observe(self._on_phase, names="phase")
        upload.observe(self._on_progress, names="progress")

    def _on_phase(self, change: Any) -> None:
        self._last_quarter = -1
        self._write(status_line(self._upload), final=change["new"] in _FINAL)

    def _on_progress(self, change: Any) -> None:
        if self._interactive:
            if time.monotonic() - self._last_draw >= 0.2:
                self._write(status_line(self._upload), final=False)
            return
        quarter = int(change["new"] * 4)
        if quarter > self._last_quarter and 0 < quarter < 4:
            self._last_quarter = quarter
            self._write(status_line(self._upload), final=False)

    def _write(self, line: str, *, final: bool) -> None:
        with self._lock:
            if line == self._last_line:
                return
            self._last_line = line
            self._last_draw = time.monotonic()
            if self._interactive:
                self._stream.write("\r\x1b[2K" + line + ("\n" if final else ""))
            else:
                self._stream.write(line + "\n")
            self._stream.flush()

    def close(self) -> None:
        """Stop observing the upload."""
        self._upload.unobserve(self._on_phase, names="phase")
        self._upload.unobserve(self._on_progress, names="progress")
