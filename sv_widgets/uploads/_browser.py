"""Uploads from the person's own computer: the kernel's end of the page protocol.

The upload area's front end (the *page*: a browser tab) holds the chosen ``File``; the kernel
holds the keys. For each upload the kernel initiates it (the private key never leaves the
kernel) and hands the page the single-use ticket of that one upload in a custom message, never
in a synced trait, so it is never saved in a notebook. The bytes then travel one of two ways:

- **direct**: the page POSTs the file to the ticket's upload server itself
  (``{server}?ref=&token=``, multipart field ``file``), reports its upload progress and then
  the server's answer; no byte goes through the kernel.
- **relay**: the page sends ``File.slice`` chunks as binary buffers of custom messages; the
  client streams them straight into its own multipart POST (:class:`RelayStream`), and each
  chunk is acknowledged once it is in the request body, with at most ``window`` waiting.

``auto`` tries direct, and relays instead when the page finds the upload server out of its
reach (a loopback host seen from another machine, mixed content) or the POST fails on the
network or CORS before any byte went out. :class:`PageLink` is the kernel's end of all this;
its :meth:`PageLink.transfer` is a :data:`~sv_widgets.uploads.Transfer` like any other, so an
upload from a page runs through the same :class:`~sv_widgets.uploads.UploadJob` as the rest.

The page is untrusted input. :meth:`PageLink.handle` checks every message: one that breaks
the protocol for a live upload (a chunk out of order, larger than agreed, past the declared
size, beyond the window, without its binary buffer; a progress or answer of the wrong shape)
stops that upload with a row error, and its body is cut off so the service stores nothing;
one naming no live upload is refused as a notice. Nothing is written to disk.

Protocol (the JSON content of custom messages; a chunk's bytes are its one binary buffer):

======  =====================================================  ==================================
from    message                                                meaning
======  =====================================================  ==================================
kernel  ``direct tid page key url name size fallback``         POST the file to ``url``
kernel  ``relay tid page key name size chunk window``          send the file in chunks
kernel  ``ack tid offset``                                     bytes now in the request body
kernel  ``stop tid reason``                                    stop sending; abort the POST
kernel  ``tick busy``                                          alive (``busy``: a cell runs)
page    ``chunk tid offset`` + buffer                          the next chunk
page    ``progress tid sent``                                  direct: file bytes sent so far
page    ``result tid status body``                             direct: the server's answer
page    ``failed tid sent reason message``                     the page could not go on
page    ``stopped tid``                                        a stop was obeyed
page    ``alive page``                                         the page is still there
page    ``bye page``                                           the page is going (reload, close)
======  =====================================================  ==================================

A page that falls silent (closed, reloaded) for ``page_timeout`` seconds while the kernel was
free to hear it has its uploads stopped; time while a cell runs does not count, since the
kernel reads no message then.
"""

from __future__ import annotations

import itertools
import queue
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from sv_widgets._values import is_whole_number, shown
from sv_widgets.errors import Cancelled
from sv_widgets.uploads._job import Transfer, TransferProgress, run_aside
from sv_widgets.uploads._page import (
    BrowserFile,
    BrowserUploadError,
    check_id,
    parse_upload_reply,
)
from sv_widgets.uploads._relay import RelayStream

if TYPE_CHECKING:
    from sv_widgets.client import Client
    from sv_widgets.models import UploadTicket

__all__ = ["MODES", "PageLink", "Send"]

#: How an upload's bytes may travel.
MODES = ("auto", "direct", "relay")
#: Sends one custom message to the pages: ``send(content, buffers)``.
Send = Callable[[dict[str, Any], "list[bytes] | None"], None]

