"""Uploads from the person's own computer: the kernel's end of each transfer with a page.

The upload area's front end (the *page*: a browser tab) holds the chosen ``File``; the kernel
holds the keys. For each upload the kernel initiates it (the private key never leaves the
kernel) and hands the page the single-use ticket of that one upload in a custom message, never
in a synced trait, so it is never saved in a notebook. The bytes then travel one of two ways:

- **direct**: the page POSTs the file to the ticket's upload server itself
  (``{server}?ref=&token=``, multipart field ``file``), reports its upload progress and then
  the server's answer; no byte goes through the kernel. The code the page reports counts only
  once the service lists it as new to the account since the ticket and no other upload of
  this area has it; otherwise the kernel relays the file instead.
- **relay**: the page sends ``File.slice`` chunks as binary buffers of custom messages; the
  client streams them straight into its own multipart POST (:class:`RelayStream`), and each
  chunk is acknowledged once it is in the request body, with at most ``window`` waiting.

``auto`` tries direct, and relays instead when the page finds the upload server out of its
reach (a loopback host seen from another machine, mixed content) or the POST fails on the
network or CORS before any byte went out. :class:`PageLink` is the kernel's end of all this;
its :meth:`PageLink.transfer` is a :data:`~sv_widgets.uploads.Transfer` like any other, so an
upload from a page runs through the same :class:`~sv_widgets.uploads.UploadJob` as the rest.

The messages, their fields and the limits are declared in
:mod:`sv_widgets.uploads._protocol` (and documented in ``docs/wire-contract.md``); the
session (:mod:`sv_widgets.uploads._session`) parses each one and hands the transfer messages
here. The link also knows the pages: each greeted page's secret, whether its buffers reach
the kernel, when it was last heard, whether it went. It remembers a bounded number of pages
(the least recently heard one without a live upload is forgotten, one that never added a
file first; a forgotten page is a page gone).

A message that breaks the protocol for a live upload (a chunk out of order, larger than agreed,
past the declared size, beyond the window, without its binary buffer; a progress or answer of
the wrong shape) stops that upload with a row error, and its body is cut off so the service
stores nothing; one naming no live upload, or not carrying the secret of the page that holds
it, is refused as a notice. Nothing is written to disk.

A page that falls silent (closed, reloaded) for ``page_timeout`` seconds while the kernel was
free to hear it has its uploads stopped; time while a cell runs does not count, since the
kernel reads no message then.
"""

from __future__ import annotations

import hmac
import itertools
import queue
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from sv_widgets._values import shown
from sv_widgets.errors import Cancelled, SpareVideosError
from sv_widgets.uploads._job import Transfer, TransferProgress, run_aside
from sv_widgets.uploads._page import BrowserFile, BrowserUploadError, parse_upload_reply
from sv_widgets.uploads._protocol import (
    FALLBACK_REASONS,
    LIMITS,
    NO_BUFFERS,
    TRANSPORTS,
    FromKernel,
    FromPage,
    PageMessage,
    a_message,
    kernel_message,
)
from sv_widgets.uploads._relay import RelayStream

if TYPE_CHECKING:
    from sv_widgets.client import Client
    from sv_widgets.models import UploadTicket

__all__ = ["MODES", "PageLink", "Send"]

#: How an upload's bytes may travel.
MODES = TRANSPORTS
_AUTO, _DIRECT, _RELAY = TRANSPORTS
#: Sends one custom message to the pages: ``send(content, buffers)``.
Send = Callable[[dict[str, Any], "list[bytes] | None"], None]

NOTHING_STORED = "nothing was stored"
PAGE_GONE = (
    "the page that held this file was reloaded or closed mid-upload; "
    f"{NOTHING_STORED}: choose the file again"
)
_ERROR = "error"  # an event that is not a page's message: the upload must stop
_POLL = 0.1


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
        self.events.put((_ERROR, error))


@dataclass
class _Page:
    """What the kernel knows of one page."""

    secret: str
    buffers: bool  # whether its binary buffers reach the kernel
    heard: float
    gone: bool = False
    files: bool = False  # whether it added a file (such a page is forgotten last)


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


def _clean_message(value: str) -> str:
    text = shown(value, LIMITS.message_chars, quote=False)
    return " ".join(text.split()) or "no reason given"


def _in_range(value: int, what: str, high: int) -> int:
    if value > high:
        raise ValueError(f"{what} {value} is out of range")
    return value


@dataclass(frozen=True)
class _Snapshot:
    """The end of the account's listing when a ticket went to a page."""

    page: int
    codes: frozenset[str]


def _listing_end(client: Client) -> _Snapshot:
    first = client.list_files(1)
    last = first if first.last_page <= 1 else client.list_files(first.last_page)
    return _Snapshot(max(1, last.current_page), frozenset(last.codes))


