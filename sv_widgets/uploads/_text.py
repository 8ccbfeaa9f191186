"""Plain-text rendering of an upload, for terminals and logs where no widget can show.

:class:`TextProgress` observes an :class:`~sv_widgets.uploads.UploadState` and writes to a
text stream: on a terminal one line redrawn in place with ``\\r`` (at most five times a
second); elsewhere (captured output, CI logs) one line per phase and per quarter of
progress, so logs stay short. The final line says where the file stands, naming its code
once, or gives the error with its API code. No widget is ever built.
"""

from __future__ import annotations

import threading
import time
from typing import IO, Any

from sv_widgets.uploads._state import TERMINAL_PHASES, UploadState

__all__ = ["TextProgress", "status_line"]


def status_line(state: UploadState) -> str:
    """One line describing where an upload stands (what the text renderer prints).

    Examples
    --------
    >>> state = UploadState(name="a.mp4", total=1000)
    >>> state.apply(phase="uploading", progress=0.5, sent=500)
    >>> status_line(state)
    'a.mp4: uploading 50% (500 B of 1.0 kB)'
    >>> state.apply(phase="failed", error="[10001] bad", state="failed: nothing was stored")
    >>> status_line(state)
    'a.mp4: failed: [10001] bad (nothing was stored)'
    """
    head = f"{state.name}: {state.phase}"
    if state.phase in ("uploading", "converting"):
        figures = state.figures()
        if state.phase == "uploading" and len(figures) > 1:
            figures[1] = f"({figures[1]})"
        return " ".join([head, *figures])
    if state.phase == "failed":
        return f"{head}: {state.error} ({state.state.removeprefix('failed: ')})"
    if state.phase in ("ready", "cancelled"):
        return f"{state.name}: {state.state}"
    return head


class TextProgress:
    """Write an upload's progress to ``stream`` as it changes.

    Parameters
    ----------
    upload
        The :class:`~sv_widgets.uploads.UploadState` to print (observed, not driven).
    stream
        Where to write, e.g. ``sys.stdout``.
    interactive
        Redraw one line with ``\\r``; defaults to ``stream.isatty()``.

    Examples
    --------
    >>> import io
    >>> out = io.StringIO(); state = UploadState(name="a.mp4"); text = TextProgress(state, out)
    >>> state.apply(phase="converting")
    >>> state.apply(phase="ready", file_code="c", state="converted: c is ready to play")
    >>> text.close(); out.getvalue().splitlines()
    ['a.mp4: converting', 'a.mp4: converted: c is ready to play']
    """

    def __init__(
        self, upload: UploadState, stream: IO[str], *, interactive: bool | None = None
    ) -> None:
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
        self._write(status_line(self._upload), final=change["new"] in TERMINAL_PHASES)

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
