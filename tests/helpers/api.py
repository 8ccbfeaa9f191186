"""Raw HTTP against an emulator, for tests that must not go through sv_widgets.client.

:class:`EmulatorAPI` signs with :mod:`sv_widgets.signing` and speaks with ``requests``; the
keys are those of the suite's shared emulator (the ``emulator`` fixture of
``tests/conftest.py``).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import requests

from sv_widgets import signing
from sv_widgets.emulator import Emulator

__all__ = [
    "OTHER_PRIVATE_KEY",
    "OTHER_PUBLIC_KEY",
    "PRIVATE_KEY",
    "PUBLIC_KEY",
    "EmulatorAPI",
]

PUBLIC_KEY = "test-public"
PRIVATE_KEY = "test-private-0123456789abcdef"
OTHER_PUBLIC_KEY = "other-public"
OTHER_PRIVATE_KEY = "other-private-fedcba9876543210"


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