NOTHING_STORED = "nothing was stored"
PAGE_GONE = (
    "the page that held this file was reloaded or closed mid-upload; "
    f"{NOTHING_STORED}: choose the file again"
)
NO_BUFFERS = (
    "this front end does not send binary data from the page to the kernel, so the kernel "
    "cannot relay the file (a direct upload from the page still can)"
)
_FALLBACK_REASONS = frozenset({"network", "unreachable"})
_FAILURE_REASONS = _FALLBACK_REASONS | {"read", "missing", "aborted", "buffers", "kernel"}
_TICK = 1.0  # seconds between ticks (and silence checks) while uploads are live
_POLL = 0.1
_MAX_BODY = 1024 * 1024  # the largest answer a page may report
_MAX_MESSAGE = 300  # characters of a page's own message kept
_ENDED_KEPT = 1024  # ended ids remembered, so late chunks of a stopped upload pass quietly


@dataclass
class _Live:
    """One upload the kernel is exchanging messages about."""

    tid: str
    file: BrowserFile
    kind: str  # "direct" or "relay"
    opened: float
    stream: RelayStream | None = None
    events: queue.Queue[tuple[str, Any]] = field(default_factory=queue.Queue)
    stop_sent: bool = False

    def fail(self, error: BaseException) -> None:
        """Stop this upload with ``error`` (the waiting thread raises it)."""
        if self.stream is not None:
            self.stream.fail(error)
        self.events.put(("error", error))


class _IdleClock:
    """Seconds that pass while no cell runs (the only time the kernel can hear a page)."""

    def __init__(self, seconds: float, busy: Callable[[], bool]) -> None:
        self._left = seconds
        self._busy = busy
        self._last = time.monotonic()

    def expired(self) -> bool:
        now = time.monotonic()
        if not self._busy():
            self._left -= now - self._last
        self._last = now
        return self._left <= 0


def _clean_message(value: object) -> str:
    text = shown(value, _MAX_MESSAGE, quote=False) if isinstance(value, str) else ""
    return " ".join(text.split()) or "no reason given"


def _whole(value: object, what: str, *, low: int = 0, high: int | None = None) -> int:
    if not is_whole_number(value):
        raise ValueError(f"{what} {shown(value)} is not a whole number")
    if value < low or (high is not None and value > high):
        raise ValueError(f"{what} {value} is out of range")
    return value


