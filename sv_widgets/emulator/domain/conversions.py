"""Who runs conversions: a bounded pool of threads, or the test that drives them by hand.

:class:`ConversionPool` (the ``real`` and ``fast`` modes) runs each requested conversion on
one of its threads; :class:`ManualConversions` (the ``manual`` mode) leaves it queued until
told to move it on, finish it or fail it. Both offer ``submit``, ``progress``, ``cancel``,
``cancel_all`` and ``stop`` to the service, and both finish a conversion through the same
:class:`ConversionJob`.

Threads, not processes: PyAV releases the GIL inside its codecs, so two worker threads use
both cores while the event loop stays responsive, and progress and cancellation are plain
shared memory. Each job gets ``on_progress(fraction)`` and ``should_stop()``; a job asked to
stop (its file deleted, or the emulator stopping) ends early and its file stays ``queued`` or
``converting`` in the store, to be picked up again on the next start.
"""

from __future__ import annotations

import logging
import os
import queue
import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sv_widgets.emulator.domain.store import FileRecord, Store, fsync_dir

__all__ = ["ConversionJob", "ConversionPool", "Converter", "Job", "ManualConversions"]

logger = logging.getLogger("sv_widgets.emulator")

#: ``job(code, on_progress, should_stop)``; it records its own outcome.
Job = Callable[[str, Callable[[float], None], Callable[[], bool]], None]
#: ``convert(record, work_dir, on_progress, should_stop) -> outputs``; ``ValueError(reason)``
#: means the file cannot be converted.
Converter = Callable[[FileRecord, Path, Callable[[float], None], Callable[[], bool]], Any]


class ConversionPool:
    """Run ``job`` for queued file codes on ``workers`` threads.

    Parameters
    ----------
    job
        The conversion itself; exceptions are logged and do not kill the worker.
    workers
        Number of threads (conversions running at once).
    """

    def __init__(self, job: Job, *, workers: int = 2) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        self._job = job
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._lock = threading.Lock()
        self._pending: set[str] = set()
        self._progress: dict[str, float] = {}
        self._cancelled: set[str] = set()
        self._stopping = threading.Event()
        self._threads = [
            threading.Thread(target=self._work, name=f"sv-convert-{i}", daemon=True)
            for i in range(workers)
        ]
        for t in self._threads:
            t.start()

    def submit(self, code: str) -> None:
        """Queue ``code`` (a no-op if it is already queued or running)."""
        with self._lock:
            if code in self._pending:
                return
            self._pending.add(code)
            self._cancelled.discard(code)
            self._progress[code] = 0.0
        self._queue.put(code)

    def progress(self, code: str) -> float | None:
        """Percent done (0-100) of a queued or running conversion, else ``None``."""
        with self._lock:
            value = self._progress.get(code)
        return None if value is None else round(value * 100, 1)

    def cancel(self, code: str) -> None:
        """Ask a queued or running conversion of ``code`` to stop."""
        with self._lock:
            if code in self._pending:
                self._cancelled.add(code)

    def cancel_all(self) -> None:
        """Ask every queued or running conversion to stop."""
        with self._lock:
            self._cancelled.update(self._pending)

    def stop(self, timeout: float = 30.0) -> None:
        """Stop every job and join the threads."""
        self._stopping.set()
        for _ in self._threads:
            self._queue.put(None)
        for t in self._threads:
            t.join(timeout)

    def _work(self) -> None:
        while True:
            code = self._queue.get()
            if code is None or self._stopping.is_set():
                return
            try:
                if not self._is_cancelled(code):
                    self._job(
                        code,
                        lambda f, c=code: self._set_progress(c, f),  # type: ignore[misc]
                        lambda c=code: self._is_cancelled(c),  # type: ignore[misc]
                    )
            except Exception:
                logger.exception("conversion of %s crashed", code)
            finally:
                with self._lock:
                    self._pending.discard(code)
                    self._progress.pop(code, None)
                    self._cancelled.discard(code)

    def _set_progress(self, code: str, fraction: float) -> None:
        with self._lock:
            if code in self._progress:
                self._progress[code] = min(max(float(fraction), 0.0), 1.0)

    def _is_cancelled(self, code: str) -> bool:
        return self._stopping.is_set() or code in self._cancelled


