"""The observable state of one upload: what every view of an upload reads.

:class:`UploadState` is a plain ``traitlets.HasTraits`` (no widget, no comm): the upload
job writes it, and the ``UploadProgress`` widget, the terminal text and the magics read it.
Phases::

    idle -> initiating -> uploading -> converting -> ready | failed | cancelled

``progress`` is a fraction **0.0 to 1.0 of the current phase** (bytes sent while uploading,
the server's conversion percent / 100 while converting; 1.0 when ready), so one bar serves
both long phases. Nothing here ever holds a token or a key.
"""

from __future__ import annotations

import threading
from typing import Any

from traitlets import Any as AnyTrait
from traitlets import Bytes, Float, HasTraits, Int, Unicode

from sv_widgets.display import format_bytes, format_eta, format_rate

__all__ = ["TERMINAL_PHASES", "UploadState"]

#: Phases an upload ends in.
TERMINAL_PHASES = frozenset({"ready", "failed", "cancelled"})


class UploadState(HasTraits):
    """Where one upload stands; every change arrives through :meth:`apply`.

    Attributes
    ----------
    name, total
        What is uploaded (a file name or a URL) and its size in bytes (0 when unknown).
    phase, progress
        The phase, and the fraction 0..1 done within it.
    sent, rate, eta
        Bytes sent, bytes per second and seconds left, while uploading.
    file_code
        The code the service gave the file, once stored.
    error, error_code
        The failure as ``"[code] message"``, and the API's code.
    state
        A sentence saying where the file stands, e.g. ``"cancelled: nothing was stored"``.
    transport, transport_note
        How the bytes travel, when there is a choice (the browser upload area says
        ``"direct"`` or ``"relay"``), and why, when it is not the first choice (e.g.
        ``"direct upload not possible: ..."`` before a relay).
    info, thumbnail
        The converted file's :class:`~sv_widgets.models.FileInfo` and its thumbnail JPEG.
    revision
        Increases once per :meth:`apply`: views observe it to redraw once per change.

    Examples
    --------
    >>> state = UploadState(name="clip.mp4", total=2_000_000)
    >>> state.apply(phase="uploading", progress=0.5, sent=1_000_000, rate=500_000.0, eta=2.0)
    >>> state.figures()
    ['50%', '1.0 MB of 2.0 MB', '0.50 MB/s', '2 s left']
    """

    name = Unicode("")
    total = Int(0)
    phase = Unicode("idle")
    progress = Float(0.0)
    sent = Int(0)
    rate = Float(None, allow_none=True)
    eta = Float(None, allow_none=True)
    file_code = Unicode("")
    error = Unicode("")
    error_code = Int(None, allow_none=True)
    state = Unicode("")
    transport = Unicode("")
    transport_note = Unicode("")
    info = AnyTrait(None)
    thumbnail = Bytes(b"")
    revision = Int(0)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._lock = threading.RLock()

    @property
    def finished(self) -> bool:
        """Whether the upload has ended (ready, failed or cancelled)."""
        return self.phase in TERMINAL_PHASES

    def apply(self, **changes: Any) -> None:
        """Set several traits as one change (from any thread); observers of ``revision``
        hear of it once, after every value is in place."""
        with self._lock:
            with self.hold_trait_notifications():
                for key, value in changes.items():
                    setattr(self, key, value)
            self.revision += 1

    def reset(self) -> None:
        """Back to the start of an attempt (Retry), keeping the name and size."""
        self.apply(
            phase="initiating",
            progress=0.0,
            sent=0,
            rate=None,
            eta=None,
            file_code="",
            error="",
            error_code=None,
            state="",
            transport="",
            transport_note="",
            info=None,
            thumbnail=b"",
        )

    def figures(self) -> list[str]:
        """The figures of the current phase, for any view to join as it likes."""
        if self.phase == "uploading":
            parts = [f"{self.progress:.0%}"]
            if self.total:
                parts.append(f"{format_bytes(self.sent)} of {format_bytes(self.total)}")
            if self.rate:
                parts.append(format_rate(self.rate))
            if self.eta is not None:
                parts.append(format_eta(self.eta))
            return parts
        if self.phase == "converting":
            return [f"{self.progress:.0%}"] if self.progress else []
        return []
