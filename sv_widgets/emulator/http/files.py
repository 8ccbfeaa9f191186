"""Serving media files: HTTP Range, the right media types, and no error when a file goes.

Players seek with ``Range`` (HLS and DASH players, ``<video>`` on MP4), so every media and
thumbnail answer honours it: ``206`` with ``Content-Range`` for one satisfiable range,
``416`` with ``Content-Range: bytes */SIZE`` for one that starts past the end, the whole file
otherwise (several ranges, or a malformed header, which RFC 9110 lets a server ignore).

The file is opened before the answer starts and read from that open handle, so a file
deleted meanwhile (a delete or a reset racing a download) is either served whole, as it
was, or not found (404): never a half answer or a 500.
"""

from __future__ import annotations

import asyncio
import os
import re
from pathlib import Path

from starlette.datastructures import Headers
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from sv_widgets.emulator.domain.errors import ServiceError

__all__ = ["MEDIA_TYPES", "open_file"]

#: Media type by file extension (anything else is ``application/octet-stream``).
MEDIA_TYPES = {
    ".mp4": "video/mp4",
    ".m4s": "video/iso.segment",
    ".m4a": "audio/mp4",
    ".webm": "video/webm",
    ".m3u8": "application/vnd.apple.mpegurl",
    ".ts": "video/mp2t",
    ".mpd": "application/dash+xml",
    ".jpg": "image/jpeg",
}
_CHUNK = 256 * 1024
_RANGE = re.compile(r"bytes=([0-9]{0,18})-([0-9]{0,18})")


async def open_file(path: Path) -> Response:
    """The response serving ``path`` (opened now: 404 if it is already gone)."""
    try:
        fd = await asyncio.to_thread(os.open, path, os.O_RDONLY)
    except OSError:
        raise ServiceError(404, "Not found: no such media file") from None
    media_type = MEDIA_TYPES.get(path.suffix.lower(), "application/octet-stream")
    return _OpenFile(fd, media_type)


class _OpenFile(Response):
    """Streams an open file descriptor, whole or one byte range; closes it when done."""

    def __init__(self, fd: int, media_type: str) -> None:
        super().__init__(media_type=media_type)
        self.fd = fd
        stat = os.fstat(fd)
        self.size = stat.st_size
        self.etag = f'"{stat.st_size:x}-{stat.st_mtime_ns:x}"'

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            headers = Headers(scope=scope)
            status, start, end = _byte_range(
                headers.get("range"), headers.get("if-range"), self.etag, self.size
            )
            await send(
                {
                    "type": "http.response.start",
                    "status": status,
                    "headers": self._fields(status, start, end),
                }
            )
            if scope["method"] == "HEAD" or status == 416:
                await send({"type": "http.response.body", "body": b""})
                return
            await self._stream(send, start, end)
        finally:
            os.close(self.fd)

    def _fields(self, status: int, start: int, end: int) -> list[tuple[bytes, bytes]]:
        fields = {
            "content-type": self.media_type or "application/octet-stream",
            "accept-ranges": "bytes",
            "cache-control": "no-cache",
            "etag": self.etag,
            "content-length": str(0 if status == 416 else end - start),
        }
        if status == 206:
            fields["content-range"] = f"bytes {start}-{end - 1}/{self.size}"
        elif status == 416:
            fields["content-range"] = f"bytes */{self.size}"
        return [(k.encode(), v.encode()) for k, v in fields.items()]

    async def _stream(self, send: Send, start: int, end: int) -> None:
        position = start
        while True:
            wanted = min(_CHUNK, end - position)
            chunk = await asyncio.to_thread(os.pread, self.fd, wanted, position) if wanted else b""
            position += len(chunk)
            more = bool(chunk) and position < end
            await send({"type": "http.response.body", "body": chunk, "more_body": more})
            if not more:
                return


def _byte_range(
    header: str | None, if_range: str | None, etag: str, size: int
) -> tuple[int, int, int]:
    """``(status, start, end)`` for a ``Range`` header: 200 whole, 206 one range, or 416."""
    match = _RANGE.fullmatch(header.strip()) if header else None
    if match is None or (if_range is not None and if_range.strip() != etag):
        return 200, 0, size
    first, last = match.groups()
    if not first:  # "-N": the last N bytes
        if not last:
            return 200, 0, size
        length = int(last)
        return (416, 0, 0) if length == 0 or size == 0 else (206, max(0, size - length), size)
    start = int(first)
    end = size if not last else int(last) + 1
    if last and end <= start:
        return 200, 0, size  # malformed: ignored
    if start >= size:
        return 416, 0, 0
    return 206, start, min(end, size)
