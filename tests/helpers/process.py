"""Raw-wire helpers over :class:`sv_widgets.emulator.EmulatorProcess`, for the crash tests.

Shared by ``tests/emulator/test_durability.py`` and ``tests/security/test_crash.py``: the
process is started, SIGKILLed and restarted on one data directory, and talked to with raw
HTTP and tokens signed here, so crash tests depend on nothing but the wire format.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import requests

from sv_widgets import signing
from sv_widgets.emulator import EmulatorProcess

__all__ = ["WireEmulator"]


class WireEmulator(EmulatorProcess):
    """A started emulator process with one account and raw-HTTP calls."""

    def __init__(
        self, data_dir: Path, *extra: str, public: str = "crash", private: str = "crash-secret"
    ) -> None:
        super().__init__(data_dir, accounts={public: private}, options=extra)
        self.public, self.private = public, private
        self.start()
        self.api, self.base = self.api_url, self.base_url

    def token(self, method: str, action: str, **fields: Any) -> str:
        payload = {
            "public_key": self.public,
            "method": method,
            "action": action,
            "expires": int(time.time()) + 600,
            **fields,
        }
        return signing.sign(payload, self.private)

    def get(self, endpoint: str, method: str, action: str, **fields: Any) -> dict[str, Any]:
        r = requests.get(
            f"{self.api}/{endpoint}",
            params={"token": self.token(method, action, **fields)},
            timeout=30,
        )
        return dict(r.json())

    def ticket(self) -> dict[str, str]:
        body = self.get("upload/initiate", "upload", "initiate")
        assert body["status"] == "success", body
        return {k: str(v) for k, v in body.items()}

    def upload(self, data: bytes, name: str = "clip.mp4") -> str:
        t = self.ticket()
        r = requests.post(
            t["server"],
            params={"ref": t["ref"], "token": t["token"]},
            files={"file": (name, data)},
            timeout=60,
        )
        body = r.json()
        assert body["status"] == "success", body
        return str(body["code"])

    def listing(self) -> list[str]:
        codes: list[str] = []
        for page in range(1, 1000):  # bounded: pages are few
            r = requests.get(
                f"{self.api}/me/files",
                params={"token": self.token("files", "get"), "page": str(page)},
                timeout=30,
            )
            body = r.json()
            assert body["status"] == "success", body
            codes += body["codes"]
            if body["nextPageUrl"] is None:
                return codes
        raise AssertionError("listing never ended")

    def kill9(self) -> None:
        self.kill()
