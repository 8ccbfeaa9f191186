"""A bounded pool of conversion threads with progress and cancellation.

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

from sv_widgets.emulator.store import FileRecord, Store, fsync_dir

__all__ = ["ConversionJob", "ConversionPool", "Converter", "Job"]

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
