"""The emulator in a child process: demo mode's, and for tests that kill it and benchmarks
that must not share their own process's GIL with it.

:class:`EmulatorProcess` runs ``python -m sv_widgets.emulator`` with the options given, reads
its URLs from the banner it prints when ready, and stops it (``SIGTERM``) or kills it
(``SIGKILL``, for crash tests) on request. Private keys go to the child through a pipe, never
on its command line (which every user of the machine can list); the child stops by itself
when that pipe closes, so it never outlives this process, even one killed with ``SIGKILL``.
It runs in its own session: an interrupt of this process's group (a kernel's Interrupt)
does not reach it. Only the standard library and ``requests``: a test suite of yours can use
it the same way ours and our benchmarks do.
"""

from __future__ import annotations

import contextlib
import json
import re
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from sv_widgets.emulator.runtime.handle import Lifecycle, client_for

if TYPE_CHECKING:  # pragma: no cover
    from sv_widgets.client import Client
    from sv_widgets.emulator.http.faults import FaultLike

__all__ = ["EmulatorProcess"]

_BANNER = re.compile(r"^\s+(api|upload|thumbnails|demo account):\s+(.+)$")
_DEMO = re.compile(r"SV_PUBLIC_KEY=(\S+) SV_PRIVATE_KEY=(\S+)")


