"""pytest plugin: a fresh SpareVideos emulator per test, the way moto mocks AWS.

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
``sv_emulator_session``
    Session scope: one emulator shared by every test that asks for it (faster; tests see
    each other's files, so use distinct accounts or codes).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from sv_widgets.emulator.server import Emulator

__all__ = ["sv_emulator", "sv_emulator_session"]


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``sv_emulator`` marker."""
    config.addinivalue_line(
        "markers",
        "sv_emulator(**kwargs): keyword arguments for the sv_emulator fixture's Emulator",
    )


@pytest.fixture
def sv_emulator(request: pytest.FixtureRequest) -> Iterator[Emulator]:
    """A started emulator of its own for one test (see the module docstring)."""
    kwargs: dict[str, Any] = {}
    for marker in reversed(list(request.node.iter_markers("sv_emulator"))):
        kwargs.update(marker.kwargs)
    kwargs.setdefault("host", "127.0.0.1")
    kwargs.setdefault("port", 0)
    with Emulator(**kwargs) as emulator:
        yield emulator


@pytest.fixture(scope="session")
def sv_emulator_session() -> Iterator[Emulator]:
    """One started emulator for the whole test session."""
    with Emulator(host="127.0.0.1", port=0) as emulator:
        yield emulator
