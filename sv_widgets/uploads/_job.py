"""The steps of one upload, independent of how they are shown.

:class:`UploadJob` runs initiate -> transfer -> convert -> wait for the conversion -> fetch
the result, in the calling thread, and writes every change into an
:class:`~sv_widgets.uploads.UploadState`. The transfer step is a strategy: the client
streams a local file (:func:`local_transfer`), the service fetches a URL
(:func:`remote_transfer`), or a browser sends the bytes (the upload area's own transfer).
:meth:`UploadJob.cancel` may be called from any thread; the job then stops at the next
point where stopping is clean and says in ``state`` where the file was left. A transfer whose
request may wait on the network runs it aside (:func:`run_aside`), so that a cancel ends the
job at once whatever the network does.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sv_widgets.errors import Cancelled, ConversionTimeout, SpareVideosError, summarize
from sv_widgets.uploads._options import UploadOptions
from sv_widgets.uploads._state import UploadState

if TYPE_CHECKING:
    from sv_widgets.client import Client
    from sv_widgets.models import FileInfo, UploadTicket

__all__ = [
    "RateMeter",
    "Transfer",
    "TransferProgress",
    "UploadJob",
    "local_transfer",
    "run_aside",
]

_ASIDE_POLL = 0.05  # seconds between looks at a cancel while a request runs aside


class _Stop(Exception):
    """Raised inside a progress callback to abort the streaming request body.

    ``stated``: the cancelled state is already written (a request left running aside).
    """

    def __init__(self, *, stated: bool = False) -> None:
        super().__init__("cancelled")
        self.stated = stated


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


class TransferProgress:
    """What a transfer reports to, and how it hears of a cancel.

    Parameters
    ----------
    state
        The upload's state, updated with every report.
    cancel
        Set when the person cancels.
    """

    def __init__(self, state: UploadState, cancel: threading.Event) -> None:
        self.state = state
        self.cancel = cancel
        self._meter = RateMeter()
        self._started = time.monotonic()
        self._last = 0
        self.delivered = False  # the whole file went out: the service may store it

    @property
    def cancelled(self) -> bool:
        """Whether the upload was cancelled: a transfer stops as soon as it can."""
        return self.cancel.is_set()

    def sent(self, sent: int, total: int) -> None:
        """Report bytes sent; aborts the transfer (by raising) once cancelled.

        The final ``(total, total)`` call never raises: by then the whole file is on its way
        and the service may store it; its code, when it answers, is needed to delete it.
        """
        if sent >= total:
            self.delivered = True
        if self.cancelled:
            if sent < total:
                raise _Stop
            return  # the view already says "cancelled"
        self._meter.add(sent)
        self._last = sent
        self.state.apply(
            progress=sent / total if total else 1.0,
            sent=sent,
            total=total,
            rate=self._meter.rate(),
            eta=self._meter.eta(total),
        )

    def percent(self, percent: float) -> None:
        """Report progress as a percentage (remote fetches report no byte counts)."""
        if not self.cancelled:
            self.state.apply(progress=max(0.0, min(1.0, percent / 100)))

    def finished(self) -> None:
        """Replace the sliding rate with the whole transfer's average, for the summary."""
        elapsed = time.monotonic() - self._started
        if self._last and elapsed > 0:
            size = self._last
            self.state.apply(rate=size / elapsed, eta=None, sent=size, total=size)


#: A transfer sends the file's bytes with an upload ticket and returns the file code.
Transfer = Callable[["UploadTicket", TransferProgress], str]


def local_transfer(client: Client, source: Any) -> Transfer:
    """The client streams a path or a binary file object to the upload server.

    A cancel stops the body and closes the connection under it at once (see
    :meth:`Client.upload <sv_widgets.client.Client.upload>`); the request runs aside, so that
    even one that cannot stop at once (a connection still opening, a whole file waiting for
    the server's answer) does not hold the cancel up.
    """

    def send(ticket: UploadTicket, progress: TransferProgress) -> str:
        code = run_aside(
            client,
            progress,
            lambda: client.upload(
                source, ticket=ticket, on_progress=progress.sent, cancel=progress.cancel
            ),
        )
        progress.finished()
        return code

    return send


