"""pytest plugin: a SpareVideos emulator for every test, the way moto mocks AWS.

Installed with sv-widgets (entry point ``pytest11``), so any suite gets the fixtures::

    def test_upload(sv_emulator, tmp_path):
        client = sv_emulator.client()
        code = client.upload(make_sample_clip(tmp_path / "clip.mp4"))
        assert code in client.list_files().codes

Fixtures
--------
``sv_emulator``
    Function scope: a started :class:`~sv_widgets.emulator.Emulator` on a free loopback port
    with its own temporary data directory, removed afterwards. Configure it with the marker
    ``@pytest.mark.sv_emulator(page_size=2, faults=[...], ...)`` (any ``Emulator`` keyword).
``sv_emulator_isolated``
    Function scope, fast: one emulator per configuration for the whole session, reset
    before each test (no file, ticket, conversion or fault of another test is visible;
    accounts other than those it started with are dropped). The ``sv_emulator`` marker
    configures it too: each distinct set of keywords gets its own emulator, and its
    ``faults`` are applied after the reset.
``sv_emulator_session``
    Session scope: one emulator shared by every test that asks for it (tests see each
    other's files, so use distinct accounts or codes).

For speed, add ``conversions="fast"`` (converted files in milliseconds) or
``conversions="manual"`` (your test decides when a conversion ends, and how) to the marker.
Unless a marker names a ``data_dir``, the fixtures keep their data in ``/dev/shm`` where it
exists (the emulator fsyncs every write, which costs nothing on tmpfs) and remove it after.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sv_widgets.emulator.runtime.server import Emulator

__all__ = ["sv_emulator", "sv_emulator_isolated", "sv_emulator_session"]


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``sv_emulator`` marker."""
    config.addinivalue_line(
        "markers",
        "sv_emulator(**kwargs): keyword arguments for the sv_emulator fixture's Emulator",
    )


def _marker_kwargs(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The ``Emulator`` keywords of every ``sv_emulator`` marker, the closest winning."""
    kwargs: dict[str, Any] = {}
    for marker in reversed(list(request.node.iter_markers("sv_emulator"))):
        kwargs.update(marker.kwargs)
    kwargs.setdefault("host", "127.0.0.1")
    kwargs.setdefault("port", 0)
    return kwargs


@contextlib.contextmanager
def _started(kwargs: dict[str, Any]) -> Iterator[Emulator]:
    """A started emulator, with a throw-away data dir (on tmpfs if it can) unless given one."""
    with contextlib.ExitStack() as stack:
        if kwargs.get("data_dir") is None:
            # a private mkdtemp directory (0700) in the tmpfs, not a fixed name in it
            shm = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None  # noqa: S108
            temp = tempfile.TemporaryDirectory(prefix="sv-emulator-test-", dir=shm)
            kwargs = {**kwargs, "data_dir": Path(stack.enter_context(temp))}
        yield stack.enter_context(Emulator(**kwargs))


@pytest.fixture
def sv_emulator(request: pytest.FixtureRequest) -> Iterator[Emulator]:
    """A started emulator of its own for one test (see the module docstring)."""
    with _started(_marker_kwargs(request)) as emulator:
        yield emulator


class EmulatorPool:
    """The session's emulators behind ``sv_emulator_isolated``, one per configuration."""

    def __init__(self, stack: contextlib.ExitStack) -> None:
        self._stack = stack
        self._emulators: dict[str, Emulator] = {}

    def get(self, kwargs: dict[str, Any]) -> Emulator:
        """The started emulator for these ``Emulator`` keywords (started on first use)."""
        key = repr(sorted(kwargs.items()))
        if key not in self._emulators:
            self._emulators[key] = self._stack.enter_context(_started(kwargs))
        return self._emulators[key]


@pytest.fixture(scope="session")
def sv_emulator_pool() -> Iterator[EmulatorPool]:
    """The session's emulators behind ``sv_emulator_isolated`` (stopped at the end)."""
    with contextlib.ExitStack() as stack:
        yield EmulatorPool(stack)


@pytest.fixture
def sv_emulator_isolated(
    request: pytest.FixtureRequest, sv_emulator_pool: EmulatorPool
) -> Emulator:
    """The session's emulator for this configuration, reset for this test."""
    kwargs = _marker_kwargs(request)
    faults = kwargs.pop("faults", None)
    emulator = sv_emulator_pool.get(kwargs)
    emulator.reset(accounts=True)
    if faults:
        emulator.set_faults(faults)
    return emulator


@pytest.fixture(scope="session")
def sv_emulator_session() -> Iterator[Emulator]:
    """One started emulator for the whole test session."""
    with Emulator(host="127.0.0.1", port=0) as emulator:
        yield emulator
