"""The kernel's end of one upload area's conversation with its pages.

:class:`PageSession` reads every message a page sends (checked first by
:func:`~sv_widgets.uploads._protocol.parse`), keeps the chosen files as rows, each with its
:class:`~sv_widgets.uploads.Upload`, and runs them through a :class:`PageLink`. The widget
(``UploadDropzone``) keeps only its traits and its view: it hands each custom message here
and draws the rows.

Who may say what: a page greets with ``hello`` and is answered with a ``welcome`` carrying a
secret of its own; every later message must carry that secret, so a page cannot speak for
another (page ids are public: every row names one). A message that breaks the protocol names
its refusal in a notice, or, when it names a live upload its sender holds, stops that upload
with a row error; nothing reaches a catch-all.
"""

from __future__ import annotations

import hmac
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sv_widgets._values import is_whole_number, shown
from sv_widgets.errors import FileserverError
from sv_widgets.uploads._page import BrowserFile, check_size, clean_file_name
from sv_widgets.uploads._page_link import PageLink, Send
from sv_widgets.uploads._protocol import (
    FILE_FIELDS,
    LIMITS,
    PROBE,
    FromKernel,
    FromPage,
    PageMessage,
    ProtocolError,
    a_message,
    check_id,
    kernel_message,
    parse,
)
from sv_widgets.uploads._state import UploadState
from sv_widgets.uploads._upload import Upload

if TYPE_CHECKING:
    from sv_widgets.client import Client
    from sv_widgets.uploads._options import UploadOptions

__all__ = ["PageRow", "PageSession"]

_NAME_SHOWN = 80
#: The API's code for a file the service could not process (a conversion refused).
FILESERVER_ERROR = FileserverError.default_code
NOT_HOLDER = (
    "cannot retry: this page does not hold the file (it was chosen before a reload or in "
    "another tab); choose it again"
)


@dataclass
class PageRow:
    """One chosen file: who holds it, how it travels, and its upload."""

    id: str
    key: str
    page: str
    mode: str
    state: UploadState
    upload: Upload | None = None  # None: refused before anything was sent
    queued: bool = False
    generation: int = 0  # bumped by each (re)scheduling: a stale queued task does nothing
    secret: str = ""  # of the page that added it: a later page of the same id holds nothing

    def can_retry(self, phase: str) -> bool:
        """Whether Retry can help. Not for a file the service stored and then refused to
        convert (not a video, damaged): the page would send the same bytes, to the same end."""
        if self.upload is None or phase not in ("failed", "cancelled"):
            return False
        state = self.state
        return not (phase == "failed" and state.file_code and state.error_code == FILESERVER_ERROR)


@dataclass
class SessionSettings:
    """What the session reads from its widget when a file is added (it may change between)."""

    transport: Callable[[], str]
    chunk: Callable[[], int]
    window: Callable[[], int]


