"""Shared fixtures of the sv-widgets test suite (helpers to import live in ``tests/helpers``).

``clean_sv_env`` (autouse)
    Removes every ``SV_*`` environment variable, so a developer's own keys never leak in.
``emulator`` (session)
    One started :class:`sv_widgets.emulator.Emulator` on a free 127.0.0.1 port with a temp
    data dir and two accounts, ``emulator.accounts`` = ``{PUBLIC_KEY: PRIVATE_KEY,
    OTHER_PUBLIC_KEY: OTHER_PRIVATE_KEY}``. Tests share it: create your own files, do not
    assume an empty listing. ``emulator.client()`` is a client for ``PUBLIC_KEY``.
``sample_clip`` (session)
    Path of a 3 s 640x360 H.264+AAC MP4 made with ``make_sample_clip`` (no downloads).
``signed`` (function)
    ``signed(method, action, public_key=PUBLIC_KEY, expires_in=60, **fields) -> token``,
    a token made with ``sv_widgets.signing.sign`` for the emulator's accounts.
``emu`` (function)
    This test's emulator: the plugin's ``sv_emulator_isolated`` (one emulator per
    configuration for the whole session, reset before each test), configured by the module's
    or the test's ``@pytest.mark.sv_emulator(...)`` marker.
``client`` (function)
    A :class:`~sv_widgets.client.Client` of ``emu`` for its first account, closed afterwards.
``client_waits`` (function)
    Every wait a client decides on before another attempt, in order (``None``: it gave up
    instead of waiting), so that a test asserts on the decision, never on elapsed time.
``api`` (function)
    A :class:`tests.helpers.api.EmulatorAPI` raw-HTTP helper (requests + signing, no client)
    for the shared emulator: ``call``, ``initiate``, ``upload``, ``convert``, ``info``,
    ``wait_ready``. ``EmulatorAPI(any_emulator)`` works for other emulators (first account).

Processes the suite starts get ``TMPDIR`` set to a directory of the run's own, removed
at the end (``pytest_configure``): whatever a killed kernel leaves behind goes with it.

The plugin fixtures ``sv_emulator`` (one emulator per test), ``sv_emulator_isolated`` and
``sv_emulator_session`` come from ``sv_widgets.emulator.pytest_plugin`` (an installed pytest
entry point): a test that needs an emulator configured its own way marks itself and takes
``emu``, it does not start one.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from sv_widgets import signing
from sv_widgets.client import Client
from sv_widgets.client._transport import Transport
from sv_widgets.emulator import Emulator
from tests.helpers.api import (
    OTHER_PRIVATE_KEY,
    OTHER_PUBLIC_KEY,
    PRIVATE_KEY,
    PUBLIC_KEY,
    EmulatorAPI,
)

_CHILDREN_TMP: list[tuple[str, str | None]] = []  # (this run's directory, TMPDIR before)


def pytest_configure(config: pytest.Config) -> None:
    """Give the processes the suite starts (kernels, emulators, servers, browsers) a temporary
    directory of this run's own, removed when the run ends. A kernel that nbval kills after a
    notebook cannot clean up after itself; its leftovers must not pile up in /tmp."""
    tempfile.gettempdir()  # this process keeps the usual one (the value is cached)
    _CHILDREN_TMP.append((tempfile.mkdtemp(prefix="sv-widgets-tests-"), os.environ.get("TMPDIR")))
    os.environ["TMPDIR"] = _CHILDREN_TMP[-1][0]


def pytest_unconfigure(config: pytest.Config) -> None:
    if not _CHILDREN_TMP:
        return
    directory, before = _CHILDREN_TMP.pop()
    if before is None:
        os.environ.pop("TMPDIR", None)
    else:
        os.environ["TMPDIR"] = before
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(autouse=True)
def clean_sv_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Drop every SV_* environment variable for the duration of a test."""
    for name in list(os.environ):
        if name.startswith("SV_"):
            monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    """The shared emulator (see the module docstring)."""
    data_dir = tmp_path_factory.mktemp("emulator-data")
    accounts = {PUBLIC_KEY: PRIVATE_KEY, OTHER_PUBLIC_KEY: OTHER_PRIVATE_KEY}
    with Emulator(data_dir=data_dir, host="127.0.0.1", port=0, accounts=accounts) as emu:
        yield emu


@pytest.fixture(scope="session")
def sample_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small real video (3 s, 640x360, H.264 + AAC)."""
    from sv_widgets.emulator import make_sample_clip

    path = tmp_path_factory.mktemp("clips") / "sample.mp4"
    return make_sample_clip(path, seconds=3.0, width=640, height=360)


@pytest.fixture
def signed() -> Callable[..., str]:
    """Make a token for one of the shared emulator's accounts."""

    def make(
        method: str,
        action: str,
        *,
        public_key: str = PUBLIC_KEY,
        private_key: str | None = None,
        expires_in: int = 60,
        **fields: Any,
    ) -> str:
        secret = (
            private_key
            or {PUBLIC_KEY: PRIVATE_KEY, OTHER_PUBLIC_KEY: OTHER_PRIVATE_KEY}[public_key]
        )
        payload = {
            "algo": "sha256",
            "public_key": public_key,
            "method": method,
            "action": action,
            "expires": int(time.time()) + expires_in,
            **fields,
        }
        return signing.sign(payload, secret)

    return make


@pytest.fixture
def emu(sv_emulator_isolated: Emulator) -> Emulator:
    """This test's emulator, configured by its ``sv_emulator`` marker (see the docstring)."""
    return sv_emulator_isolated


@pytest.fixture
def client(emu: Emulator) -> Iterator[Client]:
    """A client of ``emu`` for its first account."""
    with emu.client() as c:
        yield c


@pytest.fixture
def client_waits(monkeypatch: pytest.MonkeyPatch) -> list[float | None]:
    """The waits clients decide on between attempts (``None``: they gave up at once)."""
    chosen: list[float | None] = []
    decide = Transport._delay

    def recorded(self: Transport, attempt: int, response: Any) -> float | None:
        delay = decide(self, attempt, response)
        chosen.append(delay)
        return delay

    monkeypatch.setattr(Transport, "_delay", recorded)
    return chosen


@pytest.fixture
def api(emulator: Emulator) -> EmulatorAPI:
    """Raw-HTTP helper bound to the shared emulator, signing for ``PUBLIC_KEY``."""
    return EmulatorAPI(emulator, PUBLIC_KEY)
