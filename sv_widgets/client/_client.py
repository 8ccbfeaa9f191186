"""A typed client for the SpareVideos API (the wire format: ``docs/wire-contract.md``).

Every endpoint is one method that returns a model or raises an
:class:`~sv_widgets.errors.SpareVideosError`. Tokens are signed afresh for every attempt
and always travel percent-encoded. Idempotent calls retry (``_transport.Transport``); uploads,
conversions, thumbnail updates and deletions never do. A ``Client`` may be shared between
threads: each request borrows a ``requests.Session`` from a pool of warm ones.

Examples
--------
>>> client = Client("my-public-key", "my-private-key")
>>> client
Client(public_key='my-public-key', api_url='https://devs.sparevideos.com/api/v1', \
thumbnail_url='https://static.sparevideos.com/thumbnail')
>>> code = client.upload("clip.mp4", on_progress=print)  # doctest: +SKIP
>>> client.convert(code); info = client.wait_for_conversion(code)  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from sv_widgets._values import is_whole_number
from sv_widgets.client._base import ClientBase, _code
from sv_widgets.client._multipart import MultipartBody, ProgressReader, ProgressThrottle
from sv_widgets.client._polling import (
    POLL_READ_TIMEOUT,
    iter_pages,
    poll_remote_progress,
    wait_converted,
)
from sv_widgets.client._replies import parse_json, parse_progress, parse_thumbnail_list
from sv_widgets.client._sources import Source, open_source
from sv_widgets.client._transport import Attempt, RequestAbort
from sv_widgets.errors import InvalidResponse, SpareVideosError, UploadCancelled
from sv_widgets.models import FileInfo, FilePage, Thumbnail, UploadTicket
from sv_widgets.wire import is_http_url

__all__ = ["Client"]

_IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"GIF87a", b"GIF89a", b"RIFF")
_WATCH_EXIT = 0.2  # seconds a cancel watcher may outlive its upload before it notices


@contextlib.contextmanager
def _cut_when(
    cancel: threading.Event | None,
    abort: RequestAbort | None,
    stop: Callable[[], bool] = lambda: True,
) -> Iterator[None]:
    """While the block runs, a thread waits for ``cancel``: when it is set, and ``stop()``
    agrees, ``abort`` is cut, which wakes a send or a wait blocked in its connection."""
    if cancel is None or abort is None:
        yield
        return
    ended = threading.Event()

    def watch() -> None:
        while not ended.is_set():
            if cancel.wait(_WATCH_EXIT):
                if stop():
                    abort.cut()
                return

    watcher = threading.Thread(target=watch, name="sv-cancel", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        ended.set()


def _answer_abort(cancel: threading.Event | None) -> RequestAbort | None:
    """What lets ``cancel`` end a request whose answer may be dropped (a GET)."""
    return RequestAbort(answer=True) if cancel is not None else None


class Client(ClientBase):
    """Script the SpareVideos API.

    Parameters
    ----------
    public_key, private_key
        The account's API keys. The private key only ever signs; it is never sent, shown
        or logged.
    api_url, thumbnail_url
        Base URLs (the emulator's, for local work).
    algo
        HMAC algorithm named in every token (a name PHP and :mod:`hashlib` share).
    timeout
        ``(connect, read)`` seconds for every request.
    retries
        How many times an idempotent call is retried.
    session
        A ``requests.Session`` to use for every request (default: a pool of sessions, each
        request borrowing one no other thread is using).
    expires_in
        Lifetime in seconds of tokens for calls other than upload initiation (default 30).
    upload_expires_in
        Lifetime in seconds of upload-initiation tokens (default 3600: the API document
        advises one to two hours).
    backoff
        First retry delay in seconds; doubles each retry, with jitter.
    max_retry_after
        A ``Retry-After`` longer than this (seconds) is not waited for: the error is raised.

    Examples
    --------
    >>> Client("pk", "sk", api_url="http://127.0.0.1:8000/api/v1").api_url
    'http://127.0.0.1:8000/api/v1'
    """

    # ------------------------------------------------------------------ uploads

    def initiate_upload(
        self, *, expires_in: int | None = None, cancel: threading.Event | None = None
    ) -> UploadTicket:
        """Ask for an upload server and ticket (``GET /upload/initiate``), retried if needed.

        ``expires_in`` defaults to the client's ``upload_expires_in`` (3600 s). Setting
        ``cancel`` (from another thread) ends the call at once, even while the service is
        slow to answer or between two tries, with :class:`~sv_widgets.errors.Cancelled`.

        Examples
        --------
        >>> client.initiate_upload().server  # doctest: +SKIP
        'https://www.sparevideos.com/fileservers/upload'
        """
        abort = _answer_abort(cancel)
        with _cut_when(cancel, abort):
            body = self._api(
                "GET",
                "/upload/initiate",
                ("upload", "initiate"),
                idempotent=True,
                expires_in=expires_in or self.upload_expires_in,
                abort=abort,
            )
        return UploadTicket.from_json(body)

    def upload(
        self,
        source: Source,
        *,
        ticket: UploadTicket | None = None,
        on_progress: Callable[[int, int], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> str:
        """Upload a local file (path or binary file object) and return its file code.

        The file is streamed (memory stays flat whatever its size). ``on_progress(sent,
        total)`` is called about ten times a second with growing byte counts, the last call
        being exactly ``(total, total)``, once the whole file has been handed to the network.
        A non-seekable stream is spooled to a temporary file first so that its size is known,
        unless it declares its size (:class:`~sv_widgets.client.SizedStream`, e.g. bytes
        relayed from a browser): that is sent as it is read. Never retried automatically.

        Setting ``cancel`` (from another thread) stops the upload at once, even when a send
        is blocked because the server stopped reading or the network stalled: the body is cut
        short and the connection closed under it, so the service stores nothing, and
        :class:`~sv_widgets.errors.UploadCancelled` is raised. A cancel that comes after the
        whole file was sent cannot take it back: the call then waits for the service's
        answer and returns the code as usual (delete the file if it is not wanted). Through
        a ``session`` of your own the connection cannot be reached: the body stops at its
        next block, once a blocked send comes back.

        Raises
        ------
        LocalFileError
            Missing or unreadable file, before any request is made.
        UploadCancelled
            ``cancel`` was set before the whole file was sent; nothing was stored.

        Examples
        --------
        >>> client.upload("clip.mp4", on_progress=lambda s, t: print(f"{s}/{t}"))  # doctest: +SKIP
        '1700000000-AbC123'
        >>> stop = threading.Event()  # stop.set() from a Cancel button's thread
        >>> client.upload("clip.mp4", cancel=stop)  # doctest: +SKIP
        """
        src = open_source(source)
        try:
            ticket = ticket or self.initiate_upload(cancel=cancel)
            throttle = ProgressThrottle(on_progress)
            reader = ProgressReader(src, throttle)
            form = MultipartBody([("token", ticket.token), ("ref", ticket.ref)], "file", reader)
            spec = Attempt(
                "POST",
                ticket.server,
                {"ref": ticket.ref, "token": ticket.token},
                form,
                {"Content-Type": form.content_type},
                (ticket.token,),
                abort=RequestAbort() if cancel is not None else None,
            )
            with _cut_when(cancel, spec.abort, form.stop):
                try:
                    body = self._transport.send(
                        lambda: spec, endpoint="POST upload", idempotent=False, parse=parse_json
                    )
                except SpareVideosError as e:
                    if reader.error is not None:
                        raise reader.error from e
                    if form.stopped:
                        raise UploadCancelled("cancelled: nothing was stored") from e
                    raise
            throttle.finish()
        finally:
            src.close()
        return self._file_code(body, "POST upload")

    @staticmethod
    def _file_code(body: Mapping[str, Any], endpoint: str) -> str:
        code = body.get("code")
        if not isinstance(code, str) or not code:
            raise InvalidResponse("reply field 'code' should be a file code", endpoint=endpoint)
        return code

    def upload_remote(
        self,
        url: str,
        *,
        ticket: UploadTicket | None = None,
        on_progress: Callable[[float, int], None] | None = None,
        poll_interval: float = 1.0,
    ) -> str:
        """Have the upload server fetch ``url``; return the file code.

        The POST blocks until the server holds the file; meanwhile a thread polls
        ``{server}/progress`` every ``poll_interval`` seconds and calls ``on_progress(percent,
        100)`` with growing values, the last call being ``(100, 100)``. Never retried.
        For very large files, give the client a longer read ``timeout``.

        Examples
        --------
        >>> client.upload_remote("https://example.org/clip.mp4")  # doctest: +SKIP
        '1700000000-AbC123'
        """
        if not is_http_url(url):
            raise ValueError(f"url must be an http(s) URL, got {url!r}")
        ticket = ticket or self.initiate_upload()
        form = {"token": ticket.token, "ref": ticket.ref, "remote_file": url}
        spec = Attempt(
            "POST",
            ticket.server,
            {"ref": ticket.ref, "token": ticket.token},
            form,
            {},
            (ticket.token,),
        )
        progress = poll_remote_progress(
            lambda: self.upload_progress(ticket, timeout=POLL_READ_TIMEOUT),
            on_progress,
            poll_interval,
            join_timeout=self._transport.timeout[0] + POLL_READ_TIMEOUT,
        )
        with progress as finish:
            body = self._transport.send(
                lambda: spec, endpoint="POST upload", idempotent=False, parse=parse_json
            )
            finish()
        return self._file_code(body, "POST upload")

    def upload_progress(self, ticket: UploadTicket, *, timeout: float | None = None) -> float:
        """Percent (0-100) of a remote upload fetched so far (``GET {server}/progress``).

        ``timeout`` caps the seconds to wait for the answer (default: the client's read
        timeout); :meth:`upload_remote` polls with a short one, so one stuck poll cannot
        freeze the progress it reports.

        Examples
        --------
        >>> client.upload_progress(ticket)  # doctest: +SKIP
        42.0
        """
        url = ticket.server.rstrip("/") + "/progress"
        return float(
            self._transport.send(
                lambda: Attempt("GET", url, {"ref": ticket.ref}, read_timeout=timeout),
                endpoint="GET upload/progress",
                idempotent=True,
                parse=parse_progress,
            )
        )

    def convert(self, file_code: str, *, sd_only: bool = False, mp4_only: bool = False) -> str:
        """Request conversion of an uploaded file; return its code. Never retried.

        Examples
        --------
        >>> client.convert("1700000000-AbC123", sd_only=True)  # doctest: +SKIP
        '1700000000-AbC123'
        """
        body = self._api(
            "GET",
            "/upload/conversion/initiate",
            ("upload", "convert"),
            idempotent=False,
            file_code=_code(file_code),
            convert_sd_only=bool(sd_only),
            convert_mp4_only=bool(mp4_only),
        )
        return self._file_code(body, "GET /upload/conversion/initiate")

    def wait_for_conversion(
        self,
        file_code: str,
        *,
        timeout: float = 600,
        poll: float = 2.0,
        on_progress: Callable[[float], None] | None = None,
        cancel: threading.Event | None = None,
    ) -> FileInfo:
        """Poll :meth:`file_info` until the file is converted; return its info.

        ``on_progress(percent)`` receives the server's conversion progress when it reports
        one, and ``100.0`` at the end. A failed conversion raises its
        :class:`~sv_widgets.errors.FileserverError`; waiting longer than ``timeout`` raises
        :class:`~sv_widgets.errors.ConversionTimeout` (the file keeps converting). Setting
        ``cancel`` (from another thread) stops the wait with
        :class:`~sv_widgets.errors.Cancelled`, between two polls or during one.

        Examples
        --------
        >>> client.wait_for_conversion(code, on_progress=print).streams.mp4  # doctest: +SKIP
        """
        abort = _answer_abort(cancel)
        with _cut_when(cancel, abort):
            return wait_converted(
                lambda code: self._file_info(code, abort),
                _code(file_code),
                timeout=timeout,
                poll=poll,
                on_progress=on_progress,
                pause=cancel.wait if cancel is not None else None,
            )

    # ------------------------------------------------------------------ files

    def file_info(self, file_code: str) -> FileInfo:
        """Information and stream URLs of a converted file (``GET /me/file``).

        Examples
        --------
        >>> client.file_info("1700000000-AbC123").duration_text  # doctest: +SKIP
        '0:00:15'
        """
        return self._file_info(_code(file_code), None)

    def _file_info(self, code: str, abort: RequestAbort | None) -> FileInfo:
        body = self._api(
            "GET", "/me/file", ("file", "get"), idempotent=True, abort=abort, file_code=code
        )
        return FileInfo.from_json(body, code=code)

    def set_thumbnail(self, file_code: str, file_name: str) -> None:
        """Select a file's thumbnail (``POST /me/file`` with ``_method=PUT``). Never retried.

        Examples
        --------
        >>> client.set_thumbnail(code, f"{code}_720_02.jpg")  # doctest: +SKIP
        """
        if not isinstance(file_name, str) or not file_name:
            raise ValueError("file_name must be a thumbnail file name from thumbnails()")
        self._api(
            "POST",
            "/me/file",
            ("file", "update"),
            idempotent=False,
            form={"_method": "PUT"},
            file_code=_code(file_code),
            thumbnail=file_name,
        )

    def thumbnails(self, file_code: str) -> list[Thumbnail]:
        """A file's thumbnails, height descending then number descending.

        Examples
        --------
        >>> [t.file_name for t in client.thumbnails(code) if t.selected]  # doctest: +SKIP
        ['1700000000-AbC123_720_03.jpg']
        """
        url = self._thumb(_code(file_code), "json", "list")
        result: list[Thumbnail] = self._get_bytes(
            url, "GET thumbnail/json/list", parse_thumbnail_list
        )
        return result

    def thumbnail_image(
        self, file_code: str, file_name: str | None = None, *, size: int | None = None
    ) -> bytes:
        """The bytes of a thumbnail image.

        ``file_name`` picks one image (default: the selected one); ``size`` asks for it
        resized to that many pixels high (the service gives at least 260).

        Examples
        --------
        >>> client.thumbnail_image(code, size=300)[:3]  # doctest: +SKIP
        b'\\xff\\xd8\\xff'
        """
        code = _code(file_code)
        if size is not None and (not is_whole_number(size) or size < 1):
            raise ValueError(f"size must be a positive integer, got {size!r}")
        if size is None:
            if file_name is None:
                selected = [t for t in self.thumbnails(code) if t.selected]
                if not selected:
                    raise InvalidResponse("the thumbnail list has no selected thumbnail")
                file_name = selected[0].file_name
            url, endpoint = self._thumb(code, "exact", file_name), "GET thumbnail/exact"
        else:
            url = self._thumb(code, str(size), file_name or "default.jpg")
            endpoint = "GET thumbnail/{size}"
        data: bytes = self._get_bytes(url, endpoint)
        if not data.startswith(_IMAGE_MAGIC):
            raise InvalidResponse(f"expected an image, got {data[:40]!r}", endpoint=endpoint)
        return data

    def fetch_bytes(self, url: str) -> bytes:
        """GET any media or thumbnail URL (no token) with the client's timeouts and retries.

        Examples
        --------
        >>> client.fetch_bytes(info.streams.mp4[0].file)[:8]  # doctest: +SKIP
        """
        if not is_http_url(url):
            raise ValueError(f"url must be an http(s) URL, got {url!r}")
        data: bytes = self._get_bytes(url, "GET media")
        return data

    def list_files(self, page: int = 1) -> FilePage:
        """One page of the account's file codes, oldest first (``GET /me/files``).

        Examples
        --------
        >>> client.list_files().last_page  # doctest: +SKIP
        1
        """
        if not is_whole_number(page) or page < 1:
            raise ValueError(f"page must be an integer >= 1, got {page!r}")
        body = self._api(
            "GET", "/me/files", ("files", "get"), idempotent=True, params={"page": str(page)}
        )
        return FilePage.from_json(body)

    def iter_files(self) -> Iterator[str]:
        """Every file code of the account, oldest first.

        Page 1 tells how many pages there are; the rest are fetched concurrently (at most
        eight at a time) and yielded in order.

        Examples
        --------
        >>> sum(1 for _ in client.iter_files())  # doctest: +SKIP
        """
        return iter_pages(self.list_files)

    def delete(self, codes: Sequence[str]) -> None:
        """Delete files, all or nothing (``POST /me/files`` with ``_method=DELETE``).

        Never retried automatically.

        Examples
        --------
        >>> client.delete(["1700000000-AbC123"])  # doctest: +SKIP
        """
        if isinstance(codes, str | bytes) or not isinstance(codes, Sequence | set | frozenset):
            raise TypeError("codes must be a list of file codes, not a single string")
        codes = [_code(c) for c in codes]
        if not codes:
            raise ValueError("codes must not be empty")
        self._api(
            "POST",
            "/me/files",
            ("files", "delete"),
            idempotent=False,
            form={"_method": "DELETE"},
            codes=codes,
        )
