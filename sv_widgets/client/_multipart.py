"""Streaming upload bodies: count and throttle progress, wrap the file in multipart.

:class:`ProgressReader` serves an open :class:`~sv_widgets.client._sources.UploadSource`'s
bytes, exactly ``size`` of them, and reports ``(sent, total)`` through a
:class:`ProgressThrottle` (monotonic, about ten calls a second, final ``(total, total)``
exactly once, when the whole body has been handed to the network). :class:`MultipartBody`
wraps it in a ``multipart/form-data`` body of known length that ``requests`` streams chunk by
chunk, and that can be stopped from another thread (:meth:`MultipartBody.stop`).

The body is written here rather than with requests-toolbelt's ``MultipartEncoder``: yielding
1 MiB chunks straight from the file, instead of copying every byte through an encoder's
buffer, halves the CPU an upload costs (``benchmarks/results.md``).

Examples
--------
>>> import io
>>> from sv_widgets.client._sources import open_source
>>> calls = []
>>> src = open_source(io.BytesIO(b"abc"))
>>> reader = ProgressReader(src, ProgressThrottle(lambda s, t: calls.append((s, t))))
>>> reader.read(2), reader.read(5), reader.read(5), src.size
(b'ab', b'c', b'', 3)
>>> reader.throttle.finish(); calls[-1]
(3, 3)
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from sv_widgets.client._sources import CHUNK, UploadSource
from sv_widgets.errors import LocalFileError, UploadCancelled

__all__ = ["MultipartBody", "ProgressReader", "ProgressThrottle"]


class ProgressThrottle:
    """Call ``callback(sent, total)``: monotonic, at most ~``rate`` a second, last is final."""

    def __init__(
        self,
        callback: Callable[[int, int], None] | None,
        total: int = 0,
        *,
        rate: float = 10.0,
    ) -> None:
        self.callback = callback
        self.total = total
        self.interval = 1.0 / rate
        self._last_time = 0.0
        self._last_sent = -1
        self._done = False
        self._lock = threading.Lock()

    def update(self, sent: int) -> None:
        """Report ``sent`` bytes if enough time passed (never ``total`` before :meth:`finish`)."""
        if self.callback is None:
            return
        sent = min(sent, self.total - 1) if self.total > 0 else 0
        now = time.monotonic()
        with self._lock:
            if self._done or sent <= self._last_sent or now - self._last_time < self.interval:
                return
            self._last_sent, self._last_time = sent, now
        self.callback(sent, self.total)

    def finish(self) -> None:
        """Report ``(total, total)`` exactly once."""
        with self._lock:
            if self._done or self.callback is None:
                return
            self._done = True
        self.callback(self.total, self.total)


class ProgressReader:
    """Serve exactly ``source.size`` bytes, reporting progress.

    ``len`` is what is left (the encoder asks it after every read). A file that shrinks
    while it is sent raises :class:`LocalFileError` instead of looping forever.
    """

    def __init__(self, source: UploadSource, throttle: ProgressThrottle) -> None:
        self.source = source
        self.sent = 0
        self.throttle = throttle
        throttle.total = source.size
        self.error: LocalFileError | None = None

    @property
    def len(self) -> int:
        """Bytes not yet handed to the encoder."""
        return self.source.size - self.sent

    def read(self, size: int = -1) -> bytes:
        """Read up to ``size`` bytes (all that is left when negative)."""
        want = self.len if size is None or size < 0 else min(size, self.len)
        if want <= 0:
            return b""
        chunk: Any = self.source.stream.read(want)
        if isinstance(chunk, str):
            self.error = LocalFileError("the file object returned text; open it with 'rb'")
            raise self.error
        if not chunk:
            self.error = LocalFileError(
                f"{self.source.filename} shrank while it was being uploaded "
                f"({self.sent} of {self.source.size} bytes sent)"
            )
            raise self.error
        self.sent += len(chunk)
        self.throttle.update(self.sent)
        return bytes(chunk)


class MultipartBody:
    """A streamed ``multipart/form-data`` body: text fields, then one file part.

    ``len(body)`` is the exact byte count (``requests`` sends it as ``Content-Length``, which
    every PHP front end accepts, rather than a chunked body) and iterating yields the
    encoded fields, then the file in :data:`CHUNK`-sized pieces, then the closing boundary.
    It can be iterated once (uploads are never retried automatically). Handing out the
    closing boundary reports the final ``(total, total)`` progress: from then on the service
    may hold the whole file.

    :meth:`stop` (from any thread) makes it hand out nothing more, so the service never gets
    a whole body and stores nothing; it says whether it came in time.

    Examples
    --------
    >>> import io
    >>> from sv_widgets.client._sources import open_source
    >>> src = open_source(io.BytesIO(b"a b"))  # a space: never part of the (hex) boundary
    >>> body = MultipartBody([("ref", "r1")], "file", ProgressReader(src, ProgressThrottle(None)))
    >>> data = b"".join(body)
    >>> len(data) == len(body), data.count(b"a b"), body.content_type.startswith("multipart/")
    (True, 1, True)
    """

    def __init__(
        self, fields: list[tuple[str, str]], file_field: str, reader: ProgressReader
    ) -> None:
        self.boundary = uuid.uuid4().hex
        source = reader.source
        parts = [
            self._part_head(f"name={_quote_param(name)}") + value.encode("utf-8") + b"\r\n"
            for name, value in fields
        ]
        disposition = f"name={_quote_param(file_field)}; filename={_quote_param(source.filename)}"
        parts.append(self._part_head(disposition, source.content_type))
        self._head = b"".join(parts)
        self._tail = f"\r\n--{self.boundary}--\r\n".encode("ascii")
        self._reader = reader
        self._length = len(self._head) + source.size + len(self._tail)
        self._lock = threading.Lock()
        self._stopped = False
        self._whole = False  # the closing boundary was handed out

    def stop(self) -> bool:
        """Hand out nothing more; ``True`` if the body was stopped short of its end.

        ``False`` means all of it had been handed to the network already: the service may
        store the file, and only its answer says under which code.
        """
        with self._lock:
            self._stopped = True
            return not self._whole

    @property
    def stopped(self) -> bool:
        """Whether :meth:`stop` cut the body short (nothing can be stored from it)."""
        return self._stopped and not self._whole

    @property
    def content_type(self) -> str:
        """The ``Content-Type`` header value, with the boundary."""
        return f"multipart/form-data; boundary={self.boundary}"

    def _part_head(self, disposition: str, content_type: str | None = None) -> bytes:
        lines = [f"--{self.boundary}", f"Content-Disposition: form-data; {disposition}"]
        if content_type:
            lines.append(f"Content-Type: {content_type}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")

    def __len__(self) -> int:
        return self._length

    def __iter__(self) -> Iterator[bytes]:
        yield self._handed(self._head)
        while chunk := self._reader.read(CHUNK):
            yield self._handed(chunk)
        yield self._handed(self._tail, last=True)
        self._reader.throttle.finish()  # runs once the closing boundary went out

    def _handed(self, piece: bytes, *, last: bool = False) -> bytes:
        with self._lock:
            if self._stopped:
                raise UploadCancelled("cancelled: nothing was stored")
            self._whole = last
        return piece


def _quote_param(value: str) -> str:
    """A quoted header parameter, escaped as browsers do (HTML5: ``"`` CR LF percent-encoded)."""
    escaped = value.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")
    return f'"{escaped}"'