class ConversionJob:
    """One conversion, start to finish: mark it converting, run ``convert`` into a temp
    directory, then rename that directory into place and record ``ready`` (or ``failed``
    with the reason). ``publish_lock`` is shared with deletion.
    """

    def __init__(self, store: Store, convert: Converter, publish_lock: threading.Lock) -> None:
        self.store = store
        self._convert = convert
        self._publish_lock = publish_lock

    def run(
        self, code: str, on_progress: Callable[[float], None], should_stop: Callable[[], bool]
    ) -> None:
        """Convert ``code`` and publish its outputs (the pool calls this)."""
        record = self.store.get_file(code)
        if record is None or record.state not in ("queued", "converting"):
            return
        self.store.set_state(code, "converting")
        work = self.store.new_temp_path(f"convert-{code}")
        work.mkdir()
        try:
            outputs = self._convert(record, work, on_progress, should_stop)
        except Exception as exc:
            shutil.rmtree(work, ignore_errors=True)
            if should_stop():
                return
            reason = str(exc) if isinstance(exc, ValueError) else "internal conversion error"
            if not isinstance(exc, ValueError):
                logger.exception("conversion of %s failed unexpectedly", code)
            self.store.set_state(code, "failed", reason=reason or type(exc).__name__)
            return
        with self._publish_lock:
            if should_stop() or self.store.get_file(code) is None:
                shutil.rmtree(work, ignore_errors=True)
                return
            final = self.store.file_dir(code) / "out"
            shutil.rmtree(final, ignore_errors=True)
            os.replace(work, final)
            fsync_dir(final.parent)
            self.store.set_state(code, "ready", outputs=outputs)
        logger.info("converted %s", code)


class ManualConversions:
    """Conversions that stay queued until a test says what happens to them.

    Parameters
    ----------
    job
        Finishes a conversion when it is told to (:meth:`finish`), as the pool would.
    """

    def __init__(self, job: ConversionJob) -> None:
        self._job = job
        self._lock = threading.Lock()
        self._progress: dict[str, float] = {}

    def submit(self, code: str) -> None:
        """Queue ``code`` at 0 % (it stays queued until :meth:`advance` or :meth:`finish`)."""
        with self._lock:
            self._progress.setdefault(code, 0.0)

    def progress(self, code: str) -> float | None:
        """Percent (0-100) last set for a waiting conversion, else ``None``."""
        with self._lock:
            return self._progress.get(code)

    def cancel(self, code: str) -> None:
        """Forget a waiting conversion (its file is being deleted)."""
        with self._lock:
            self._progress.pop(code, None)

    def cancel_all(self) -> None:
        """Forget every waiting conversion."""
        with self._lock:
            self._progress.clear()

    def stop(self, timeout: float = 30.0) -> None:
        """Nothing runs in the background: nothing to stop."""

    def advance(self, code: str, percent: float) -> None:
        """Mark ``code`` converting at ``percent`` (0-100)."""
        self._job.store.set_state(code, "converting")
        with self._lock:
            self._progress[code] = percent

    def finish(self, code: str) -> None:
        """Convert ``code`` now (blocking) and publish it ``ready``, as the pool would."""
        self._job.run(code, lambda fraction: None, lambda: False)
        self.cancel(code)

    def fail(self, code: str, reason: str) -> None:
        """Mark ``code`` failed with ``reason`` (what ``/me/file`` answers with 10001)."""
        self._job.store.set_state(code, "failed", reason=reason)
        self.cancel(code)
