"""The Emulator class, the command line and the pytest plugin."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import requests

from sv_widgets.emulator import Emulator
from sv_widgets.emulator.__main__ import build_parser
from tests.helpers.api import EmulatorAPI


def test_two_emulators_share_nothing() -> None:
    with (
        Emulator(accounts={"a": "secret-a"}, faults=["files_get:http_500"]) as one,
        Emulator(accounts={"a": "secret-b"}) as two,
    ):
        assert one.port != two.port
        assert one.data_dir != two.data_dir
        assert one.accounts == {"a": "secret-a"}
        assert two.accounts == {"a": "secret-b"}
        code = EmulatorAPI(one).upload(b"only in one")
        two_api = EmulatorAPI(two)
        assert two_api.info(code)["error"] == 404
        r = two_api.call("GET", "me/files", "files", "get")
        assert r.json()["codes"] == []  # one's fault rule does not apply to two
        assert EmulatorAPI(one).call("GET", "me/files", "files", "get").status_code == 500


def test_temp_data_dir_is_removed_on_stop() -> None:
    emu = Emulator()
    assert repr(emu) == "<Emulator stopped>"
    with pytest.raises(RuntimeError, match="not running"):
        _ = emu.api_url
    emu.start()
    data_dir = emu.data_dir
    assert data_dir is not None
    assert data_dir.is_dir()
    assert emu.api_url == f"http://127.0.0.1:{emu.port}/api/v1"
    assert emu.thumbnail_url.endswith("/thumbnail")
    assert emu.upload_url.endswith("/fileservers/upload")
    emu.stop()
    assert not data_dir.exists()
    emu.stop()  # idempotent


def test_state_and_demo_account_survive_restart(tmp_path: Path) -> None:
    with Emulator(data_dir=tmp_path) as emu:
        demo = emu.demo_account
        assert demo is not None
        assert emu.accounts == {demo[0]: demo[1]}
        code = EmulatorAPI(emu).upload(b"keep me")
    with Emulator(data_dir=tmp_path) as emu:
        assert emu.demo_account == demo
        assert EmulatorAPI(emu).call("GET", "me/files", "files", "get").json()["codes"] == [code]


def test_private_key_not_in_repr(emulator: Emulator) -> None:
    for key in emulator.accounts.values():
        assert key not in repr(emulator)


def test_client_points_at_the_emulator(emulator: Emulator) -> None:
    client = emulator.client()
    assert client.api_url == emulator.api_url
    assert client.thumbnail_url == emulator.thumbnail_url
    assert client.public_key == next(iter(emulator.accounts))
    with pytest.raises(KeyError):
        emulator.client("nobody")


def test_cli_options_parse() -> None:
    args = build_parser().parse_args(
        ["--account", "p:s", "--max-upload-size", "500M", "--fault", "media:drop:p=0.5"]
    )
    assert args.account == [("p", "s")]
    assert args.max_upload_size == 500 * 1024**2
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--account", "nocolon"])
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--fault", "media:explode"])


def test_an_emulator_never_stopped_removes_its_temporary_data_at_exit(tmp_path: Path) -> None:
    code = (
        "from sv_widgets.emulator import Emulator\n"
        "emu = Emulator(conversions='fast').start()\n"  # as a notebook cell may leave it
        "print(emu.data_dir, flush=True)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "TMPDIR": str(tmp_path)},
    )
    assert done.returncode == 0, done.stderr
    data_dir = Path(done.stdout.strip())
    assert data_dir.parent == tmp_path
    assert not data_dir.exists()


@pytest.mark.parametrize("doc", ["docs/emulator-guide.md", "docs/emulator.md"])
def test_every_cli_option_is_in_the_documented_options_table(doc: str) -> None:
    text = (Path(__file__).parents[2] / doc).read_text()
    options = [
        name
        for action in build_parser()._actions
        for name in action.option_strings
        if name.startswith("--") and name != "--help"
    ]
    assert len(options) > 10
    assert [o for o in options if f"| `{o}" not in text] == []


def _launch(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "sv_widgets.emulator", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _read_banner(proc: subprocess.Popen[str]) -> dict[str, str]:
    assert proc.stdout is not None
    lines: dict[str, str] = {}
    for line in proc.stdout:
        key, _, value = line.strip().partition(": ")
        lines[key] = value.strip()
        if key == "accounts":
            return lines
    raise AssertionError(f"no banner; stderr: {proc.stderr.read() if proc.stderr else ''}")


def test_cli_prints_urls_and_demo_keys_and_stops_on_sigterm(tmp_path: Path) -> None:
    proc = _launch("--data-dir", str(tmp_path), "--log-level", "debug")
    try:
        banner = _read_banner(proc)
        api = banner["api"]
        assert api.startswith("http://127.0.0.1:")
        assert api.endswith("/api/v1")
        assert "SV_PRIVATE_KEY=" in banner["demo account"]
        r = requests.get(f"{api}/upload/initiate", params={"token": "secret-token.abc"}, timeout=10)
        assert r.json()["error"] == 401
    finally:
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert "secret-token" not in stderr  # query strings (tokens) are never logged


def test_cli_warns_when_not_on_loopback(tmp_path: Path) -> None:
    proc = _launch("--host", "0.0.0.0", "--account", "p:s", "--data-dir", str(tmp_path))
    try:
        banner = _read_banner(proc)
        assert "demo account" not in banner
    finally:
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=30)
    assert "WARNING" in stderr
    assert proc.returncode == 0


def test_pytest_plugin_fixture(tmp_path: Path) -> None:
    (tmp_path / "test_user_suite.py").write_text(
        textwrap.dedent(
            """
            import pytest, requests

            seen = []

            def test_fresh_emulator(sv_emulator):
                assert sv_emulator.api_url.startswith("http://127.0.0.1:")
                seen.append(sv_emulator.data_dir)

            def test_another_fresh_one(sv_emulator):
                assert sv_emulator.data_dir not in seen
                assert sv_emulator.page_size == 2000

            @pytest.mark.sv_emulator(page_size=3, accounts={"pk": "sk"})
            def test_configured(sv_emulator):
                assert sv_emulator.page_size == 3
                assert sv_emulator.accounts == {"pk": "sk"}

            def test_session(sv_emulator_session):
                r = requests.get(sv_emulator_session.base_url + "/nope", timeout=5)
                assert r.json()["error"] == 404
            """
        )
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-W",
            "error",
            str(tmp_path / "test_user_suite.py"),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 passed" in result.stdout
