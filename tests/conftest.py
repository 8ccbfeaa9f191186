"""Shared fixtures of the sv-widgets test suite. Names here are stable; teammates rely on them.

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
``api`` (function)
    An ``EmulatorAPI`` raw-HTTP helper (requests + signing, no client) for the shared
    emulator: ``call``, ``initiate``, ``upload``, ``convert``, ``info``, ``wait_ready``.
    ``EmulatorAPI(any_emulator)`` works for other emulators (first account).

Processes the suite starts get ``TMPDIR`` set to a directory of the run's own, removed
at the end (``pytest_configure``): whatever a killed kernel leaves behind goes with it.

The plugin fixtures ``sv_emulator`` (one emulator per test) and ``sv_emulator_session`` come
from ``sv_widgets.emulator.pytest_plugin`` (an installed pytest entry point).
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
import requests

from sv_widgets import signing
from sv_widgets.emulator import Emulator

PUBLIC_KEY = "test-public"
PRIVATE_KEY = "test-private-0123456789abcdef"
OTHER_PUBLIC_KEY = "other-public"
OTHER_PRIVATE_KEY = "other-private-fedcba9876543210"


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


class EmulatorAPI:
    """Raw-HTTP helper for emulator tests (requests + signing only: no sv_widgets.client).

    Tokens are signed for ``public_key`` (default: the emulator's first account).
    """

    def __init__(self, emulator: Emulator, public_key: str | None = None) -> None:
        self.emulator = emulator
        self.public_key = public_key or next(iter(emulator.accounts))

    def token(
        self,
        method: str,
        action: str,
        *,
        public_key: str | None = None,
        expires_in: int = 60,
        **fields: Any,
    ) -> str:
        """A token for ``method``/``action`` with extra signed ``fields``."""
        key = public_key or self.public_key
        payload = {
            "algo": "sha256",
            "public_key": key,
            "method": method,
            "action": action,
            "expires": int(time.time()) + expires_in,
            **fields,
        }
        return signing.sign(payload, self.emulator.accounts[key])

    def call(
        self,
        verb: str,
        endpoint: str,
        method: str,
        action: str,
        *,
        data: Any = None,
        params: dict[str, Any] | None = None,
        public_key: str | None = None,
        **fields: Any,
    ) -> requests.Response:
        """Sign ``method``/``action`` with ``fields`` and send ``verb`` to ``{api}/{endpoint}``."""
        token = self.token(method, action, public_key=public_key, **fields)
        query = {"token": token, **(params or {})}
        return requests.request(
            verb, f"{self.emulator.api_url}/{endpoint}", params=query, data=data, timeout=30
        )

    def initiate(self, public_key: str | None = None) -> dict[str, Any]:
        """A fresh upload ticket: ``{"server", "ref", "token"}``."""
        r = self.call("GET", "upload/initiate", "upload", "initiate", public_key=public_key)
        body: dict[str, Any] = r.json()
        assert body["status"] == "success", body
        return body

    def upload(
        self, content: bytes | Path, name: str = "clip.mp4", public_key: str | None = None
    ) -> str:
        """Upload bytes or a file with the plugin's request shape; return the file code."""
        ticket = self.initiate(public_key)
        data = content.read_bytes() if isinstance(content, Path) else content
        r = requests.post(
            ticket["server"],
            params={"ref": ticket["ref"], "token": ticket["token"]},
            data={"ref": ticket["ref"], "token": ticket["token"]},
            files={"file": (name, data)},
            timeout=60,
        )
        body = r.json()
        assert body["status"] == "success", body
        return str(body["code"])

    def convert(self, code: str, public_key: str | None = None, **flags: Any) -> dict[str, Any]:
        """Request conversion; return the JSON body."""
        r = self.call(
            "GET",
            "upload/conversion/initiate",
            "upload",
            "convert",
            public_key=public_key,
            file_code=code,
            **flags,
        )
        return dict(r.json())

    def info(self, code: str, public_key: str | None = None) -> dict[str, Any]:
        """``GET /me/file``; return the JSON body."""
        r = self.call("GET", "me/file", "file", "get", public_key=public_key, file_code=code)
        return dict(r.json())

    def wait_ready(self, code: str, timeout: float = 120.0) -> dict[str, Any]:
        """Poll ``/me/file`` until the file is converted (or failed); return the last body."""
        deadline = time.monotonic() + timeout
        while True:
            body = self.info(code)
            if body.get("status") == "success" or body.get("error") != 100030:
                return body
            if time.monotonic() > deadline:
                raise AssertionError(f"conversion of {code} did not finish: {body}")
            time.sleep(0.2)


@pytest.fixture
def api(emulator: Emulator) -> EmulatorAPI:
    """Raw-HTTP helper bound to the shared emulator, signing for ``PUBLIC_KEY``."""
    return EmulatorAPI(emulator, PUBLIC_KEY)
