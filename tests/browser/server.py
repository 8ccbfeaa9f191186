"""Start and stop Jupyter servers for the browser tests, isolated from the machine's own.

:func:`start_jupyter` runs ``python -m jupyterlab`` (or ``python -m notebook``) from this
interpreter on a loopback port the OS picks, with a random token, in per-session Jupyter
directories, with a ``python3`` kernelspec that points at this interpreter, and in a process
group of its own that :meth:`JupyterServer.stop` ends (SIGTERM, then SIGKILL).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import quote

App = Literal["lab", "notebook"]

# Generous, because CI is a shared two-core machine; both bound a wait on a condition.
SERVER_START_TIMEOUT_S = 120.0
SERVER_STOP_TIMEOUT_S = 20.0

# JupyterLab user settings that keep the UI quiet and deterministic: no news or update toasts
# (which also means no requests to the internet), no PyPI extension manager, and every cell
# attached to the DOM so that locators find cells outside the viewport.
_USER_SETTINGS: dict[str, dict[str, Any]] = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
    "@jupyterlab/extensionmanager-extension/plugin.jupyterlab-settings": {"enabled": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}


class JupyterStartError(RuntimeError):
    """The Jupyter server did not come up; the message ends with the tail of its log."""


@dataclass
class JupyterServer:
    """A running Jupyter server started by :func:`start_jupyter`.

    ``url`` is the absolute URL of ``base_url`` (ends with ``/``); ``token`` authenticates both
    the REST API and, through :meth:`page_url`, the browser.
    """

    app: App
    url: str
    token: str
    root_dir: Path
    base_url: str
    log_path: Path
    settings_dir: Path
    process: subprocess.Popen[bytes] = field(repr=False)

    def page_url(self, path: str = "") -> str:
        """The page for notebook ``path`` (or the home page), with the token to log in.

        In JupyterLab each URL gets a new, empty workspace: otherwise Lab would restore the
        last test's layout and reopen (and start kernels for) its notebooks.
        """
        quoted = quote(path)
        if self.app == "lab":
            workspace = f"lab/workspaces/sv-{secrets.token_hex(6)}"
            route = f"{workspace}/tree/{quoted}" if path else workspace
        else:
            route = f"notebooks/{quoted}" if path else "tree"
        return f"{self.url}{route}?token={self.token}"

    def api(self, path: str, *, method: str = "GET", timeout: float = 10.0) -> Any:
        """Call the server's REST API (``path`` relative to ``{base_url}api/``); JSON or None."""
        request = urllib.request.Request(
            f"{self.url}api/{path.lstrip('/')}",
            method=method,
            headers={"Authorization": f"token {self.token}"},
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
        return json.loads(body) if body else None

    @contextlib.contextmanager
    def user_settings(self, plugin_id: str, values: dict[str, Any]) -> Iterator[None]:
        """JupyterLab user settings for one plugin (``"package:plugin"``), for pages opened
        inside the ``with`` block; the previous settings come back after it."""
        package, plugin = plugin_id.split(":")
        path = self.settings_dir / package / f"{plugin}.jupyterlab-settings"
        before = path.read_text() if path.exists() else None
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values, indent=2))
        try:
            yield
        finally:
            if before is None:
                path.unlink()
            else:
                path.write_text(before)

    def shutdown_sessions(self) -> None:
        """Close every notebook session (and its kernel), so tests do not pile kernels up."""
        for session in self.api("sessions"):
            try:
                self.api(f"sessions/{session['id']}", method="DELETE", timeout=30.0)
            except urllib.error.HTTPError as e:  # already gone
                if e.code != 404:
                    raise

    def log_tail(self, lines: int = 60) -> str:
        """The last ``lines`` lines of the server's log (stdout and stderr)."""
        try:
            text = self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout: float = SERVER_STOP_TIMEOUT_S) -> None:
        """Stop the server (SIGTERM, which also shuts its kernels down), then kill what is left.

        The server runs in its own process group; only that group is signalled.
        """
        _stop_process_group(self.process, timeout)


def _stop_process_group(process: subprocess.Popen[bytes], timeout: float) -> None:
    pgid = process.pid  # start_new_session=True: the group id is the leader's pid
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=timeout)
    # Whatever is left in the group (the leader on timeout, or an orphaned kernel) is killed.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)
    process.wait(timeout=timeout)


def clean_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """A copy of the environment without a developer's SpareVideos or Jupyter settings."""
    env = dict(os.environ if base is None else base)
    for key in list(env):
        if key.startswith(("SV_", "JUPYTER", "JPY_")) or key == "IPYTHONDIR":
            del env[key]
    return env