def remote_transfer(client: Client, url: str, poll_interval: float) -> Transfer:
    """The upload server fetches ``url``; its progress is polled.

    The POST blocks until the server has fetched the URL, and nothing can abort a fetch on
    the server. It runs aside so that a cancel returns at once; if it later yields a file,
    that file is deleted (the person asked for it not to exist).
    """

    def send(ticket: UploadTicket, progress: TransferProgress) -> str:
        return run_aside(
            client,
            progress,
            lambda: client.upload_remote(
                url,
                ticket=ticket,
                on_progress=lambda percent, _total: progress.percent(percent),
                poll_interval=min(poll_interval, 0.5),
            ),
        )

    return send


def run_aside(client: Client, progress: TransferProgress, request: Callable[[], str]) -> str:
    """Run ``request`` (it returns the stored file's code) in a thread of its own; a cancel
    returns at once, whatever the request is waiting for.

    A request that has not ended when the cancel comes is left to end by itself: if it then
    yields a file, that file is deleted (the person asked for it not to exist), and the
    upload's state says so. Until then the state says where the file stands: nothing was
    stored, or the whole file had been sent and the service had not answered yet.

    Raises what ``request`` raised, or the job's cancel.
    """
    result: dict[str, Any] = {}
    done = threading.Event()
    lock = threading.Lock()
    abandoned = False

    def run() -> None:
        try:
            result["code"] = request()
        except BaseException as exc:  # handed to the waiting thread, or dropped once abandoned
            result["error"] = exc
        with lock:
            done.set()
            orphan = abandoned and "code" in result
        if orphan:
            delete_after_cancel(client, progress.state, str(result["code"]))

    threading.Thread(target=run, name="sv-upload-request", daemon=True).start()
    while not done.wait(_ASIDE_POLL):
        if progress.cancelled:
            break
    with lock:
        abandoned = not done.is_set()
        if abandoned:
            progress.state.apply(phase="cancelled", state=_left_running(progress))
    if abandoned:
        raise _Stop(stated=True)
    if "error" in result:
        raise result["error"]
    return str(result["code"])


def _left_running(progress: TransferProgress) -> str:
    if progress.delivered:
        return (
            "cancelled: the whole file had been sent and the upload server had not answered; "
            "if it stores the file, the file is deleted"
        )
    return "cancelled: nothing was stored"


def delete_after_cancel(client: Client, state: UploadState, code: str) -> None:
    """Delete a file stored as a cancel arrived (the person asked for it not to exist)."""
    try:
        client.delete([code])
        state.apply(state=f"cancelled: the upload completed as {code} and was deleted")
    except SpareVideosError as exc:
        state.apply(
            state=f"cancelled, but {code} was stored and could not be deleted ({exc.summary})",
            file_code=code,
        )


def _without_frames(exc: BaseException) -> BaseException:
    """``exc`` with its traceback (and those of its causes) dropped: a kept error must not
    keep alive the frames it was raised through, nor what they held (a relay's chunks)."""
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        link = todo.pop()
        if link is None or id(link) in seen:
            continue
        seen.add(id(link))
        link.__traceback__ = None
        todo += [link.__cause__, link.__context__]
    return exc