class PageLink:
    """The kernel's end of the page protocol for one upload area.

    Parameters
    ----------
    send
        Sends a custom message to the pages (the widget's ``send``), from any thread.
    busy
        Whether a cell is running now (the kernel then reads no message from the page).
    page_timeout
        Seconds of silence from a page, while the kernel was free to hear it, after which
        its uploads stop as abandoned (a closed tab, a reload whose goodbye was lost).
    stop_grace
        Seconds a cancelled direct upload waits for the page to say it aborted the POST
        (or that it had already finished, so the stored file can be deleted).

    """

    def __init__(
        self,
        send: Send,
        *,
        busy: Callable[[], bool] = lambda: False,
        page_timeout: float = 20.0,
        stop_grace: float = 5.0,
    ) -> None:
        self._send = send
        self._busy = busy
        self.page_timeout = page_timeout
        self.stop_grace = stop_grace
        self._lock = threading.Lock()
        self._buffers: dict[str, bool] = {}
        self._live: dict[str, _Live] = {}
        self._ended: OrderedDict[str, None] = OrderedDict()
        self._heard: dict[str, float] = {}
        self._gone: set[str] = set()
        self._ids = itertools.count(1)
        self._busy_seen = 0.0
        self._closed = threading.Event()
        self._watchdog: threading.Thread | None = None

    # -- the pages ----------------------------------------------------------------------
    def page_seen(self, page: str) -> None:
        """Note that ``page`` spoke (any message from it)."""
        self._heard[page] = time.monotonic()

    def buffers_reach_kernel(self, page: str, ok: bool) -> None:
        """Record whether ``page``'s binary buffers reach the kernel (its hello's probe).

        A page whose buffers do not arrive cannot relay: its relays fail at once with a
        clear message instead of hanging; other pages are not affected."""
        self._buffers[page] = ok

    def page_gone(self, page: str) -> None:
        """``page`` went away: stop its uploads; later ones of its files fail at once."""
        with self._lock:
            self._gone.add(page)
            doomed = [live for live in self._live.values() if live.file.page == page]
        for live in doomed:
            live.fail(BrowserUploadError(PAGE_GONE))

    def is_gone(self, page: str) -> bool:
        """Whether ``page`` said goodbye or was given up on."""
        return page in self._gone

    @property
    def live(self) -> int:
        """How many uploads are exchanging messages with a page now."""
        return len(self._live)

    def close(self) -> None:
        """Stop every live upload (the widget is closing) and the watchdog."""
        self._closed.set()
        with self._lock:
            doomed = list(self._live.values())
        for live in doomed:
            live.fail(Cancelled("the upload area was closed"))

    # -- transfers (upload threads) ------------------------------------------------------
    def transfer(
        self, client: Client, file: BrowserFile, mode: str, *, chunk: int, window: int
    ) -> Transfer:
        """The :data:`~sv_widgets.uploads.Transfer` sending ``file`` from its page.

        ``mode`` is ``"auto"``, ``"direct"`` or ``"relay"``; ``chunk`` and ``window`` are
        the relay's largest chunk and how many may wait unacknowledged.
        """
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")

        def send(ticket: UploadTicket, progress: TransferProgress) -> str:
            if file.page in self._gone:
                raise BrowserUploadError(PAGE_GONE)
            if mode != "relay":
                code = self._direct(file, ticket, progress, fallback=mode == "auto")
                if code is not None:
                    return code
            return self._relay(client, file, ticket, progress, chunk=chunk, window=window)

        return send

    def _new_id(self) -> str:
        return f"t{next(self._ids)}"

    def _open(
        self, file: BrowserFile, kind: str, stream: RelayStream | None = None, tid: str = ""
    ) -> _Live:
        live = _Live(tid or self._new_id(), file, kind, time.monotonic(), stream)
        with self._lock:
            self._live[live.tid] = live
            if self._watchdog is None and not self._closed.is_set():
                self._watchdog = threading.Thread(
                    target=self._watch, name="sv-dropzone-watch", daemon=True
                )
                self._watchdog.start()
        return live

    def _end(self, live: _Live) -> None:
        with self._lock:
            self._live.pop(live.tid, None)
            self._ended[live.tid] = None
            while len(self._ended) > _ENDED_KEPT:
                self._ended.popitem(last=False)

    def _post(self, live: _Live, content: dict[str, Any]) -> None:
        self._say({**content, "tid": live.tid, "page": live.file.page})

    def _say(self, content: dict[str, Any], buffers: list[bytes] | None = None) -> None:
        try:
            self._send(content, buffers)
        except Exception:  # the widget closed under us: the page is gone anyway
            return

    def _stop(self, live: _Live, reason: str) -> None:
        if not live.stop_sent:
            live.stop_sent = True
            self._post(live, {"type": "stop", "reason": reason})

    # -- direct -------------------------------------------------------------------------
    def _direct(
        self, file: BrowserFile, ticket: UploadTicket, progress: TransferProgress, *, fallback: bool
    ) -> str | None:
        live = self._open(file, "direct")
        progress.state.apply(
            transport="direct", transport_note="", state="uploading directly from this page"
        )
        query = urlencode({"ref": ticket.ref, "token": ticket.token})
        url = f"{ticket.server}{'&' if '?' in ticket.server else '?'}{query}"
        message = {"type": "direct", "key": file.key, "url": url, "name": file.name}
        self._post(live, {**message, "size": file.size, "fallback": fallback})
        try:
            return self._follow_direct(live, ticket, progress, fallback=fallback)
        except BaseException:
            self._stop(live, "the upload was stopped")
            raise
        finally:
            self._end(live)

    def _follow_direct(
        self, live: _Live, ticket: UploadTicket, progress: TransferProgress, *, fallback: bool
    ) -> str | None:
        size = live.file.size
        while True:
            kind, content = self._next_event(live, progress)
            if kind == "progress":
                try:
                    progress.sent(content, size)
                except Exception:  # a cancel raced the report: handled on the next turn
                    if not progress.cancelled:
                        raise
            elif kind == "result":
                code = parse_upload_reply(content["status"], content["body"], token=ticket.token)
                progress.sent(size, size)
                progress.finished()
                return code
            elif kind == "failed":
                if fallback and content["sent"] == 0 and content["reason"] in _FALLBACK_REASONS:
                    progress.state.apply(
                        transport_note=f"direct upload not possible: {content['message']}"
                    )
                    return None
                raise BrowserUploadError(
                    f"the upload from the page failed: {content['message']}; {NOTHING_STORED}"
                )
            else:  # "stopped" without being asked
                raise BrowserUploadError(f"the page stopped the upload; {NOTHING_STORED}")

    def _next_event(self, live: _Live, progress: TransferProgress) -> tuple[str, Any]:
        while True:
            if progress.cancelled:
                return self._cancel_direct(live)
            try:
                kind, content = live.events.get(timeout=_POLL)
            except queue.Empty:
                continue
            if kind == "error":
                raise content
            return kind, content

    def _cancel_direct(self, live: _Live) -> tuple[str, Any]:
        """Ask the page to abort; a POST that had already finished gives its answer, so that
        the job can delete the stored file; otherwise the cancel stands."""
        self._stop(live, "cancelled")
        clock = _IdleClock(self.stop_grace, self._busy)
        while not clock.expired():
            try:
                kind, content = live.events.get(timeout=_POLL)
            except queue.Empty:
                continue
            if kind == "result":
                return kind, content
            if kind in ("stopped", "failed", "error"):
                break
        raise Cancelled("the upload was cancelled")

    # -- relay --------------------------------------------------------------------------
    def _relay(
        self,
        client: Client,
        file: BrowserFile,
        ticket: UploadTicket,
        progress: TransferProgress,
        *,
        chunk: int,
        window: int,
    ) -> str:
        if self._buffers.get(file.page) is False:
            raise BrowserUploadError(f"{NO_BUFFERS}; {NOTHING_STORED}")
        tid = self._new_id()
        stream = RelayStream(
            name=file.name,
            size=file.size,
            chunk=chunk,
            window=window,
            ack=lambda taken: self._say({"type": "ack", "tid": tid, "offset": taken}),
            cancelled=lambda: progress.cancelled,
        )
        live = self._open(file, "relay", stream, tid)
        progress.state.apply(transport="relay", state="relaying through the kernel")
        message = {"type": "relay", "key": file.key, "name": file.name, "size": file.size}
        self._post(live, {**message, "chunk": chunk, "window": window})

        def post() -> str:
            try:
                return client.upload(
                    stream, ticket=ticket, on_progress=progress.sent, cancel=progress.cancel
                )
            except BaseException as exc:
                if stream.failure is not None and exc is not stream.failure:
                    raise stream.failure from exc
                raise

        try:  # aside: a cancel ends the row at once, whatever the upload server does
            code = run_aside(client, progress, post)
        except BaseException:
            self._stop(live, "the upload was stopped")
            raise
        finally:
            self._end(live)
        progress.finished()
        return code

    # -- messages from the pages (the kernel's main thread) ----------------------------
    def handle(self, content: dict[str, Any], buffers: Sequence[Any]) -> str | None:
        """Take one message from a page. Returns a notice when it is refused and names no
        live upload; a message that breaks the protocol of a live upload stops that upload
        (its row says why). Never raises for what the page sent."""
        kind = content.get("type")
        if kind in ("alive", "bye"):
            try:
                page = check_id(content.get("page"), "page")
            except ValueError as e:
                return f"refused a message from the page: {e}"
            self.page_seen(page)
            if kind == "bye":
                self.page_gone(page)
            return None
        if kind not in _ROUTES:
            return f"refused a message of unknown type {shown(kind)}"
        tid = content.get("tid")
        with self._lock:
            live = self._live.get(tid) if isinstance(tid, str) else None
            ended = isinstance(tid, str) and tid in self._ended
        if live is None:  # late messages of an upload that just stopped pass quietly
            return None if ended else f"refused a {kind} message for an unknown upload {shown(tid)}"
        self.page_seen(live.file.page)
        try:
            _ROUTES[kind](live, content, buffers)
        except ValueError as e:
            live.fail(BrowserUploadError(f"refused from the page: {e}; {NOTHING_STORED}"))
            self._stop(live, "refused")
        return None

    # -- the watchdog -------------------------------------------------------------------
    def _watch(self) -> None:
        while not self._closed.wait(_TICK):
            with self._lock:
                live = list(self._live.values())
                if not live:
                    self._watchdog = None
                    return
            busy = self._busy()
            now = time.monotonic()
            if busy:
                self._busy_seen = now
            self._say({"type": "tick", "busy": busy})
            for item in live:
                heard = max(self._heard.get(item.file.page, 0.0), item.opened, self._busy_seen)
                if not busy and now - heard > self.page_timeout:
                    silence = f"no word from the page for {self.page_timeout:.0f} s"
                    item.fail(BrowserUploadError(f"{silence}: {PAGE_GONE}"))
        with self._lock:
            self._watchdog = None