def prepare_jupyter_dirs(work_dir: Path) -> dict[str, str]:
    """Create isolated Jupyter directories under ``work_dir``; return the env variables for them.

    Lab extensions (the ipywidgets manager, anywidget) and the server-extension configuration
    are found through ``sys.prefix`` (``share/jupyter`` and ``etc/jupyter``), which these
    variables do not hide; only the per-user locations are replaced.
    """
    dirs = {
        "JUPYTER_CONFIG_DIR": work_dir / "config",
        "JUPYTER_DATA_DIR": work_dir / "data",
        "JUPYTER_RUNTIME_DIR": work_dir / "runtime",
        "JUPYTERLAB_SETTINGS_DIR": work_dir / "config" / "lab" / "user-settings",
        "JUPYTERLAB_WORKSPACES_DIR": work_dir / "config" / "lab" / "workspaces",
        "IPYTHONDIR": work_dir / "ipython",
    }
    for path in dirs.values():
        path.mkdir(parents=True, exist_ok=True)
    for name, settings in _USER_SETTINGS.items():
        target = dirs["JUPYTERLAB_SETTINGS_DIR"] / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(settings, indent=2))
    # The isolated data dir comes first on the kernelspec path, so this spec wins over any other
    # "python3": the kernel is this interpreter, whatever is first on PATH.
    kernel_dir = dirs["JUPYTER_DATA_DIR"] / "kernels" / "python3"
    kernel_dir.mkdir(parents=True, exist_ok=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
        "metadata": {"debugger": False},
    }
    (kernel_dir / "kernel.json").write_text(json.dumps(spec, indent=1))
    return {name: str(path) for name, path in dirs.items()}


def start_jupyter(
    app: App,
    work_dir: Path,
    *,
    timeout: float = SERVER_START_TIMEOUT_S,
    extra_env: dict[str, str] | None = None,
    extra_args: Sequence[str] = (),
) -> JupyterServer:
    """Start JupyterLab (``app="lab"``) or Notebook 7 (``app="notebook"``) and wait for it.

    The server serves ``work_dir / "notebooks"`` on 127.0.0.1 at a port the OS picks (read back
    from the server's info file, so there is no race for a "free" port), with a random token,
    ``SV_*`` variables removed from its environment (``extra_env`` is added after), and its own
    process group. Returns once ``/api/status`` answers; raises :class:`JupyterStartError`
    with the log's tail if the server exits or ``timeout`` seconds pass first.
    """
    work_dir.mkdir(parents=True, exist_ok=True)
    root_dir = work_dir / "notebooks"
    root_dir.mkdir(exist_ok=True)
    env = clean_env()
    env.update(prepare_jupyter_dirs(work_dir))
    env["PYTHONUNBUFFERED"] = "1"
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"  # debugpy's frozen-modules warning, in kernels
    env.update(extra_env or {})
    token = secrets.token_hex(24)
    module = "jupyterlab" if app == "lab" else "notebook"
    cmd = [
        sys.executable,
        "-m",
        module,
        "--no-browser",
        "--expose-app-in-browser",
        "--ServerApp.ip=127.0.0.1",
        "--ServerApp.port=0",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root_dir}",
        "--ServerApp.terminals_enabled=False",
    ]
    if app == "lab":
        cmd.append("--LabApp.extension_manager=readonly")
    if os.geteuid() == 0:
        cmd.append("--allow-root")
    cmd.extend(extra_args)
    log_path = work_dir / f"jupyter-{app}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            cmd,
            cwd=root_dir,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = JupyterServer(
        app=app,
        url="",
        token=token,
        root_dir=root_dir,
        base_url="/",
        log_path=log_path,
        settings_dir=Path(env["JUPYTERLAB_SETTINGS_DIR"]),
        process=process,
    )
    try:
        info = _wait_for_info_file(process, Path(env["JUPYTER_RUNTIME_DIR"]), timeout)
        server.base_url = info["base_url"]
        server.url = f"http://127.0.0.1:{info['port']}{info['base_url']}"
        _wait_for_status(server, timeout)
    except BaseException as e:
        server.stop()
        if isinstance(e, JupyterStartError):
            raise JupyterStartError(f"{e}\n--- {log_path} ---\n{server.log_tail()}") from None
        raise
    return server


def _wait_for_info_file(
    process: subprocess.Popen[bytes], runtime_dir: Path, timeout: float
) -> dict[str, Any]:
    info_file = runtime_dir / f"jpserver-{process.pid}.json"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise JupyterStartError(f"jupyter exited with status {process.returncode}")
        try:
            info: dict[str, Any] = json.loads(info_file.read_text())
        except (FileNotFoundError, json.JSONDecodeError):  # not yet, or half written
            process_wait(process, 0.1)
            continue
        return info
    raise JupyterStartError(f"no {info_file.name} after {timeout:.0f}s")


def _wait_for_status(server: JupyterServer, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise JupyterStartError(f"jupyter exited with status {server.process.returncode}")
        try:
            server.api("status", timeout=5.0)
        except (urllib.error.URLError, ConnectionError, TimeoutError) as e:
            last_error = e
            process_wait(server.process, 0.2)
            continue
        return
    raise JupyterStartError(f"/api/status did not answer within {timeout:.0f}s: {last_error}")


def process_wait(process: subprocess.Popen[bytes], seconds: float) -> None:
    """Wait up to ``seconds`` for ``process`` to exit: a poll interval that ends early on exit."""
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=seconds)
