"""The steps of one upload, independent of how they are shown.

:class:`UploadJob` runs initiate -> upload -> convert -> wait for conversion -> fetch the
result, in the calling thread, and reports every change as keyword arguments to a
``report`` callback (the widget turns them into traits, the text renderer into lines).
:meth:`UploadJob.cancel` may be called from any thread; the job then stops at the next
point where stopping is clean and reports what state the file was left in.

Kept apart from the widget so that layout and I/O stay in separate rooms (STYLE.md) and so
that the phases can be reasoned about in one place.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sv_widgets.errors import FileNotConverted, SpareVideosError

if TYPE_CHECKING:
    from sv_widgets.client import Client
    from sv_widgets.models import FileInfo

__all__ = ["PHASES", "TERMINAL_PHASES", "RateMeter", "UploadJob", "UploadOptions", "is_remote"]

PHASES = ("idle", "initiating", "uploading", "converting", "ready", "failed", "cancelled")
TERMINAL_PHASES = frozenset({"ready", "failed", "cancelled"})

Report = Callable[..., None]


class _Cancelled(Exception):
    """Raised inside ``on_progress`` to abort the streaming request body."""


def is_remote(source: object) -> bool:
    """Whether ``source`` is a URL for the server to fetch (``upload_remote``), not a path.

    Examples
    --------
    >>> is_remote("https://example.org/clip.mp4"), is_remote("clip.mp4")
    (True, False)
    """
    return isinstance(source, str) and source.lower().startswith(("http://", "https://"))


@dataclass(frozen=True)
class UploadOptions:
    """What to ask of the service after the bytes are stored."""

    convert: bool = True
    sd_only: bool = False
    mp4_only: bool = False
    wait: bool = True
    poll_interval: float = 1.0
    thumbnail_size: int = 260


class RateMeter:
    """Transfer rate over a sliding window, and the time left at that rate.

    Examples
    --------
    >>> meter = RateMeter(window=10)
    >>> meter.add(0, now=0.0); meter.add(5_000_000, now=1.0)
    >>> meter.rate()
    5000000.0
    >>> meter.eta(10_000_000)
    1.0
    """

    def __init__(self, window: float = 3.0) -> None:
        self._window = window
        self._samples: deque[tuple[float, int]] = deque()

    def add(self, sent: int, *, now: float | None = None) -> None:
        """Record that ``sent`` bytes had been sent at time ``now`` (monotonic seconds)."""
        t = time.monotonic() if now is None else now
        self._samples.append((t, sent))
        while len(self._samples) > 2 and t - self._samples[0][0] > self._window:
            self._samples.popleft()

    @property
    def last_sent(self) -> int:
        """The latest byte count recorded (0 before any)."""
        return self._samples[-1][1] if self._samples else 0

    def rate(self) -> float | None:
        """Bytes per second over the window, ``None`` until two samples are apart in time."""
        if len(self._samples) < 2:
            return None
        (t0, s0), (t1, s1) = self._samples[0], self._samples[-1]
        return (s1 - s0) / (t1 - t0) if t1 > t0 else None

    def eta(self, total: int) -> float | None:
        """Seconds until ``total`` bytes at the current rate, ``None`` when unknown."""
        rate = self.rate()
        if not rate or not self._samples:
            return None
        return max(0.0, (total - self._samples[-1][1]) / rate)


def source_size(source: object) -> int | None:
    """Size in bytes of a local path, ``None`` for URLs, streams or unreadable paths."""
    if isinstance(source, str | os.PathLike) and not is_remote(source):
        try:
            return os.stat(source).st_size
        except OSError:
            return None
    return None


class UploadJob:
    """One run of the upload pipeline. Create a new one for each attempt (Retry).

    Parameters
    ----------
    client
        The :class:`~sv_widgets.client.Client` to upload with.
    source
        A local path, a binary file object, or an ``http(s)://`` URL for the server to fetch.
    options
        Conversion choices and polling interval.
    report
        Called with keyword changes: ``phase``, ``progress`` (0..1 within the phase),
        ``sent``, ``total``, ``rate``, ``eta``, ``file_code``, ``error``, ``error_code``,
        ``state`` (a sentence on where the file stands), ``info``, ``thumbnail``.
    """

    def __init__(self, client: Client, source: Any, options: UploadOptions, report: Report) -> None:
        self.client = client
        self.source = source
        self.options = options
        self._report = report
        self._cancel = threading.Event()
        self.exception: BaseException | None = None
        self.file_code = ""

    @property
    def cancelled(self) -> bool:
        """Whether :meth:`cancel` was called."""
        return self._cancel.is_set()

    def cancel(self) -> None:
        """Ask the job to stop; safe from any thread, idempotent."""
        self._cancel.set()

    # -- the pipeline -------------------------------------------------------------------
    def run(self) -> None:
        """Run every step; never raises (the outcome is reported and kept in ``exception``)."""
        try:
            self._run()
        except _Cancelled:
            self._report(phase="cancelled", state=self._cancelled_state())
        except SpareVideosError as exc:
            self._fail(exc)
        except Exception as exc:  # a bug or an unexpected library error: show it in place
            self._fail(exc)

    def _fail(self, exc: BaseException) -> None:
        if self.cancelled:  # the abort surfaced as a transport error: it is still a cancel
            self._report(phase="cancelled", state=self._cancelled_state())
            return
        self.exception = exc
        code = getattr(exc, "code", None)
        message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        self._report(
            phase="failed",
            error=f"[{code}] {message}" if code is not None else message,
            error_code=code,
            state=self._failed_state(),
        )

    def _check(self) -> None:
        if self.cancelled:
            raise _Cancelled

    def _run(self) -> None:
        self._report(phase="initiating", progress=0.0, state="asking the service where to upload")
        ticket = self.client.initiate_upload()
        self._check()
        self._report(phase="uploading", progress=0.0, state="uploading")
        code = self._upload_remote(ticket) if is_remote(self.source) else self._upload(ticket)
        if self.cancelled:  # the upload finished as the cancel arrived: undo it
            self._delete_after_cancel(code)
            raise _Cancelled
        self.file_code = code
        self._report(file_code=code, progress=1.0, state=f"uploaded as {code}")
        if not self.options.convert:
            self._report(phase="ready", state=f"uploaded as {code}; not converted (convert=False)")
            return
        self._report(phase="converting", progress=0.0, state="requesting conversion")
        self.client.convert(code, sd_only=self.options.sd_only, mp4_only=self.options.mp4_only)
        if not self.options.wait:
            self._report(phase="ready", state=f"uploaded as {code}; conversion requested")
            return
        info = self._wait_for_conversion(code)
        self._finish(code, info)

    def _upload(self, ticket: Any) -> str:
        meter = RateMeter()

        def on_progress(sent: int, total: int) -> None:
            # Raising aborts the streaming body. Not on the final (total, total) call: the
            # server has answered by then, and the code it returned is needed to delete it.
            if self.cancelled and sent < total:
                raise _Cancelled
            meter.add(sent)
            self._report(
                progress=sent / total if total else 1.0,
                sent=sent,
                total=total,
                rate=meter.rate(),
                eta=meter.eta(total),
            )

        started = time.monotonic()
        code = self.client.upload(self.source, ticket=ticket, on_progress=on_progress)
        elapsed = time.monotonic() - started
        size = meter.last_sent
        if size and elapsed > 0:  # the average, for the summary once done
            self._report(rate=size / elapsed, eta=None, sent=size, total=size)
        return code

    def _upload_remote(self, ticket: Any) -> str:
        # The POST blocks until the server has fetched the URL; nothing can abort the fetch on
        # the server. Run it aside so a cancel returns at once; if it later yields a file, that
        # file is deleted (the user asked for it not to exist).
        result: dict[str, Any] = {}
        done = threading.Event()
        lock = threading.Lock()
        abandoned = False

        def on_progress(percent: float, _total: float) -> None:
            if not self.cancelled:
                self._report(progress=max(0.0, min(1.0, percent / 100)))

        def post() -> None:
            try:
                result["code"] = self.client.upload_remote(
                    self.source,
                    ticket=ticket,
                    on_progress=on_progress,
                    poll_interval=min(self.options.poll_interval, 0.5),
                )
            except BaseException as exc:
                result["error"] = exc
            with lock:
                done.set()
                orphan = abandoned and "code" in result
            if orphan:
                self._delete_after_cancel(str(result["code"]))

        threading.Thread(target=post, name="sv-upload-remote", daemon=True).start()
        while not done.wait(0.1):
            if self.cancelled:
                with lock:
                    abandoned = not done.is_set()
                if abandoned:
                    raise _Cancelled
        if "error" in result:
            raise result["error"]
        return str(result["code"])

    def _wait_for_conversion(self, code: str) -> FileInfo:
        self._report(state="converting on the server")
        while True:
            self._check()
            try:
                return self.client.file_info(code)
            except FileNotConverted as exc:
                if exc.progress is not None:
                    self._report(progress=max(0.0, min(1.0, exc.progress / 100)))
            if self._cancel.wait(self.options.poll_interval):
                raise _Cancelled

    def _finish(self, code: str, info: FileInfo) -> None:
        thumbnail = b""
        # the file is ready; a missing preview must not turn success into failure
        with contextlib.suppress(SpareVideosError):
            thumbnail = self.client.thumbnail_image(code, size=self.options.thumbnail_size)
        self._report(
            phase="ready",
            progress=1.0,
            info=info,
            thumbnail=thumbnail,
            state=f"converted: {code} is ready to play",
        )

    # -- where things stand -------------------------------------------------------------
    def _delete_after_cancel(self, code: str) -> None:
        try:
            self.client.delete([code])
            self._report(state=f"cancelled: the upload completed as {code} and was deleted")
        except SpareVideosError as exc:
            self._report(
                state=f"cancelled, but {code} was stored and could not be deleted ({exc})",
                file_code=code,
            )

    def _cancelled_state(self) -> str:
        if not self.file_code:
            return "cancelled: not uploaded"
        if not self.options.convert:
            return f"cancelled: uploaded as {self.file_code}, not converted"
        return (
            f"cancelled: uploaded as {self.file_code}, conversion requested, "
            "still converting on the server"
        )

    def _failed_state(self) -> str:
        if not self.file_code:
            return "failed: not uploaded"
        return f"failed: uploaded as {self.file_code}, conversion did not succeed"
