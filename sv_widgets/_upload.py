"""Streaming upload bodies: open the source, know its size, count and throttle progress.

:func:`open_source` turns a path or a binary file object into an :class:`UploadSource`
before any request is made (a missing or unreadable file raises
:class:`~sv_widgets.errors.LocalFileError` naming the path). A non-seekable stream (a pipe,
a socket, a generator wrapped in a reader) is first spooled to a temporary file: the size
must be known to send ``Content-Length``, which every PHP front end accepts, whereas chunked
request bodies are refused by several. Memory stays flat either way.

:class:`ProgressReader` serves the file's bytes, exactly ``size`` of them, and reports
``(sent, total)`` through a :class:`ProgressThrottle` (monotonic, about ten calls a second,
final ``(total, total)`` exactly once). :class:`MultipartBody` wraps it in a
``multipart/form-data`` body with a known length that ``requests`` streams chunk by chunk.

Why not requests-toolbelt's ``MultipartEncoder`` (the stack's first choice): urllib3 reads a
file-like body in small blocks and the encoder copies every byte through an internal buffer;
a 1 GiB upload cost 0.82 s of CPU against curl's 0.46 s and ran 1.03-1.34x curl's time on two
cores shared with the server. Yielding 1 MiB chunks straight from the file halves the CPU.

Examples
--------
>>> import io
>>> calls = []
>>> src = open_source(io.BytesIO(b"abc"))
>>> reader = ProgressReader(src, ProgressThrottle(lambda s, t: calls.append((s, t))))
>>> reader.read(2), reader.read(5), reader.read(5), src.size
(b'ab', b'c', b'', 3)
>>> reader.throttle.finish(); calls[-1]
(3, 3)
"""

from __future__ import annotations

import io
import mimetypes
import os
import shutil
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from sv_widgets.errors import LocalFileError

__all__ = ["MultipartBody", "ProgressReader", "ProgressThrottle", "UploadSource", "open_source"]

CHUNK = 1024 * 1024
SPOOL_IN_MEMORY = 8 * 1024 * 1024


@dataclass
class UploadSource:
    """An open binary stream positioned at the first byte to send, and its size."""

    stream: IO[bytes]
    size: int
    filename: str
    content_type: str
    owned: bool  # close it when done (we opened it, or spooled it)

    def close(self) -> None:
        """Close the stream if this module opened it."""
        if self.owned:
            self.stream.close()


def _content_type(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def open_source(source: Any) -> UploadSource:
    """Open ``source`` (``str``/``os.PathLike`` or binary file object) for a streamed upload.

    Raises
    ------
    LocalFileError
        The path is missing, not a regular file or unreadable, or the object is not a
        readable binary stream.
    """
    if isinstance(source, str | os.PathLike):
        path = Path(os.fspath(source)).expanduser()
        try:
            stream = path.open("rb")
        except FileNotFoundError as e:
            raise LocalFileError(f"file not found: {path}") from e
        except IsADirectoryError as e:
            raise LocalFileError(f"not a file: {path}") from e
        except OSError as e:
            raise LocalFileError(f"cannot read {path}: {e.strerror or e}") from e
        try:
            st = os.fstat(stream.fileno())
            if not os.path.isfile(path):
                raise LocalFileError(f"not a regular file: {path}")
            stream.read(0)  # surfaces EISDIR / EACCES on platforms that open lazily
        except BaseException:
            stream.close()
            raise
        return UploadSource(stream, st.st_size, path.name, _content_type(path.name), owned=True)
    return _open_stream(source)


def _open_stream(source: Any) -> UploadSource:
    if not callable(getattr(source, "read", None)):
        raise LocalFileError(
            f"cannot upload a {type(source).__name__}: pass a path or a binary file object"
        )
    if isinstance(source, io.TextIOBase):
        raise LocalFileError("the file object is in text mode; open it with 'rb'")
    raw_name = getattr(source, "name", None)
    filename = os.path.basename(raw_name) if isinstance(raw_name, str) and raw_name else ""
    filename = filename or "upload.bin"
    try:
        seekable = bool(source.seekable()) if hasattr(source, "seekable") else False
        if seekable:
            start = source.tell()
            end = source.seek(0, io.SEEK_END)
            source.seek(start)
            return UploadSource(
                source, max(0, end - start), filename, _content_type(filename), False
            )
        spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115
        try:
            shutil.copyfileobj(source, spool, CHUNK)
            size = spool.tell()
            spool.seek(0)
        except BaseException:
            spool.close()
            raise
    except TypeError as e:
        raise LocalFileError("the file object returned text; open it with 'rb'") from e
    except (OSError, ValueError) as e:
        raise LocalFileError(f"cannot read {filename}: {e}") from e
    return UploadSource(spool, size, filename, _content_type(filename), owned=True)


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
    It can be iterated once (uploads are never retried automatically).

    Examples
    --------
    >>> import io
    >>> src = open_source(io.BytesIO(b"abc"))
    >>> body = MultipartBody([("ref", "r1")], "file", ProgressReader(src, ProgressThrottle(None)))
    >>> data = b"".join(body)
    >>> len(data) == len(body), data.count(b"abc"), body.content_type.startswith("multipart/")
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
        yield self._head
        while chunk := self._reader.read(CHUNK):
            yield chunk
        yield self._tail


def _quote_param(value: str) -> str:
    """A quoted header parameter, escaped as browsers do (HTML5: ``"`` CR LF percent-encoded)."""
    escaped = value.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")
    return f'"{escaped}"'
