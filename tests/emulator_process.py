"""A subprocess emulator for crash tests: started, SIGKILLed and restarted on one data dir.

Shared by ``tests/test_emulator_durability.py`` and ``tests/security/test_crash.py``.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import requests

from sv_widgets import signing

__all__ = ["EmulatorProcess"]


class EmulatorProcess:
    """``python -m sv_widgets.emulator`` on ``data_dir`` (killed or stopped by the test).

    Talks to it with raw HTTP and tokens signed here, so crash tests depend on nothing but
    the wire format.
    """

    def __init__(
        self, data_dir: Path, *extra: str, public: str = "crash", private: str = "crash-secret"
    ) -> None:
        self.data_dir = data_dir
        self.public, self.private = public, private
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "sv_widgets.emulator",
                "--port",
                "0",
                "--data-dir",
                str(data_dir),
                "--account",
                f"{public}:{private}",
                "--log-level",
                "warning",
                *extra,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        assert self.proc.stdout is not None
        deadline = time.monotonic() + 60
        for line in self.proc.stdout:
            match = re.search(r"api:\s+(\S+)", line)
            if match:
                self.api = match.group(1)
                self.base = self.api.removesuffix("/api/v1")
                break
            if time.monotonic() > deadline:  # pragma: no cover
                break
        else:
            raise AssertionError("the emulator did not start")

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
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)
        self.close()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:  # pragma: no cover
                self.proc.kill()
                self.proc.wait(30)
        self.close()

    def close(self) -> None:
        if self.proc.stdout is not None:
            self.proc.stdout.close()
