"""Background work for the widgets: a bounded runner, batched trait updates, a coalescer.

Widgets do network work off the kernel's main thread so the notebook stays responsive
(``docs/architecture.md``). Four small tools make that safe:

- :class:`Runner`: a per-widget bounded thread pool. Every task's unexpected exception is
  handed to an ``on_error`` callback (the widget shows it in place) instead of vanishing in a
  future nobody reads. :meth:`Runner.wait_idle` blocks, with a deadline, until the work in
  flight (and the work it scheduled) is done: scripts and tests use it.
- :func:`set_traits`: set several traits from any thread as one front-end update, serialised
  per widget so two workers never interleave half-updates.
- :class:`Quiet`: a per-thread "this change is ours" flag, so an observer can tell a change
  the widget makes while redrawing from one a person or a script makes.
- :class:`Coalescer`: turn a burst of "something changed" marks into at most one flush per
  interval (the gallery publishes images as they land without resending the whole set for
  every single image).
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as wait_futures
from contextlib import contextmanager
from typing import Any, ParamSpec, TypeVar

import ipywidgets

__all__ = ["Coalescer", "Quiet", "Runner", "close_descendants", "set_traits"]

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")

_LOCKS: weakref.WeakKeyDictionary[ipywidgets.Widget, threading.RLock] = weakref.WeakKeyDictionary()
_LOCKS_GUARD = threading.Lock()


def _lock_for(widget: ipywidgets.Widget) -> threading.RLock:
    with _LOCKS_GUARD:
        lock = _LOCKS.get(widget)
        if lock is None:
            lock = _LOCKS[widget] = threading.RLock()
        return lock


def set_traits(widget: ipywidgets.Widget, **values: Any) -> None:
    """Set traits of ``widget`` from any thread, sent to the front end as one message.

    Examples
    --------
    >>> import ipywidgets
    >>> bar = ipywidgets.FloatProgress()
    >>> set_traits(bar, value=0.5, description="50%")
    >>> bar.value, bar.description
    (0.5, '50%')
    """
    with _lock_for(widget), widget.hold_sync():
        for name, value in values.items():
            setattr(widget, name, value)


def close_descendants(widget: ipywidgets.Widget) -> None:
    """Close every widget below ``widget`` (boxes do not close their children themselves).

    A composed widget such as the file browser holds hundreds of small widgets, each with a
    comm to the front end; closing them frees both sides.

    Examples
    --------
    >>> import ipywidgets
    >>> label = ipywidgets.Label("x")
    >>> box = ipywidgets.VBox([ipywidgets.HBox([label])])
    >>> close_descendants(box)
    >>> label.comm is None, box.comm is not None
    (True, True)
    """
    for child in getattr(widget, "children", ()):
        close_descendants(child)
        child.close()


class Runner:
    """A bounded pool of worker threads owned by one widget.

    Parameters
    ----------
    max_workers
        Upper bound on concurrent tasks (requests in flight) for this widget.
    name
        Thread name prefix, shown in tracebacks and debuggers.
    on_error
        Called (in the worker thread) with any exception a task raises. Tasks that handle their
        own API errors never reach it; it is the safety net that keeps failures visible.
    on_idle
        Called (in the worker thread) each time the last pending task ends; :meth:`wait_idle`
        returns only once it has run.

    Examples
    --------
    >>> runner = Runner(2, "doc")
    >>> future = runner.submit(sum, [1, 2, 3])
    >>> runner.wait_idle(5)
    True
    >>> future.result()
    6
    >>> runner.shutdown()
    """

    def __init__(
        self,
        max_workers: int,
        name: str,
        on_error: Callable[[BaseException], None] | None = None,
        on_idle: Callable[[], None] | None = None,
    ) -> None:
        self._pool = ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix=name)
        self._on_error = on_error
        self._on_idle = on_idle
        self._pending: set[Future[Any]] = set()
        self._settling = 0  # on_idle calls running
        self._lock = threading.Lock()
        self._settled = threading.Condition(self._lock)
        self._closed = False

    def submit(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        """Run ``fn(*args, **kwargs)`` in the pool; returns its future."""

        def task() -> T:
            try:
                return fn(*args, **kwargs)
            except BaseException as exc:
                if self._on_error is not None:
                    try:
                        self._on_error(exc)
                    except Exception:  # the error display itself failed: log, never hide
                        log.exception("sv_widgets: error handler failed")
                else:
                    log.exception("sv_widgets: background task failed")
                raise

        with self._lock:
            if self._closed:
                raise RuntimeError("this widget has been closed")
            future = self._pool.submit(task)
            self._pending.add(future)
        future.add_done_callback(self._forget)
        return future

    def _forget(self, future: Future[Any]) -> None:
        with self._lock:
            self._pending.discard(future)
            settle = not self._pending and self._on_idle is not None
            if settle:
                self._settling += 1
        if not settle:
            return
        try:
            assert self._on_idle is not None
            self._on_idle()
        except Exception:  # like a task's own error: shown in the log, never lost
            log.exception("sv_widgets: idle callback failed")
        finally:
            with self._settled:
                self._settling -= 1
                self._settled.notify_all()

    @property
    def idle(self) -> bool:
        """Whether no task is pending (an ``on_idle`` callback sees ``True``)."""
        with self._lock:
            return not self._pending

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until no task is pending, including tasks scheduled by tasks, and the
        ``on_idle`` callback has run.

        Returns ``True`` when idle, ``False`` if ``timeout`` seconds passed first.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            with self._lock:
                pending = set(self._pending)
                if not pending and not self._settling:
                    return True
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return False
            if pending:
                wait_futures(pending, timeout=left)
                continue
            with self._settled:
                self._settled.wait_for(lambda: not self._settling or self._pending, left)

    def shutdown(self) -> None:
        """Cancel queued tasks and let running ones finish in the background."""
        with self._lock:
            self._closed = True
        self._pool.shutdown(wait=False, cancel_futures=True)


class Coalescer:
    """Call ``flush`` at most once per ``interval`` seconds after :meth:`mark`.

    The first mark after a quiet period flushes at once (the first images appear without
    delay); marks during the interval are folded into one flush at its end.

    Examples
    --------
    >>> calls = []
    >>> c = Coalescer(0.05, lambda: calls.append(1))
    >>> for _ in range(100):
    ...     c.mark()
    >>> c.flush_now()
    >>> 1 <= len(calls) <= 3
    True
    """

    def __init__(self, interval: float, flush: Callable[[], None]) -> None:
        self._interval = interval
        self._flush = flush
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None
        self._last = -float("inf")

    def mark(self) -> None:
        """Note that something changed; a flush follows within ``interval`` seconds."""
        with self._lock:
            if self._timer is not None:
                return
            delay = self._last + self._interval - time.monotonic()
            if delay > 0:
                self._timer = threading.Timer(delay, self._fire)
                self._timer.daemon = True
                self._timer.start()
                return
            self._last = time.monotonic()
        self._flush()

    def _fire(self) -> None:
        with self._lock:
            self._timer = None
            self._last = time.monotonic()
        self._flush()

    def flush_now(self) -> None:
        """Flush immediately, cancelling a pending delayed flush."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            self._last = time.monotonic()
        self._flush()


class Quiet:
    """A per-thread flag marking changes a widget makes to itself.

    Examples
    --------
    >>> quiet = Quiet()
    >>> with quiet():
    ...     quiet.active
    True
    >>> quiet.active
    False
    """

    def __init__(self) -> None:
        self._local = threading.local()

    @contextmanager
    def __call__(self) -> Iterator[None]:
        """Mark changes made inside the block, in this thread, as the widget's own."""
        previous = self.active
        self._local.on = True
        try:
            yield
        finally:
            self._local.on = previous

    @property
    def active(self) -> bool:
        """Whether the current thread is inside a quiet block."""
        return bool(getattr(self._local, "on", False))