class UploadJob:
    """One run of the upload pipeline. Create a new one for each attempt (Retry).

    Parameters
    ----------
    client
        The :class:`~sv_widgets.client.Client` to upload with.
    transfer
        How the bytes reach the upload server (see :data:`Transfer`).
    options
        Conversion choices, polling interval and conversion timeout.
    state
        Where every change is written.
    replacing
        A stored file this attempt replaces (a Retry after a failed conversion): deleted once
        the new file is stored.
    existing
        The code of a file already stored: nothing is uploaded, the job converts it.
    """

    def __init__(
        self,
        client: Client,
        transfer: Transfer,
        options: UploadOptions,
        state: UploadState,
        *,
        replacing: str = "",
        existing: str = "",
    ) -> None:
        self.replacing = replacing
        self.existing = existing
        self.client = client
        self.transfer = transfer
        self.options = options
        self.state = state
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
        """Run every step; never raises (the outcome is in ``state`` and ``exception``)."""
        try:
            self._run()
        except _Stop as stop:
            if not stop.stated:
                self.state.apply(phase="cancelled", state=self._cancelled_state())
        except Cancelled:
            self.state.apply(phase="cancelled", state=self._cancelled_state())
        except Exception as exc:  # API errors, and bugs: both shown in place
            self._fail(exc)

    def _check(self) -> None:
        if self.cancelled:
            raise _Stop

    def _run(self) -> None:
        if self.existing:
            self.file_code = self.existing
            self.state.apply(file_code=self.existing, progress=1.0)
            self._convert(self.existing)
            return
        self.state.apply(
            phase="initiating", progress=0.0, state="asking the service where to upload"
        )
        ticket = self.client.initiate_upload(cancel=self._cancel)
        self._check()
        self.state.apply(phase="uploading", progress=0.0, state="uploading")
        code = self.transfer(ticket, TransferProgress(self.state, self._cancel))
        if self.cancelled:  # the upload finished as the cancel arrived: undo it, say so
            delete_after_cancel(self.client, self.state, code)
            self.state.apply(phase="cancelled")
            return
        self.file_code = code
        self.state.apply(file_code=code, progress=1.0, state=f"uploaded as {code}")
        self._replace()
        if not self.options.convert:
            self.state.apply(
                phase="ready", state=f"uploaded as {code}; not converted (none was requested)"
            )
            return
        self._convert(code)

    def _replace(self) -> None:
        """Delete the file this attempt replaces, now that the new one is stored."""
        old, self.replacing = self.replacing, ""
        if not old:
            return
        try:
            self.client.delete([old])
        except SpareVideosError as exc:  # the new file stands; say what was left behind
            self.state.apply(
                state=f"uploaded as {self.file_code}; {old} not deleted: {exc.summary}"
            )

    def _convert(self, code: str) -> None:
        self.state.apply(phase="converting", progress=0.0, state="requesting conversion")
        options = self.options
        self.client.convert(code, sd_only=options.sd_only, mp4_only=options.mp4_only)
        if not options.wait:
            self.state.apply(
                phase="ready",
                progress=1.0,
                state=f"uploaded as {code}; conversion requested, converting on the service",
            )
            return
        self.state.apply(state="converting on the service")
        info = self.client.wait_for_conversion(
            code,
            timeout=math.inf if options.conversion_timeout is None else options.conversion_timeout,
            poll=options.poll_interval,
            on_progress=lambda p: self.state.apply(progress=max(0.0, min(1.0, p / 100))),
            cancel=self._cancel,
        )
        self._finish(code, info)

    def _finish(self, code: str, info: FileInfo) -> None:
        thumbnail = b""
        # the file is ready; a missing preview must not turn success into failure
        with contextlib.suppress(SpareVideosError):
            thumbnail = self.client.thumbnail_image(code, size=self.options.thumbnail_size)
        self.state.apply(
            phase="ready",
            progress=1.0,
            info=info,
            thumbnail=thumbnail,
            state=f"converted: {code} is ready to play",
        )

    # -- where things stand -------------------------------------------------------------
    def _fail(self, exc: BaseException) -> None:
        if self.cancelled:  # the abort surfaced as a transport error: it is still a cancel
            self.state.apply(phase="cancelled", state=self._cancelled_state())
            return
        self.exception = _without_frames(exc)
        self.state.apply(
            phase="failed",
            error=summarize(exc),
            error_code=getattr(exc, "code", None) if isinstance(exc, SpareVideosError) else None,
            state=self._failed_state(exc),
        )

    def _cancelled_state(self) -> str:
        if not self.file_code:
            return "cancelled: nothing was stored"
        if not self.options.convert:
            return f"cancelled: uploaded as {self.file_code}, not converted"
        return (
            f"cancelled: uploaded as {self.file_code}, conversion requested, "
            "still converting on the service"
        )

    def _failed_state(self, exc: BaseException) -> str:
        if not self.file_code:
            return "failed: nothing was stored"
        if isinstance(exc, ConversionTimeout):
            return f"uploaded as {self.file_code}; still converting on the service"
        return f"failed: uploaded as {self.file_code}, conversion did not succeed"
