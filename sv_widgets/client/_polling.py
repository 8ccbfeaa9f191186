"""Long-running client helpers: concurrent paging, remote-upload progress, conversion waits.

Each takes the calls it needs as plain callables (``client.list_files``,
``client.file_info``...), never the client itself: the helpers know nothing of the client's
insides and the client's module imports them, not the other way round.

Examples
--------
>>> from sv_widgets.models import FilePage
>>> def page(n):
...     return FilePage((f"code-{n}",), n, 3, None)
>>> list(iter_pages(page))
['code-1', 'code-2', 'code-3']
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor

from sv_widgets.errors import Cancelled, ConversionTimeout, FileNotConverted, SpareVideosError
from sv_widgets.models import FileInfo, FilePage

__all__ = [
    "MAX_PAGE_WORKERS",
    "POLL_READ_TIMEOUT",
    "iter_pages",
    "poll_remote_progress",
    "wait_converted",
]

#: At most this many pages are in flight at once (memory and server load stay bounded).
MAX_PAGE_WORKERS = 8
#: Seconds a remote upload's progress poll waits for its answer. A poll is advisory: one the
#: upload server leaves hanging (a busy worker that accepted it) is given up and the next one
#: tried, instead of freezing the reported progress for the client's whole read timeout.
POLL_READ_TIMEOUT = 5.0


def iter_pages(list_files: Callable[[int], FilePage]) -> Iterator[str]:
    """Yield every code of every page in order, fetching pages 2.. concurrently.

    The first page gives ``last_page``; then :data:`MAX_PAGE_WORKERS` threads fetch the
    next pages while at most twice that many are queued or buffered ahead of the consumer
    (so one slow page does not idle the other workers, and memory stays bounded). Closing
    the iterator early cancels what has not started.
    """
    first = list_files(1)
    yield from first.codes
    if first.last_page <= 1:
        return
    pages = iter(range(2, first.last_page + 1))
    workers = min(MAX_PAGE_WORKERS, first.last_page - 1)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sv-pages") as pool:
        pending: deque[Future[FilePage]] = deque(
            pool.submit(list_files, n) for _, n in zip(range(2 * workers), pages, strict=False)
        )
        try:
            while pending:
                page = pending.popleft().result()
                nxt = next(pages, None)
                if nxt is not None:
                    pending.append(pool.submit(list_files, nxt))
                yield from page.codes
        finally:
            for future in pending:
                future.cancel()


@contextlib.contextmanager
def poll_remote_progress(
    read_progress: Callable[[], float],
    on_progress: Callable[[float, int], None] | None,
    interval: float,
    join_timeout: float,
) -> Iterator[Callable[[], None]]:
    """Call ``read_progress()`` in a thread while the block runs; yield ``finish()``.

    ``on_progress(percent, 100)`` only ever sees growing values; ``finish()`` reports
    ``(100, 100)`` unless the poller already did. Polling errors are ignored (the progress
    is advisory); the thread stops when the block exits, whatever happens, waiting at most
    ``join_timeout`` seconds for a poll in flight.
    """
    if on_progress is None:
        yield lambda: None
        return
    callback = on_progress
    stop = threading.Event()
    lock = threading.Lock()
    last = [-1.0]

    def report(value: float) -> None:
        with lock:
            if value <= last[0]:
                return
            last[0] = value
            callback(value, 100)

    def run() -> None:
        while not stop.is_set():
            try:
                value = read_progress()
            except SpareVideosError:
                value = -1.0
            if not stop.is_set() and value < 100:
                report(value)
            stop.wait(interval)

    def finish() -> None:
        stop.set()
        report(100.0)

    thread = threading.Thread(target=run, name="sv-upload-progress", daemon=True)
    thread.start()
    try:
        yield finish
    finally:
        stop.set()
        thread.join(timeout=join_timeout + interval)


def _never_stop(seconds: float) -> bool:
    time.sleep(seconds)
    return False


def wait_converted(
    file_info: Callable[[str], FileInfo],
    file_code: str,
    *,
    timeout: float,
    poll: float,
    on_progress: Callable[[float], None] | None = None,
    pause: Callable[[float], bool] | None = None,
) -> FileInfo:
    """Poll ``file_info(file_code)`` until the file is converted; return its info.

    The one place that waits for a conversion and enforces its ``timeout``. ``pause(s)``
    waits ``s`` seconds between polls and returns ``True`` to stop waiting (a cancel
    button's ``threading.Event().wait`` does exactly that); stopping raises
    :class:`~sv_widgets.errors.Cancelled`.

    Raises
    ------
    ConversionTimeout
        Still not converted after ``timeout`` seconds (the file keeps converting).
    FileserverError
        The conversion failed (error 10001, with the service's reason).
    """
    if poll <= 0 or timeout < 0:
        raise ValueError("poll must be > 0 and timeout >= 0")
    deadline = time.monotonic() + timeout
    while True:
        try:
            info = file_info(file_code)
        except FileNotConverted as e:
            if on_progress is not None and e.progress is not None:
                on_progress(e.progress)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ConversionTimeout(
                    f"{file_code} was not converted within {timeout:g} s "
                    f"(last: {e.message}); it keeps converting on the service",
                    endpoint="GET /me/file",
                ) from e
            if (pause or _never_stop)(min(poll, remaining)):
                raise Cancelled(f"stopped waiting for {file_code} to convert") from None
            continue
        if on_progress is not None:
            on_progress(100.0)
        return info