# -- routing of transfer messages: each checks its fields, then hands them on ----------
def _chunk(live: _Live, content: dict[str, Any], buffers: Sequence[Any]) -> None:
    if live.stream is None:
        raise ValueError("a chunk for an upload that is not relayed")
    offset = _whole(content.get("offset"), "the chunk offset")
    if len(buffers) != 1:
        if not buffers:
            raise ValueError(NO_BUFFERS)
        raise ValueError(f"a chunk message with {len(buffers)} binary buffers, not one")
    live.stream.feed(offset, buffers[0])


def _progress(live: _Live, content: dict[str, Any], buffers: Sequence[Any]) -> None:
    if live.kind != "direct":
        raise ValueError("a progress report for an upload that is not direct")
    sent = _whole(content.get("sent"), "the bytes sent", high=live.file.size)
    live.events.put(("progress", min(sent, live.file.size - 1)))


def _result(live: _Live, content: dict[str, Any], buffers: Sequence[Any]) -> None:
    if live.kind != "direct":
        raise ValueError("an upload server answer for an upload that is not direct")
    status = _whole(content.get("status"), "the HTTP status", high=999)
    body = content.get("body")
    if not isinstance(body, str) or len(body) > _MAX_BODY:
        raise ValueError("the upload server's answer is not text of at most 1 MiB")
    live.events.put(("result", {"status": status, "body": body}))


def _failed(live: _Live, content: dict[str, Any], buffers: Sequence[Any]) -> None:
    reason = content.get("reason")
    if reason not in _FAILURE_REASONS:
        raise ValueError(f"an unknown failure reason {shown(reason)}")
    sent = _whole(content.get("sent"), "the bytes sent", high=live.file.size)
    report = {"sent": sent, "reason": reason, "message": _clean_message(content.get("message"))}
    if live.stream is not None:
        live.stream.fail(
            BrowserUploadError(
                f"the page could not send the file: {report['message']}; {NOTHING_STORED}"
            )
        )
    live.events.put(("failed", report))


def _stopped(live: _Live, content: dict[str, Any], buffers: Sequence[Any]) -> None:
    live.events.put(("stopped", None))
    if live.stream is not None and not live.stop_sent:
        live.stream.fail(BrowserUploadError(f"the page stopped the upload; {NOTHING_STORED}"))


_ROUTES: dict[str, Callable[[_Live, dict[str, Any], Sequence[Any]], None]] = {
    "chunk": _chunk,
    "progress": _progress,
    "result": _result,
    "failed": _failed,
    "stopped": _stopped,
}