class EmulatorProcess(Lifecycle):
    """``python -m sv_widgets.emulator`` in a child process.

    Parameters
    ----------
    data_dir
        The emulator's ``--data-dir`` (``None``: a temporary one the child removes when it
        stops, also when this process dies first; pass one to restart on the same state or to
        look at it after the child is killed).
    accounts
        ``{public_key: private_key}`` to create, sent on the child's standard input
        (``--accounts-from-stdin``); ``None``: the child makes a demo account and prints it.
    options
        More command-line options, e.g. ``["--conversions", "fast", "--page-size", "2"]``.
    control_token
        Passed as ``--control-token`` and sent by :meth:`set_faults` and :meth:`reset`.
    startup_timeout
        Seconds to wait for the banner.

    Examples
    --------
    >>> with EmulatorProcess(options=["--conversions", "fast"]) as emu:  # doctest: +SKIP
    ...     code = emu.client().upload("clip.mp4")
    """

    def __init__(
        self,
        data_dir: str | Path | None = None,
        *,
        accounts: Mapping[str, str] | None = None,
        options: Sequence[str] = (),
        control_token: str | None = None,
        startup_timeout: float = 60.0,
    ) -> None:
        self.data_dir = Path(data_dir) if data_dir is not None else None
        self.accounts: dict[str, str] = dict(accounts or {})
        self.argv = [sys.executable, "-m", "sv_widgets.emulator", "--port", "0"]
        self.argv += ["--log-level", "warning", "--stop-when-stdin-closes"]
        if self.data_dir is not None:
            self.argv += ["--data-dir", str(self.data_dir)]
        if self.accounts:
            self.argv += ["--accounts-from-stdin"]
        if control_token is not None:
            self.argv += ["--control-token", control_token]
        self.argv += list(options)
        self.control_token = control_token
        self.startup_timeout = startup_timeout
        self.proc: subprocess.Popen[str] | None = None
        self._stderr: Any = None
        self.api_url = self.base_url = self.upload_url = self.thumbnail_url = ""

    def __repr__(self) -> str:
        state = self.base_url if self.running else "stopped"
        return f"<EmulatorProcess {state}>"

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> EmulatorProcess:
        """Start the child and return once it serves (``RuntimeError`` if it does not)."""
        if self.proc is not None:
            raise RuntimeError("the emulator process is already running")
        # stderr to a file, not a pipe: a chatty child must never block on a full pipe
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - closed in _close()
        self.proc = subprocess.Popen(
            self.argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            start_new_session=True,
        )
        assert self.proc.stdin is not None
        try:
            if self.accounts:
                self.proc.stdin.write(json.dumps(self.accounts) + "\n")
            self.proc.stdin.flush()  # kept open: the child ends when it closes
        except OSError:  # the child died at once; its stderr says why, below
            pass
        ready = threading.Event()
        threading.Thread(target=self._read_banner, args=(ready,), daemon=True).start()
        if not ready.wait(self.startup_timeout) or not self.api_url:
            error = self._stderr_tail()
            self.kill()
            raise RuntimeError(f"the emulator did not start: {error}")
        return self

    def _read_banner(self, ready: threading.Event) -> None:
        """Parse the banner's URLs, then keep draining stdout so the child never blocks."""
        assert self.proc is not None
        stream = self.proc.stdout
        assert stream is not None
        seen: dict[str, str] = {}
        try:
            for line in stream:
                match = _BANNER.match(line.rstrip("\n"))
                if match and not ready.is_set():
                    seen[match.group(1)] = match.group(2).strip()
                if line.strip().startswith("accounts:") and not ready.is_set():
                    self._take(seen)
                    ready.set()
        except (ValueError, OSError):  # stop() closed the pipe under us
            pass
        ready.set()  # the child ended: start() sees no URL and reports it

    def _take(self, seen: dict[str, str]) -> None:
        demo = _DEMO.search(seen.get("demo account", ""))
        if demo and not self.accounts:
            self.accounts[demo.group(1)] = demo.group(2)
        self.upload_url = seen.get("upload", "")
        self.thumbnail_url = seen.get("thumbnails", "")
        self.base_url = seen.get("api", "").removesuffix("/api/v1")
        self.api_url = seen.get("api", "")

    def _stderr_tail(self) -> str:
        if self.proc is None or self.proc.poll() is None:
            return "no banner in time"
        self._stderr.seek(0)
        text = self._stderr.read().decode("utf-8", "replace")[-2000:].strip()
        return text or self.ended

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the child the way Ctrl-C would (``SIGTERM``), killing it if it hangs."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:  # pragma: no cover - a hung child
                self.proc.kill()
                self.proc.wait(timeout)
        self._close()

    def kill(self, timeout: float = 30.0) -> None:
        """``SIGKILL`` the child (a crash: nothing gets to clean up) and reap it."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout)
        self._close()

    def _close(self) -> None:
        if self.proc is not None and self.proc.stdin is not None:
            with contextlib.suppress(OSError):
                self.proc.stdin.close()
        if self.proc is not None and self.proc.stdout is not None:
            self.proc.stdout.close()
        if self._stderr is not None:
            self._stderr.close()
        self.proc = self._stderr = None

    @property
    def running(self) -> bool:
        """Whether the child is alive."""
        return self.proc is not None and self.proc.poll() is None

    @property
    def ended(self) -> str:
        """How the child ended: ``"exit status N"`` or ``"killed by signal N"``; ``""`` while
        it runs (or once :meth:`stop` has reaped it)."""
        code = self.proc.poll() if self.proc is not None else None
        if code is None:
            return ""
        return f"killed by signal {-code}" if code < 0 else f"exit status {code}"

    @property
    def pid(self) -> int:
        """The child's process id."""
        if self.proc is None:
            raise RuntimeError("the emulator process is not running")
        return self.proc.pid

    # ------------------------------------------------------------------ use
    def client(self, public_key: str | None = None, **client_kwargs: Any) -> Client:
        """A :class:`sv_widgets.client.Client` for ``public_key`` (default: the first account)."""
        return client_for(
            self.accounts, self.api_url, self.thumbnail_url, public_key, client_kwargs
        )

    def set_faults(self, rules: Iterable[FaultLike]) -> None:
        """Replace the fault rules (``POST /_emulator/faults``)."""
        from sv_widgets.emulator.http.faults import as_rule

        body = [as_rule(rule).to_json() for rule in rules]
        for rule in body:  # what a rule has done so far is not part of it
            rule.pop("fired", None)
            rule.pop("holding", None)
        self._control("POST", "faults", json=body)

    def clear_faults(self) -> None:
        """Remove every fault rule (``DELETE /_emulator/faults``)."""
        self._control("DELETE", "faults")

    def reset(self, *, accounts: bool = False) -> dict[str, int]:
        """Remove every file, ticket, conversion and fault rule (``POST /_emulator/reset``).

        ``accounts=True`` also deletes the accounts not given at start. Returns how many
        files, tickets and accounts went.
        """
        body = self._control("POST", "reset", params={"accounts": "1"} if accounts else None)
        return {name: int(count) for name, count in body["removed"].items()}

    def list_conversions(self) -> list[dict[str, Any]]:
        """Every requested conversion: code, owner, state, progress, reason and flags."""
        return list(self._control("GET", "conversions")["conversions"])

    def set_conversion(
        self,
        code: str,
        *,
        progress: float | None = None,
        state: str | None = None,
        reason: str | None = None,
    ) -> dict[str, Any]:
        """Move a waiting conversion on (``--conversions manual`` only), as
        :meth:`Emulator.set_conversion <sv_widgets.emulator.Emulator.set_conversion>` does.
        Returns the conversion's new state."""
        update = {"progress": progress, "state": state, "reason": reason}
        body = {name: value for name, value in update.items() if value is not None}
        route = f"conversions/{quote(code, safe='')}"
        return dict(self._control("POST", route, json=body)["conversion"])

    def _control(self, verb: str, route: str, **kwargs: Any) -> dict[str, Any]:
        """Call a control route; its JSON error is raised as the emulator's own would be."""
        import requests

        from sv_widgets.emulator.domain.errors import ServiceError

        if self.control_token is not None:
            kwargs["headers"] = {"Authorization": f"Bearer {self.control_token}"}
        reply = requests.request(verb, f"{self.base_url}/_emulator/{route}", timeout=30, **kwargs)
        try:
            body: Any = reply.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and body.get("status") == "error":
            raise ServiceError(int(body.get("error", 0)), str(body.get("message", "")))
        reply.raise_for_status()
        if not isinstance(body, dict):
            raise ValueError(f"the emulator's {verb} /_emulator/{route} answered no JSON object")
        return body
