"""What can be uploaded: one classifier for paths, binary file objects and URLs.

:func:`describe_source` says what a source is (its kind, a name to show, its size when known)
and refuses what cannot be uploaded before any request is made: a missing or unreadable
file, a directory, a text-mode stream, a URL the upload server would not fetch. The client,
the upload pipeline and the magics all ask it, so "is this a URL?" has one answer.

:func:`open_source` opens a path or file object for a streamed upload. A non-seekable stream
(a pipe, a socket) is first spooled to a temporary file: the size must be known to send
``Content-Length``, which every PHP front end accepts, whereas several refuse chunked
request bodies. Memory stays flat either way. A stream that declares its size up front
(:class:`SizedStream`: ``read`` and an integer ``declared_size``, e.g. bytes relayed from a
browser) is sent as it is read, never spooled and never sought.

Examples
--------
>>> import io
>>> describe_source("https://example.org/clip.mp4")
SourceInfo(kind='url', name='https://example.org/clip.mp4', size=None, location='https://example.org/clip.mp4')
>>> describe_source(io.BytesIO(b"abc")).size
3
>>> describe_source("ftp://example.org/clip.mp4")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
sv_widgets.errors.LocalFileError: cannot upload 'ftp://example.org/clip.mp4': only http://...
"""

from __future__ import annotations

import io
import mimetypes
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, BinaryIO, Literal, Protocol, runtime_checkable

from sv_widgets._values import is_whole_number
from sv_widgets.errors import LocalFileError
from sv_widgets.wire import is_http_url

__all__ = [
    "CHUNK",
    "SizedStream",
    "Source",
    "SourceInfo",
    "UploadSource",
    "describe_source",
    "open_source",
]


@runtime_checkable
class SizedStream(Protocol):
    """A binary stream that says how many bytes it will give, without being sought.

    An upload reads exactly ``declared_size`` bytes from it, in order, and sends
    ``Content-Length`` from that figure: nothing is spooled to disk or held in memory. A
    stream that ends early fails the upload (the service gets a cut-off body and stores
    nothing); bytes past ``declared_size`` are never read. ``name``, when present, is the
    file name sent to the service.

    Examples
    --------
    >>> class Zeros:
    ...     declared_size = 3
    ...     name = "zeros.bin"
    ...     def read(self, size: int = -1) -> bytes:
    ...         return bytes(3 if size < 0 else min(size, 3))
    >>> describe_source(Zeros())
    SourceInfo(kind='file', name='zeros.bin', size=3, location=None)
    """

    declared_size: int

    def read(self, size: int = -1, /) -> bytes | memoryview:
        """Up to ``size`` bytes (``b""`` only once ``declared_size`` bytes were given)."""


#: What an upload accepts: a path, a binary file object, a :class:`SizedStream`, or an
#: http(s) URL to fetch.
Source = str | os.PathLike[str] | BinaryIO | SizedStream

#: Bytes read and sent at a time: big enough to keep the CPU out of the way, small enough
#: to keep memory flat.
CHUNK = 1024 * 1024
_SPOOL_IN_MEMORY = 8 * 1024 * 1024
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


@dataclass(frozen=True)
class SourceInfo:
    """What an upload source is, found without reading it.

    Attributes
    ----------
    kind
        ``"path"``, ``"file"`` (a binary file object) or ``"url"`` (fetched by the service).
    name
        What to call it: a path's base name, a file object's name, or the URL.
    size
        Bytes to send, when known without reading (``None`` for URLs and pipes).
    location
        The absolute path, or the URL; ``None`` for file objects.
    """

    kind: Literal["path", "file", "url"]
    name: str
    size: int | None
    location: str | None


