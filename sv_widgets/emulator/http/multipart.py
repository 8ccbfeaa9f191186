"""The upload server: ``POST /fileservers/upload`` and ``GET /fileservers/upload/progress``.

Multipart bodies are parsed as they arrive (python-multipart's push parser) and the ``file``
part goes straight into a temp file under the data directory: memory stays flat whatever the
size. Raw body chunks are batched (~4 MiB) and handed to a worker thread that parses and
writes the batch while the event loop already receives the next one, so the socket keeps
flowing and the loop stays free for other requests. The file is fsynced, renamed into place
and only then recorded (``domain/store.py``): a body cut off halfway leaves nothing behind.

Parameters come the way PHP's ``$_REQUEST`` sees them: the query string, overridden by form
fields, so ``token`` and ``ref`` may travel in either or both.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from urllib.parse import parse_qsl

from python_multipart.exceptions import FormParserError, MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect, Request

from sv_widgets.emulator.domain.errors import ServiceError

__all__ = ["MultipartIngest", "read_upload"]

_BATCH = 4 * 1024 * 1024
_MAX_PARTS = 64
_MAX_FIELD_BYTES = 512 * 1024  # a remote_file URL or a token; tokens are capped at 256 KiB
_MAX_URLENCODED = 1024 * 1024

#: ``on_bytes(received, total_or_None)``: progress of an upload's body.
OnBytes = Callable[[int, "int | None"], None]


@dataclass
class UploadForm:
    """What an upload request carried, after the whole body was read."""

    fields: dict[str, str] = field(default_factory=dict)
    file_path: Path | None = None
    file_name: str | None = None
    file_bytes: int = 0


class MultipartIngest:
    """Push parser for one multipart body; the ``file`` part is written to ``temp_path``.

    Not thread-safe: feed it from one thread at a time (the caller serialises batches).
    """

    def __init__(self, boundary: bytes, temp_path: Path, *, max_file_bytes: int) -> None:
        self.form = UploadForm()
        self._temp_path = temp_path
        self._max_file_bytes = max_file_bytes
        self._file: IO[bytes] | None = None
        self._parts = 0
        self._header_field = bytearray()
        self._header_value = bytearray()
        self._disposition = b""
        self._target: str | None = None  # "file", "field", or None (discarded)
        self._name = ""
        self._value = bytearray()
        self._ended = False
        self._parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._part_begin,
                "on_part_data": self._part_data,
                "on_part_end": self._part_end,
                "on_header_field": self._on_header_field,
                "on_header_value": self._on_header_value,
                "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished,
                "on_end": self._end,
            },
            max_header_count=16,
            max_header_size=8 * 1024,
        )

    def feed(self, data: bytes) -> None:
        """Parse the next bytes of the body (``ServiceError`` on bad or oversized input)."""
        try:
            self._parser.write(data)
        except (MultipartParseError, FormParserError) as exc:
            raise ServiceError(
                10002, f"Upload not valid: malformed multipart body ({exc})"
            ) from exc

    def finish(self) -> UploadForm:
        """Flush and fsync the file; return the form."""
        self._parser.finalize()
        if not self._ended:
            # Like PHP's UPLOAD_ERR_PARTIAL: a body without its closing boundary is cut off.
            self.abort()
            raise ServiceError(
                10000, "Upload not executed: the multipart body ended before its last boundary"
            )
        if self._file is not None:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()
            self._file = None
        return self.form

    def abort(self) -> None:
        """Close and remove the partial file."""
        if self._file is not None:
            self._file.close()
            self._file = None
        self._temp_path.unlink(missing_ok=True)

    # ---------------------------------------------------------------- parser callbacks
    def _part_begin(self) -> None:
        self._parts += 1
        if self._parts > _MAX_PARTS:
            raise ServiceError(10002, f"Upload not valid: more than {_MAX_PARTS} form parts")
        self._disposition = b""
        self._target = None

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        if bytes(self._header_field).lower() == b"content-disposition":
            self._disposition = bytes(self._header_value)
        self._header_field.clear()
        self._header_value.clear()

    def _headers_finished(self) -> None:
        _, params = parse_options_header(self._disposition)
        self._name = params.get(b"name", b"").decode("latin-1")
        filename = params.get(b"filename")
        if filename is None:
            self._target = "field"
            self._value.clear()
        elif self._name == "file" and filename and self.form.file_path is None:
            # Like PHP: a file input left empty (filename="") is "no file".
            self._target = "file"
            self.form.file_name = filename.decode("utf-8", "replace")
            self._file = open(self._temp_path, "wb", buffering=0)  # noqa: SIM115
            self.form.file_path = self._temp_path
        else:
            self._target = None

    def _end(self) -> None:
        self._ended = True

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._target == "file" and self._file is not None:
            self.form.file_bytes += end - start
            if self.form.file_bytes > self._max_file_bytes:
                raise ServiceError(
                    10006,
                    f"Service limits exceeded: the file is larger than "
                    f"{self._max_file_bytes} bytes",
                )
            self._file.write(memoryview(data)[start:end])
        elif self._target == "field":
            if len(self._value) + end - start > _MAX_FIELD_BYTES:
                raise ServiceError(
                    10002, f"Upload not valid: form field {self._name[:40]!r} is too long"
                )
            self._value += data[start:end]

    def _part_end(self) -> None:
        if self._target == "field":
            self.form.fields[self._name] = self._value.decode("utf-8", "replace")
        elif self._target == "file" and self._file is not None:
            self._file.flush()
        self._target = None


async def read_upload(
    request: Request,
    temp_path: Path,
    *,
    max_file_bytes: int,
    on_bytes: OnBytes | None = None,
) -> UploadForm:
    """Read an upload request's body: multipart streamed to ``temp_path``, or urlencoded.

    ``on_bytes(received, total_or_None)`` is called after each batch. On any error the temp
    file is removed and the error propagates; a body cut off by the client is error 10000.
    """
    ctype, params = parse_options_header(request.headers.get("content-type", ""))
    length = _content_length(request)
    if length is not None and length > max_file_bytes + 1024 * 1024:
        raise ServiceError(
            10006, f"Service limits exceeded: the body is larger than {max_file_bytes} bytes"
        )
    if not ctype and not length:
        return UploadForm()  # no body at all: PHP sees empty $_POST and $_FILES
    if ctype == b"application/x-www-form-urlencoded":
        return await _read_urlencoded(request)
    if ctype != b"multipart/form-data":
        raise ServiceError(
            10002, "Upload not valid: send multipart/form-data with a 'file' or 'remote_file' field"
        )
    boundary = params.get(b"boundary")
    if not boundary or len(boundary) > 200:
        raise ServiceError(10002, "Upload not valid: multipart body without a usable boundary")
    ingest = MultipartIngest(boundary, temp_path, max_file_bytes=max_file_bytes)
    try:
        received = await _pump(request, ingest, length, on_bytes)
        form = await asyncio.get_running_loop().run_in_executor(None, ingest.finish)
    except BaseException as exc:
        ingest.abort()
        if isinstance(exc, ClientDisconnect):
            raise ServiceError(10000, "Upload not executed: the body was cut off") from exc
        raise
    if on_bytes is not None:
        on_bytes(received, length)
    return form


async def _read_urlencoded(request: Request) -> UploadForm:
    """A small ``application/x-www-form-urlencoded`` body (``remote_file`` uploads)."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > _MAX_URLENCODED:
            raise ServiceError(10002, "Upload not valid: form body too large")
    return UploadForm(fields=dict(parse_qsl(body.decode("latin-1"), keep_blank_values=True)))


async def _pump(
    request: Request, ingest: MultipartIngest, length: int | None, on_bytes: OnBytes | None
) -> int:
    """Feed the body to ``ingest`` in ~4 MiB batches on a worker thread, one batch parsing
    while the next arrives; return the bytes received."""
    loop = asyncio.get_running_loop()
    pending: asyncio.Future[None] | None = None
    batch: list[bytes] = []
    batched = received = 0
    try:
        async for chunk in request.stream():
            batch.append(chunk)
            batched += len(chunk)
            received += len(chunk)
            if batched >= _BATCH:
                if pending is not None:
                    await pending
                pending = loop.run_in_executor(None, ingest.feed, b"".join(batch))
                batch.clear()
                batched = 0
                if on_bytes is not None:
                    on_bytes(received, length)
        if pending is not None:
            await pending
            pending = None
        await loop.run_in_executor(None, ingest.feed, b"".join(batch))
    except BaseException:
        if pending is not None:
            with contextlib.suppress(Exception):  # the first error is the one to report
                await pending
        raise
    return received


def _content_length(request: Request) -> int | None:
    raw = request.headers.get("content-length")
    if raw is None or not raw.isdigit():
        return None
    return int(raw)
