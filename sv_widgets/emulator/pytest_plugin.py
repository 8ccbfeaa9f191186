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
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from sv_widgets.emulator.server import Emulator

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


@pytest.fixture
def sv_emulator(request: pytest.FixtureRequest) -> Iterator[Emulator]:
    """A started emulator of its own for one test (see the module docstring)."""
    with Emulator(**_marker_kwargs(request)) as emulator:
        yield emulator


@pytest.fixture(scope="session")
def sv_emulator_pool() -> Iterator[dict[str, Emulator]]:
    """The session's emulators behind ``sv_emulator_isolated``, one per configuration."""
    pool: dict[str, Emulator] = {}
    yield pool
    for emulator in pool.values():
        emulator.stop()


@pytest.fixture
def sv_emulator_isolated(
    request: pytest.FixtureRequest, sv_emulator_pool: dict[str, Emulator]
) -> Emulator:
    """The session's emulator for this configuration, reset for this test."""
    kwargs = _marker_kwargs(request)
    faults = kwargs.pop("faults", None)
    key = repr(sorted(kwargs.items()))
    emulator = sv_emulator_pool.get(key)
    if emulator is None:
        emulator = sv_emulator_pool[key] = Emulator(**kwargs).start()
    emulator.reset(accounts=True)
    if faults:
        emulator.set_faults(faults)
    return emulator


@pytest.fixture(scope="session")
def sv_emulator_session() -> Iterator[Emulator]:
    """One started emulator for the whole test session."""
    with Emulator(host="127.0.0.1", port=0) as emulator:
        yield emulator