def describe_source(source: Any) -> SourceInfo:
    """Classify ``source`` and check that it can be uploaded.

    Raises
    ------
    LocalFileError
        A missing, unreadable or non-regular file; a text-mode or unreadable object; a URL
        whose scheme is not http(s). Nothing has been sent.
    """
    if isinstance(source, str) and _SCHEME.match(source):
        if not is_http_url(source):
            raise LocalFileError(f"cannot upload {source!r}: only http:// and https:// URLs")
        return SourceInfo("url", source, None, source)
    if isinstance(source, str | os.PathLike):
        path = _checked_path(source)
        return SourceInfo("path", path.name, path.stat().st_size, str(path))
    _check_stream(source)
    return SourceInfo("file", _stream_name(source), _stream_size(source), None)


def _checked_path(source: str | os.PathLike[str]) -> Path:
    text = os.fspath(source)
    path = Path(text).expanduser()
    if not path.exists():
        raise LocalFileError(f"no such file: {text}")
    if not path.is_file():
        raise LocalFileError(f"not a file: {text}")
    if not os.access(path, os.R_OK):
        raise LocalFileError(f"cannot read {text}: permission denied")
    return path.resolve()


def _check_stream(source: Any) -> None:
    if not callable(getattr(source, "read", None)):
        raise LocalFileError(
            f"cannot upload a {type(source).__name__}: pass a path, a binary file object "
            "or an http(s) URL"
        )
    if isinstance(source, io.TextIOBase):
        raise LocalFileError("the file object is in text mode; open it with 'rb'")


def _stream_name(source: Any) -> str:
    raw = getattr(source, "name", None)
    name = os.path.basename(raw) if isinstance(raw, str) and raw else ""
    return name or "upload.bin"


def _declared_size(source: Any) -> int | None:
    """A :class:`SizedStream`'s ``declared_size`` (checked), else ``None``."""
    declared = getattr(source, "declared_size", None)
    if declared is None:
        return None
    if not is_whole_number(declared) or declared < 0:
        raise LocalFileError(f"declared_size must be a whole number of bytes, not {declared!r}")
    return declared


def _stream_size(source: Any) -> int | None:
    """Bytes a stream will give: declared, or from the current position to the end of a
    seekable stream; ``None`` when unknown."""
    declared = _declared_size(source)
    if declared is not None:
        return declared
    try:
        if not (hasattr(source, "seekable") and source.seekable()):
            return None
        start = source.tell()
        end = source.seek(0, io.SEEK_END)
        source.seek(start)
    except (OSError, ValueError):
        return None
    return max(0, int(end) - int(start))


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
    """Open a path or binary file object (checked by :func:`describe_source`) for upload.

    Raises
    ------
    LocalFileError
        As :func:`describe_source`; also a URL (the server fetches those, see
        :meth:`~sv_widgets.client.Client.upload_remote`) or a read that fails.
    """
    info = describe_source(source)
    if info.kind == "url":
        raise LocalFileError(f"{info.name} is a URL: use upload_remote to have it fetched")
    if info.kind == "path":
        assert info.location is not None
        try:
            stream = open(info.location, "rb")  # noqa: SIM115 - closed by UploadSource.close
        except OSError as e:
            raise LocalFileError(f"cannot read {info.location}: {e.strerror or e}") from e
        size = os.fstat(stream.fileno()).st_size
        return UploadSource(stream, size, info.name, _content_type(info.name), owned=True)
    if info.size is not None:
        return UploadSource(source, info.size, info.name, _content_type(info.name), owned=False)
    return _spooled(source, info.name)


def _spooled(source: Any, name: str) -> UploadSource:
    spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL_IN_MEMORY)  # noqa: SIM115
    try:
        shutil.copyfileobj(source, spool, CHUNK)
        size = spool.tell()
        spool.seek(0)
    except TypeError as e:
        spool.close()
        raise LocalFileError("the file object returned text; open it with 'rb'") from e
    except (OSError, ValueError) as e:
        spool.close()
        raise LocalFileError(f"cannot read {name}: {e}") from e
    except BaseException:
        spool.close()
        raise
    return UploadSource(spool, size, name, _content_type(name), owned=True)