def _new_since(client: Client, snapshot: _Snapshot, code: str) -> bool:
    """Whether the service lists ``code`` in this account, after the snapshot's end."""
    page = client.list_files(snapshot.page)
    seen = set(page.codes)
    for number in range(snapshot.page + 1, page.last_page + 1):
        seen.update(client.list_files(number).codes)
    return code in seen and code not in snapshot.codes


class PageLink:
    """The kernel's end of the page protocol's transfers for one upload area, and its pages.

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
    new_secret
        Makes each greeted page's secret (random; a test may name them).

    """

    def __init__(
        self,
        send: Send,
        *,
        busy: Callable[[], bool] = lambda: False,
        page_timeout: float = LIMITS.page_timeout,
        stop_grace: float = LIMITS.stop_grace,
        new_secret: Callable[[], str] = lambda: secrets.token_urlsafe(24),
    ) -> None:
        self._send = send
        self._new_secret = new_secret
        self._busy = busy
        self.page_timeout = page_timeout
        self.stop_grace = stop_grace
        self._lock = threading.Lock()
        self._claimed: set[str] = set()  # codes of this area's uploads, each taken once
        self._pages: OrderedDict[str, _Page] = OrderedDict()  # the least recently heard first
        self._live: dict[str, _Live] = {}
        self._ended: OrderedDict[str, None] = OrderedDict()
        self._ids = itertools.count(1)
        self._busy_seen = 0.0
        self._closed = threading.Event()
        self._watchdog: threading.Thread | None = None

    # -- the pages ----------------------------------------------------------------------
    def greet(self, page: str, buffers: bool) -> str | None:
        """A new page said hello: its secret, or ``None`` when ``page`` already did (a page
        id is public; greeting it again would hand its secret to whoever asked).

        ``buffers``: whether its binary buffers reach the kernel (its hello's probe). A page
        whose buffers do not arrive cannot relay: its relays fail at once with a clear
        message instead of hanging; other pages are not affected.
        """
        with self._lock:
            if page in self._pages:
                return None
            self._forget_quiet_pages(LIMITS.pages - 1)
            secret = self._new_secret()
            self._pages[page] = _Page(secret, buffers, time.monotonic())
        return secret

    def _forget_quiet_pages(self, keep: int) -> None:
        """Forget the least recently heard pages without a live upload, down to ``keep``:
        first those that never added a file (a flood of hellos forgets only its own)."""
        busy = {live.file.page for live in self._live.values()}
        for spare_those_with_files in (True, False):
            for page, known in list(self._pages.items()):
                if len(self._pages) <= keep:
                    return
                if page not in busy and not (spare_those_with_files and known.files):
                    del self._pages[page]

    def verify(self, page: str, secret: str) -> bool:
        """Whether ``secret`` is the secret of ``page``'s welcome."""
        known = self._pages.get(page)
        return known is not None and hmac.compare_digest(known.secret, secret)

    def not_from(self, page: str) -> str:
        """Why a message naming ``page`` was refused by :meth:`verify`."""
        if page not in self._pages:
            return f"page {shown(page)} did not say hello to this upload area"
        return f"it does not carry the secret of page {shown(page)}"

    @property
    def pages(self) -> int:
        """How many pages the link remembers."""
        return len(self._pages)

    def page_seen(self, page: str) -> None:
        """Note that ``page`` spoke (any message from it)."""
        with self._lock:
            known = self._pages.get(page)
            if known is not None:
                known.heard = time.monotonic()
                self._pages.move_to_end(page)

    def page_gone(self, page: str) -> None:
        """``page`` went away: stop its uploads; later ones of its files fail at once."""
        with self._lock:
            known = self._pages.get(page)
            if known is not None:
                known.gone = True
            doomed = [live for live in self._live.values() if live.file.page == page]
        for live in doomed:
            live.fail(BrowserUploadError(PAGE_GONE))

    def is_gone(self, page: str) -> bool:
        """Whether ``page`` said goodbye, was given up on, or is not (or no longer) known."""
        known = self._pages.get(page)
        return known is None or known.gone

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
        known = self._pages.get(file.page)
        if known is not None:
            known.files = True

        def send(ticket: UploadTicket, progress: TransferProgress) -> str:
            if self.is_gone(file.page):
                raise BrowserUploadError(PAGE_GONE)
            if mode != _RELAY:
                code = self._direct(client, file, ticket, progress, fallback=mode == _AUTO)
                if code is not None:
                    return code
            return self._relay(client, file, ticket, progress, chunk=chunk, window=window)

        return send

    def _claim(self, code: str) -> bool:
        """Take ``code`` as one upload's file, once: a page that reports one stored file for
        two uploads (or a file this area relayed) gets it for the first only."""
        with self._lock:
            if code in self._claimed:
                return False
            self._claimed.add(code)
            return True

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
            while len(self._ended) > LIMITS.ended_kept:
                self._ended.popitem(last=False)
        if live.stream is not None:
            live.stream.release()  # chunks that were never read go now, not with the row

    def _say(self, kind: str, buffers: list[bytes] | None = None, **fields: Any) -> None:
        content = kernel_message(kind, **fields)
        try:
            self._send(content, buffers)
        except Exception:  # the widget closed under us: the page is gone anyway
            return

    def _stop(self, live: _Live, reason: str) -> None:
        if not live.stop_sent:
            live.stop_sent = True
            self._say(FromKernel.STOP, tid=live.tid, page=live.file.page, reason=reason)

    # -- direct -------------------------------------------------------------------------
    def _direct(
        self,
        client: Client,
        file: BrowserFile,
        ticket: UploadTicket,
        progress: TransferProgress,
        *,
        fallback: bool,
    ) -> str | None:
        try:
            snapshot = _listing_end(client)
        except SpareVideosError as exc:  # the code could not be confirmed later: relay
            progress.state.apply(
                transport_note=f"relayed: the service's listing could not be read ({exc.summary})"
            )
            return None
        live = self._open(file, _DIRECT)
        progress.state.apply(
            transport=_DIRECT, transport_note="", state="uploading directly from this page"
        )
        query = urlencode({"ref": ticket.ref, "token": ticket.token})
        url = f"{ticket.server}{'&' if '?' in ticket.server else '?'}{query}"
        try:
            self._say(
                FromKernel.DIRECT,
                tid=live.tid,
                page=file.page,
                key=file.key,
                url=url,
                name=file.name,
                size=file.size,
                fallback=fallback,
            )
            code = self._follow_direct(live, ticket, progress, fallback=fallback)
        except BaseException:
            self._stop(live, "the upload was stopped")
            raise
        finally:
            self._end(live)
        if code is None or self._confirmed(client, snapshot, code, progress):
            return code
        return None

    def _confirmed(
        self, client: Client, snapshot: _Snapshot, code: str, progress: TransferProgress
    ) -> bool:
        """Whether the service holds ``code`` as a file new to the account since the ticket:
        a code the page reports is only its word."""
        try:
            if _new_since(client, snapshot, code):
                if self._claim(code):
                    return True
                why = f"{code} is the file of another upload"
            else:
                why = f"the service does not list {code} as a new file of this account"
        except SpareVideosError as exc:
            why = f"the service's listing could not be read ({exc.summary})"
        progress.state.apply(transport_note=f"relayed: the page's upload was not confirmed: {why}")
        return False

    def _follow_direct(
        self, live: _Live, ticket: UploadTicket, progress: TransferProgress, *, fallback: bool
    ) -> str | None:
        size = live.file.size
        while True:
            kind, content = self._next_event(live, progress)
            if kind == FromPage.PROGRESS:
                try:
                    progress.sent(content, size)
                except Exception:  # a cancel raced the report: handled on the next turn
                    if not progress.cancelled:
                        raise
            elif kind == FromPage.RESULT:
                code = parse_upload_reply(content["status"], content["body"], token=ticket.token)
                progress.sent(size, size)
                progress.finished()
                return code
            elif kind == FromPage.FAILED:
                live.stop_sent = True  # the page has ended it: nothing to stop
                if fallback and content["sent"] == 0 and content["reason"] in FALLBACK_REASONS:
                    progress.state.apply(
                        transport_note=f"direct upload not possible: {content['message']}"
                    )
                    return None
                raise BrowserUploadError(
                    f"the upload from the page failed: {content['message']}; {NOTHING_STORED}"
                )
            else:  # stopped without being asked
                live.stop_sent = True
                raise BrowserUploadError(f"the page stopped the upload; {NOTHING_STORED}")

    def _next_event(self, live: _Live, progress: TransferProgress) -> tuple[str, Any]:
        while True:
            if progress.cancelled:
                return self._cancel_direct(live)
            try:
                kind, content = live.events.get(timeout=_POLL)
            except queue.Empty:
                continue
            if kind == _ERROR:
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
            if kind == FromPage.RESULT:
                return kind, content
            if kind in (FromPage.STOPPED, FromPage.FAILED, _ERROR):
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
        known = self._pages.get(file.page)
        if known is not None and not known.buffers:
            raise BrowserUploadError(f"{NO_BUFFERS}; {NOTHING_STORED}")
        tid = self._new_id()
        stream = RelayStream(
            name=file.name,
            size=file.size,
            chunk=chunk,
            window=window,
            ack=lambda taken: self._say(FromKernel.ACK, tid=tid, offset=taken),
            cancelled=lambda: progress.cancelled,
        )
        live = self._open(file, _RELAY, stream, tid)
        progress.state.apply(transport=_RELAY, state="relaying through the kernel")
        self._say(
            FromKernel.RELAY,
            tid=tid,
            page=file.page,
            key=file.key,
            name=file.name,
            size=file.size,
            chunk=chunk,
            window=window,
        )

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
            self._stop(live, "cancelled" if progress.cancelled else "the upload was stopped")
            raise
        finally:
            self._end(live)
        progress.finished()
        self._claim(code)  # the kernel's own upload: no page may report it as another's
        return code

    # -- messages from the pages (the kernel's main thread) ----------------------------
    def handle(self, message: PageMessage) -> str | None:
        """Take one transfer message from a page (its fields already checked). Returns a
        notice when it is refused and stops no upload; a message that breaks the protocol of
        a live upload stops that upload (its row says why). Never raises for what the page
        sent."""
        kind, tid = message.kind, message.tid
        with self._lock:
            live = self._live.get(tid)
            ended = tid in self._ended
        if live is None:  # late messages of an upload that just stopped pass quietly
            return (
                None if ended else f"refused {a_message(kind)} for an unknown upload {shown(tid)}"
            )
        if not self.verify(live.file.page, message.secret):
            return f"refused {a_message(kind)} for upload {tid}: {self.not_from(live.file.page)}"
        self.page_seen(live.file.page)
        try:
            _ROUTES[kind](live, message)
        except ValueError as e:
            self._refuse(live, str(e))
        return None

    def refuse(self, tid: str, secret: str, reason: str) -> bool:
        """Stop upload ``tid`` for a message that broke the protocol, when its sender holds
        the secret of the upload's page; returns whether it did."""
        with self._lock:
            live = self._live.get(tid)
        if live is None or not self.verify(live.file.page, secret):
            return False
        self._refuse(live, reason)
        return True

    def _refuse(self, live: _Live, reason: str) -> None:
        live.fail(BrowserUploadError(f"refused from the page: {reason}; {NOTHING_STORED}"))
        self._stop(live, "refused")

    # -- the watchdog -------------------------------------------------------------------
    def _watch(self) -> None:
        while not self._closed.wait(LIMITS.tick):
            with self._lock:
                live = list(self._live.values())
                if not live:
                    self._watchdog = None
                    return
            busy = self._busy()
            now = time.monotonic()
            if busy:
                self._busy_seen = now
            self._say(FromKernel.TICK, busy=busy)
            for item in live:
                known = self._pages.get(item.file.page)
                heard = max(known.heard if known else 0.0, item.opened, self._busy_seen)
                if not busy and now - heard > self.page_timeout:
                    silence = f"no word from the page for {self.page_timeout:.0f} s"
                    item.fail(BrowserUploadError(f"{silence}: {PAGE_GONE}"))
        with self._lock:
            self._watchdog = None


