"""``Upload``: one upload's state, and the background thread that runs its job.

The controller every view shares: the ``UploadProgress`` widget draws an ``Upload``, the
terminal text prints one, the magics wait on one. Starting, cancelling, retrying and
waiting happen here, once.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sv_widgets.client import describe_source
from sv_widgets.errors import ConversionTimeout, LocalFileError, UploadCancelled
from sv_widgets.uploads._job import Transfer, UploadJob, local_transfer, remote_transfer
from sv_widgets.uploads._options import UploadOptions
from sv_widgets.uploads._state import UploadState

if TYPE_CHECKING:
    from sv_widgets.client import Client

__all__ = ["Upload"]


def _describe(source: Any) -> tuple[str, int, bool]:
    """``(name, size, is_url)`` for display; a bad source is reported when the job runs."""
    try:
        info = describe_source(source)
    except LocalFileError:
        if isinstance(source, str | os.PathLike):
            text = os.fspath(source)
            return os.path.basename(text) or text, 0, False
        return str(getattr(source, "name", "") or "stream"), 0, False
    return info.name, info.size or 0, info.kind == "url"


def _position(source: Any) -> int | None:
    """Where a seekable file object stands now (``None`` for paths, URLs, pipes)."""
    if isinstance(source, str | os.PathLike) or not hasattr(source, "seek"):
        return None
    try:
        return int(source.tell())
    except (OSError, ValueError):
        return None


class Upload:
    """Upload a file (or have the service fetch a URL) and convert it, in the background.

    Parameters
    ----------
    client
        The :class:`~sv_widgets.client.Client` to upload with.
    source
        A local path, a binary file object, or an ``http(s)://`` URL the service fetches.
    options
        What to do once stored (:class:`~sv_widgets.uploads.UploadOptions`).
    transfer
        How the bytes travel; default: the client streams a path or file object, the
        service fetches a URL.
    name, size
        What to call the source and its size, when the caller knows better (a browser file).

    Attributes
    ----------
    state
        The observable :class:`~sv_widgets.uploads.UploadState`.

    Examples
    --------
    >>> upload = Upload(client, "clip.mp4")          # doctest: +SKIP
    >>> upload.start(); code = upload.wait()         # doctest: +SKIP
    """

    def __init__(
        self,
        client: Client,
        source: Any,
        options: UploadOptions | None = None,
        *,
        transfer: Transfer | None = None,
        name: str | None = None,
        size: int | None = None,
    ) -> None:
        self.client = client
        self.source = source
        self.options = options or UploadOptions()
        shown, known_size, is_url = _describe(source) if transfer is None else ("", 0, False)
        self.state = UploadState(name=name or shown, total=size or known_size)
        if transfer is None:
            transfer = (
                remote_transfer(client, source, self.options.poll_interval)
                if is_url
                else local_transfer(client, source)
            )
        self._transfer = transfer
        self._rewind_to = _position(source)
        self._existing = ""
        self._job: UploadJob | None = None
        self._thread: threading.Thread | None = None
        self._done = threading.Event()
        self._lock = threading.Lock()
        self._listeners: list[Callable[[Upload], None]] = []

    @classmethod
    def conversion(cls, client: Client, file_code: str, options: UploadOptions) -> Upload:
        """Convert a file already stored, with the same state and views as an upload.

        Examples
        --------
        >>> Upload.conversion(client, "1700000000-AbC123", UploadOptions())  # doctest: +SKIP
        """

        def nothing_to_send(_ticket: Any, _progress: Any) -> str:  # pragma: no cover
            raise AssertionError("a conversion sends no bytes")

        upload = cls(client, file_code, options, transfer=nothing_to_send, name=file_code)
        upload._existing = file_code
        return upload

    @property
    def started(self) -> bool:
        """Whether :meth:`start` was called."""
        return self._thread is not None

    @property
    def running(self) -> bool:
        """Whether an attempt is in progress."""
        return self._thread is not None and not self._done.is_set()

    def on_finish(self, callback: Callable[[Upload], None]) -> None:
        """Call ``callback(upload)`` (in the upload's thread) whenever an attempt ends."""
        self._listeners.append(callback)

    def start(self, *, replacing: str = "") -> None:
        """Start (or restart after a failure or cancel) in a background thread.

        ``replacing`` names a stored file this attempt replaces: it is deleted once the new
        file is stored. Raises ``RuntimeError`` if an attempt is already running.
        """
        with self._lock:
            if self.running:
                raise RuntimeError("this upload is already running")
            self._done.clear()
            if self._rewind_to is not None:  # a file object: Retry sends it from the start again
                self.source.seek(self._rewind_to)
            self.state.reset()
            job = self._job = UploadJob(
                self.client,
                self._transfer,
                self.options,
                self.state,
                replacing=replacing,
                existing=self._existing,
            )
            self._thread = threading.Thread(
                target=self._run, args=(job,), name="sv-upload", daemon=True
            )
            self._thread.start()

    def _run(self, job: UploadJob) -> None:
        try:
            job.run()
        finally:
            if job is self._job:
                self._done.set()
                for listener in self._listeners:
                    listener(self)

    def cancel(self) -> None:
        """Stop cleanly; ``state.state`` then says where the file was left."""
        job = self._job
        if job is not None and not self.state.finished:
            job.cancel()

    def retry(self) -> None:
        """Run the whole upload again, once the last attempt has ended.

        A file the last attempt stored but could not convert is replaced: deleted once the
        new one is stored, so the account does not keep both.
        """
        if not (self.started and self.state.finished):
            return
        job = self._job
        failed = self.state.phase == "failed" and job is not None
        timed_out = isinstance(job.exception if job else None, ConversionTimeout)
        kept = failed and not timed_out and not self._existing
        self.start(replacing=self.state.file_code if kept else "")

    def wait(self, timeout: float | None = None) -> str:
        """Block until the upload ends; return the file code.

        Raises the upload's error (a :class:`~sv_widgets.errors.SpareVideosError` with the
        API's code), :class:`~sv_widgets.errors.UploadCancelled`,
        :class:`~sv_widgets.errors.ConversionTimeout` (the file keeps converting; its code
        is ``state.file_code``), or ``TimeoutError`` when ``timeout`` seconds pass first.
        A ``KeyboardInterrupt`` while waiting cancels the upload, then propagates.
        """
        if self._thread is None:
            raise RuntimeError("this upload was not started: call start() first")
        try:
            if not self._done.wait(timeout):
                raise TimeoutError(f"upload still {self.state.phase} after {timeout} s")
        except KeyboardInterrupt:
            self.cancel()
            raise
        return self.result()

    def result(self) -> str:
        """The file code of a finished upload, or its error raised (see :meth:`wait`)."""
        phase = self.state.phase
        if phase == "cancelled":
            raise UploadCancelled(self.state.state)
        job = self._job
        if phase == "failed" and job is not None and job.exception is not None:
            if isinstance(job.exception, ConversionTimeout):
                raise ConversionTimeout(job.exception.message) from job.exception
            raise job.exception
        return self.state.file_code

    def done(self, timeout: float | None = None) -> bool:
        """Wait up to ``timeout`` seconds for the attempt to end; whether it has."""
        return self._done.wait(timeout)
