"""The relay: a page's chunks, read by the client's streaming upload as one sized stream.

:class:`RelayStream` is a :class:`~sv_widgets.client.SizedStream`: the client's multipart body
reads it like a file of ``declared_size`` bytes and sends ``Content-Length`` from that size.
Behind it, the page's chunks arrive through the widget's channel (:meth:`RelayStream.feed`,
on the kernel's main thread) and wait in a queue no longer than the agreed window; the upload
thread takes them out as the request body needs them and acknowledges each one once it is
wholly in the body, which lets the page send the next. So the kernel holds at most ``window``
chunks, a slow service slows the page down instead of filling memory, and no byte is ever
written to disk.

Everything :meth:`~RelayStream.feed` is given is checked against what was agreed: the next
offset, at most ``chunk`` bytes, never past the declared size, never more chunks than the
window. A chunk that breaks the agreement raises ``ValueError`` with the reason; the caller
then fails the stream, the upload's body is cut off, and the service stores nothing.

Examples
--------
>>> acks = []
>>> stream = RelayStream(name="a.bin", size=5, chunk=3, window=2, ack=acks.append)
>>> stream.feed(0, b"abc"); stream.feed(3, b"de")
>>> bytes(stream.read(2)), bytes(stream.read(10)), bytes(stream.read(10)), stream.read(10)
(b'ab', b'c', b'de', b'')
>>> acks
[3, 5]
>>> RelayStream(name="a.bin", size=5, chunk=3, window=2, ack=acks.append).feed(3, b"de")
Traceback (most recent call last):
...
ValueError: a chunk at byte 3 arrived where byte 0 was expected (out of order)
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

from sv_widgets.errors import Cancelled

__all__ = ["RelayStream"]

_POLL = 0.1  # how often a waiting read looks at cancel and failure


class RelayStream:
    """The bytes of one relayed upload, fed by the page, read by the upload's request body.

    Parameters
    ----------
    name, size
        The cleaned file name sent to the service, and the declared size in bytes.
    chunk, window
        The agreed largest chunk, and how many chunks may wait unacknowledged.
    ack
        Called (from the reading thread) with the bytes taken so far, once per chunk.
    cancelled
        Polled while waiting for the page: true stops the read with
        :class:`~sv_widgets.errors.Cancelled`.
    """

    def __init__(
        self,
        *,
        name: str,
        size: int,
        chunk: int,
        window: int,
        ack: Callable[[int], None],
        cancelled: Callable[[], bool] = lambda: False,
    ) -> None:
        self.name = name
        self.declared_size = size
        self.chunk = chunk
        self.window = window
        self._ack = ack
        self._cancelled = cancelled
        self._queue: queue.Queue[memoryview] = queue.Queue(maxsize=window)
        self._lock = threading.Lock()
        self._received = 0  # bytes fed (the page's side)
        self._taken = 0  # bytes of whole chunks read (the body's side)
        self._current: memoryview | None = None
        self._position = 0
        self._failure: BaseException | None = None

    # -- the page's side (the kernel's main thread) -------------------------------------
    @property
    def received(self) -> int:
        """Bytes accepted from the page so far."""
        return self._received

    def feed(self, offset: int, data: bytes | memoryview) -> None:
        """Accept the chunk at ``offset``, or raise ``ValueError`` saying why it is refused.

        Never blocks: a page sending beyond the window is refused, not waited for.
        """
        view = memoryview(data)
        if view.ndim != 1 or view.itemsize != 1:
            view = view.cast("B")
        size = len(view)
        with self._lock:
            if offset != self._received:
                raise ValueError(
                    f"a chunk at byte {offset} arrived where byte {self._received} was expected "
                    "(out of order)"
                )
            if size == 0:
                raise ValueError("an empty chunk")
            if size > self.chunk:
                raise ValueError(
                    f"a chunk of {size:,} bytes, larger than the agreed {self.chunk:,}"
                )
            if offset + size > self.declared_size:
                total = f"{offset + size:,} of {self.declared_size:,}"
                raise ValueError(f"more bytes than the declared size ({total})")
            try:
                self._queue.put_nowait(view)
            except queue.Full:
                raise ValueError(
                    f"more than {self.window} chunks sent before the kernel acknowledged them"
                ) from None
            self._received += size

    def fail(self, error: BaseException) -> None:
        """Make the next (or the waiting) read raise ``error``: the body is cut off."""
        with self._lock:
            if self._failure is None:
                self._failure = error

    def release(self) -> None:
        """Let go of every chunk still held (the upload ended): none outlives its upload."""
        with self._lock:
            self._current = None
            while True:
                try:
                    self._queue.get_nowait()
                except queue.Empty:
                    return

    @property
    def failure(self) -> BaseException | None:
        """The error the stream was failed with, if any."""
        return self._failure

    # -- the body's side (the upload thread) --------------------------------------------
    def read(self, size: int = -1, /) -> memoryview | bytes:
        """Up to ``size`` bytes of the current chunk (waiting for the page if needed);
        ``b""`` once ``declared_size`` bytes were read."""
        if self._current is None:
            if self._taken >= self.declared_size:
                return b""
            self._current, self._position = self._next(), 0
        current = self._current
        end = len(current) if size is None or size < 0 else min(len(current), self._position + size)
        piece = current[self._position : end]
        self._position = end
        if end == len(current):
            self._taken += len(current)
            self._current = None
            self._ack(self._taken)
        return piece

    def _next(self) -> memoryview:
        while True:
            if self._failure is not None:
                raise self._failure
            if self._cancelled():
                raise Cancelled("the upload was cancelled")
            try:
                return self._queue.get(timeout=_POLL)
            except queue.Empty:
                continue