# -- routing of transfer messages: each checks what the fields mean, then hands them on --
def _chunk(live: _Live, message: PageMessage) -> None:
    if live.stream is None:
        raise ValueError("a chunk for an upload that is not relayed")
    live.stream.feed(message["offset"], message.buffers[0])


def _progress(live: _Live, message: PageMessage) -> None:
    if live.kind != _DIRECT:
        raise ValueError("a progress report for an upload that is not direct")
    sent = _in_range(message["sent"], "the bytes sent", live.file.size)
    live.events.put((FromPage.PROGRESS, min(sent, live.file.size - 1)))


def _result(live: _Live, message: PageMessage) -> None:
    if live.kind != _DIRECT:
        raise ValueError("an upload server answer for an upload that is not direct")
    live.events.put((FromPage.RESULT, {"status": message["status"], "body": message["body"]}))


def _failed(live: _Live, message: PageMessage) -> None:
    sent = _in_range(message["sent"], "the bytes sent", live.file.size)
    text = _clean_message(message["message"])
    report = {"sent": sent, "reason": message["reason"], "message": text}
    if live.stream is not None:
        live.stream.fail(
            BrowserUploadError(f"the page could not send the file: {text}; {NOTHING_STORED}")
        )
    live.events.put((FromPage.FAILED, report))


def _stopped(live: _Live, message: PageMessage) -> None:
    live.events.put((FromPage.STOPPED, None))
    if live.stream is not None and not live.stop_sent:
        live.stream.fail(BrowserUploadError(f"the page stopped the upload; {NOTHING_STORED}"))


_ROUTES: dict[str, Callable[[_Live, PageMessage], None]] = {
    FromPage.CHUNK: _chunk,
    FromPage.PROGRESS: _progress,
    FromPage.RESULT: _result,
    FromPage.FAILED: _failed,
    FromPage.STOPPED: _stopped,
}
