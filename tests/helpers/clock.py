"""A monotonic clock a test moves itself, for rules stated in time (throttles, coalescers).

A test that measured real time between two events would hold only on an idle machine; one
that sets the clock asserts on what the code decided at each moment, whatever the load::

    clock = FakeClock()
    monkeypatch.setattr(module, "time", clock.module())   # the module's ``time`` only
    clock.advance(0.05)
"""

from __future__ import annotations

import threading
import time
from typing import Any

__all__ = ["FakeClock"]


class FakeClock:
    """``monotonic()`` returns what the test set; with ``step``, each reading moves it on."""

    def __init__(self, start: float = 1000.0, *, step: float = 0.0) -> None:
        self.now = start
        self.step = step
        self._lock = threading.Lock()

    def monotonic(self) -> float:
        """The current reading (then ``step`` later, for the next reader)."""
        with self._lock:
            now = self.now
            self.now += self.step
            return now

    def advance(self, seconds: float) -> None:
        """Move the clock on by ``seconds``."""
        with self._lock:
            self.now += seconds

    def module(self) -> Any:
        """A stand-in for the ``time`` module whose ``monotonic`` is this clock."""
        return _TimeModule(self)


class _TimeModule:
    def __init__(self, clock: FakeClock) -> None:
        self._clock = clock

    def monotonic(self) -> float:
        return self._clock.monotonic()

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)