class PageSession:
    """Every message of the page protocol for one upload area, and its rows.

    Parameters
    ----------
    client, options
        Who uploads, and what to ask of the service once a file is stored.
    send
        Sends one custom message to the pages.
    settings
        The transport, chunk size and window for the next file added.
    submit
        Runs ``fn(*args)`` on the widget's bounded pool of upload threads.
    changed
        Called on every change of any row (from any thread).
    buffers_known
        Called with whether the page that last said hello can relay.
    busy
        Whether a cell runs now (the kernel then reads no message from a page).
    link
        The link to the pages (a :class:`PageLink` sending with ``send`` by default).
    """

    def __init__(
        self,
        client: Client,
        options: UploadOptions,
        send: Send,
        settings: SessionSettings,
        *,
        submit: Callable[..., Any],
        changed: Callable[[], None],
        buffers_known: Callable[[bool], None],
        busy: Callable[[], bool] = lambda: False,
        link: PageLink | None = None,
    ) -> None:
        self._client = client
        self.options = options
        self._send = send
        self._settings = settings
        self._submit = submit
        self._changed = changed
        self._buffers_known = buffers_known
        self.link = link if link is not None else PageLink(send, busy=busy)
        self.rows: list[PageRow] = []
        self._by_id: dict[str, PageRow] = {}
        self.lock = threading.RLock()  # the rows; never held while waiting on an upload
        self._routes: dict[str, Callable[[PageMessage], str | None]] = {
            FromPage.HELLO: self._hello,
            FromPage.ADD: self._add,
            FromPage.CANCEL: self._cancel,
            FromPage.RETRY: self._retry,
            FromPage.ALIVE: self._alive,
            FromPage.BYE: self._bye,
        }

    # -- the page -> the kernel ---------------------------------------------------------
    def receive(self, content: object, buffers: list[Any]) -> str | None:
        """Take one message from a page; returns a notice when it is refused. Never raises
        for what the page sent."""
        try:
            message = parse(content, buffers)
        except ProtocolError as e:
            return self._refused(e)
        route = self._routes.get(message.kind)
        if route is None:  # a transfer message: the link's
            return self.link.handle(message)
        if message.kind != FromPage.HELLO and not self.link.verify(message.page, message.secret):
            return f"refused {a_message(message.kind)}: {self.link.not_from(message.page)}"
        return route(message)

    def _refused(self, error: ProtocolError) -> str:
        kind = a_message(error.kind)
        if error.tid and self.link.refuse(error.tid, error.secret, str(error)):
            return ""  # the upload it names is stopped; its row says why
        return f"refused {kind} from the page: {error}"

    def _hello(self, message: PageMessage) -> str | None:
        page = message.page
        probe = message.buffers[0] if len(message.buffers) == 1 else memoryview(b"")
        ok = probe.nbytes == len(PROBE) and probe.tobytes() == PROBE
        secret = self.link.greet(page, ok)
        if secret is None:
            return f"refused a hello from page {shown(page)}: that page already said hello"
        self._buffers_known(ok)
        self._send(kernel_message(FromKernel.WELCOME, page=page, secret=secret, buffers=ok), None)
        return None

    def _alive(self, message: PageMessage) -> str | None:
        self.link.page_seen(message.page)
        return None

    def _bye(self, message: PageMessage) -> str | None:
        self.link.page_gone(message.page)
        return None

    def _add(self, message: PageMessage) -> str | None:
        page = message.page
        entries: list[Any] = message["files"]
        with self.lock:
            room = LIMITS.rows - len(self.rows)
            for entry in entries[:room]:
                self._add_one(page, message.secret, entry)
        self._changed()
        if len(entries) > room:
            rows = LIMITS.rows
            return f"refused {len(entries) - room:,} files: an upload area keeps {rows:,}"
        return None

    def _add_one(self, page: str, secret: str, listed: object) -> None:
        row_id = f"f{len(self.rows) + 1}"
        mode = self._settings.transport()
        entry: dict[str, Any] = listed if isinstance(listed, dict) else {}
        try:
            if not isinstance(listed, dict):
                fields = ", ".join(f.name for f in FILE_FIELDS)
                raise ValueError(f"the file {shown(listed)} is not an object of {fields}")
            key = check_id(entry.get("key"), "the file id")
            name = clean_file_name(entry.get("name"))
            size = check_size(entry.get("size"))
            mime = entry.get("mime", "")
            if not isinstance(mime, str) or len(mime) > LIMITS.name_chars:
                raise ValueError(f"the file's media type {shown(mime)} is not a short text")
        except ValueError as e:
            declared = entry.get("size")
            known = declared if is_whole_number(declared) else 0
            state = UploadState(name=_refused_name(entry.get("name")), total=max(0, known))
            state.apply(phase="failed", error=f"refused: {e}", state="failed: nothing was sent")
            # Keyed as the page keyed it (when that key is sound), so that the page can match
            # the refusal to the file it is waiting on and stop waiting.
            self._register(PageRow(row_id, _key_or_blank(entry), page, mode, state, secret=secret))
            return
        file = BrowserFile(page, key, name, size)
        row = PageRow(row_id, key, page, mode, UploadState(name=name, total=size), secret=secret)
        transfer = self.link.transfer(
            self._client,
            file,
            mode,
            chunk=self._settings.chunk(),
            window=self._settings.window(),
        )
        row.upload = Upload(
            self._client, file, self.options, transfer=transfer, name=name, size=size
        )
        row.state = row.upload.state
        self._register(row)
        self.schedule(row)

    def _register(self, row: PageRow) -> None:
        self.rows.append(row)
        self._by_id[row.id] = row
        row.state.observe(lambda _c: self._changed(), names="revision")

    def _cancel(self, message: PageMessage) -> str | None:
        row = self._by_id.get(message["row"])
        if row is None:
            return f"refused a cancel for an unknown file {shown(message['row'])}"
        self.cancel_row(row)
        return None

    def _retry(self, message: PageMessage) -> str | None:
        row = self._by_id.get(message["row"])
        if row is None:
            return f"refused a retry for an unknown file {shown(message['row'])}"
        # A later page greeted under the same id (the first was forgotten) holds nothing.
        same = hmac.compare_digest(message.secret, row.secret)
        self.retry_row(row, message.page if same else "")
        return None

    # -- rows ---------------------------------------------------------------------------
    def schedule(self, row: PageRow) -> None:
        """Queue ``row``'s upload on the pool."""
        with self.lock:
            row.queued = True
            row.generation += 1
            generation = row.generation
        self._submit(self._run_row, row, generation)

    def _run_row(self, row: PageRow, generation: int) -> None:
        # Under the lock, so that a cancel sees the row either queued or started. Starting
        # takes no lock a running upload holds, so this cannot deadlock with its updates.
        with self.lock:
            if generation != row.generation or not row.queued or row.upload is None:
                return  # cancelled (or retried) while it waited
            row.queued = False
            row.upload.start()
        row.upload.done(None)

    def cancel_row(self, row: PageRow) -> None:
        """Cancel ``row``: a queued one ends at once, a running one stops at a clean point."""
        with self.lock:
            was_queued, row.queued = row.queued, False
        if was_queued:  # not started: nothing was sent
            row.state.apply(phase="cancelled", state="cancelled: nothing was stored")
        elif row.upload is not None:
            row.upload.cancel()

    def retry_row(self, row: PageRow, page: str | None) -> None:
        """Upload ``row`` again; ``page``: the page asking (``None``: the kernel's own call)."""
        with self.lock:
            if row.queued or not row.can_retry(row.state.phase):
                return
            holder = (page is None or page == row.page) and not self.link.is_gone(row.page)
        if not holder:
            row.state.apply(state=NOT_HOLDER)
            return
        row.state.apply(phase="idle", progress=0.0, error="", error_code=None, state="queued")
        self.schedule(row)

    def close(self) -> None:
        """Cancel every row and stop the link."""
        for row in list(self.rows):
            self.cancel_row(row)
        self.link.close()


def _refused_name(raw: object) -> str:
    """The name a refused row shows for what the page sent as a file's name."""
    if not isinstance(raw, str) or not raw:
        return "(no name)"
    return shown(raw, _NAME_SHOWN, quote=False)


def _key_or_blank(entry: dict[str, Any]) -> str:
    try:
        return check_id(entry.get("key"), "the file id")
    except ValueError:
        return ""
