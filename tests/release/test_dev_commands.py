"""dev.py: the demo command's arguments, the test command's steps and their summary, the
supported Pythons and the lower bounds it reads from pyproject.toml."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest
import requests

import dev

ROOT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def test_demo_help_prints_help_and_launches_nothing() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "dev.py"), "demo", "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0
    assert done.stdout.startswith("usage: python3 dev.py demo")
    assert "--port 8899" in done.stdout
    assert "jupyter" not in done.stderr.lower()  # it returned (timeout above): no server ran


def test_demo_arguments_go_to_jupyter_lab() -> None:
    command = dev.demo_command(["--port", "8899", "--no-browser"])
    assert command[:3] == [str(dev.BIN / "jupyter"), "lab", str(ROOT / "notebooks")]
    assert command[-2:] == ["--port", "8899"] or command[-3:] == ["--port", "8899", "--no-browser"]
    assert command.count("--allow-root") <= 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
def test_demo_serves_jupyterlab_on_the_port_it_was_given(tmp_path: Path) -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SV_")}
    args = ["--port", str(port), "--no-browser", "--ServerApp.ip=127.0.0.1"]
    args += ["--IdentityProvider.token=", f"--ServerApp.root_dir={ROOT / 'notebooks'}"]
    env["JUPYTER_RUNTIME_DIR"] = str(tmp_path)
    log = tmp_path / "jupyter.log"
    with log.open("w") as sink:
        proc = subprocess.Popen(
            [sys.executable, str(ROOT / "dev.py"), "demo", *args],
            stdout=sink,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,  # JupyterLab and what it starts go with the group below
        )
    try:
        deadline = time.monotonic() + 120
        answer = None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                answer = requests.get(f"http://127.0.0.1:{port}/api/status", timeout=5)
                break
            except requests.ConnectionError:
                time.sleep(0.2)
        assert answer is not None, log.read_text()
        assert answer.status_code == 200
        assert answer.json()["started"]
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)


def test_the_supported_pythons_are_the_classifiers_from_the_floor_up() -> None:
    versions = dev.supported_pythons()
    assert versions == ["3.11", "3.12", "3.13"]
    assert PROJECT["requires-python"] == f">={versions[0]}"
    minors = [int(v.split(".")[1]) for v in versions]
    assert minors == list(range(minors[0], minors[0] + len(minors)))  # no gap


def test_the_test_command_has_a_step_for_every_other_supported_python() -> None:
    names = [s.name for s in dev.STEPS]
    others = [f"py{v}" for v in dev.supported_pythons() if v != dev.THIS_PYTHON]
    assert [n for n in names if n.startswith("py3.")] == others
    assert {"ruff", "format", "mypy", "imports", "pytest", "lowest", "docs", "release"} <= set(
        names
    )


def test_find_python_finds_this_one_and_checks_what_it_finds() -> None:
    found = dev.find_python(dev.THIS_PYTHON)
    assert found is not None
    version = subprocess.run(
        [str(found), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert version == dev.THIS_PYTHON
    assert dev.find_python("3.99") is None


def test_every_runtime_and_emulator_dependency_has_a_lower_bound() -> None:
    pins = dev.lower_bounds()
    declared = [*PROJECT["dependencies"], *PROJECT["optional-dependencies"]["emulator"]]
    assert len(pins) == len(declared)
    for pin, spec in zip(pins, declared, strict=True):
        name, version = pin.split("==")
        assert spec.startswith(name)
        assert f">={version}" in spec


def _fake_steps(monkeypatch: pytest.MonkeyPatch, outcomes: dict[str, object]) -> list[str]:
    ran: list[str] = []

    def make(name: str, outcome: object) -> dev.Step:
        def run(ctx: dev.Context) -> int:
            ran.append(name)
            if isinstance(outcome, Exception):
                raise outcome
            assert isinstance(outcome, int)
            return outcome

        return dev.Step(name, f"the {name} step", run, quick=name == "a")

    monkeypatch.setattr(dev, "STEPS", [make(n, o) for n, o in outcomes.items()])
    monkeypatch.setattr(dev, "ensure_venv", lambda: None)
    return ran


def _summary(out: str) -> str:
    (line,) = [line for line in out.splitlines() if line.startswith("[dev] summary: ")]
    return line


def test_the_summary_says_which_steps_ran_passed_and_were_skipped(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("CI", raising=False)
    ran = _fake_steps(monkeypatch, {"a": 0, "b": dev.Skipped("no such thing here"), "c": 0})
    assert dev.cmd_test([]) == 0
    out = capsys.readouterr().out
    assert ran == ["a", "b", "c"]
    assert re.fullmatch(
        r"\[dev\] summary: a passed \d+s \| b skipped \(no such thing here\) \d+s \| "
        r"c passed \d+s \| total \d+s",
        _summary(out),
    )
    assert out.splitlines()[-1] == "steps: 2 passed, 0 failed, 1 skipped"


def test_a_skipped_step_fails_under_ci(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CI", "true")
    _fake_steps(monkeypatch, {"a": 0, "b": dev.Skipped("no CPython 3.13 found")})
    assert dev.cmd_test([]) == 1
    assert "b failed (CI=true: no CPython 3.13 found)" in _summary(capsys.readouterr().out)


def test_a_failed_step_stops_the_run_unless_keep_going(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("CI", raising=False)
    ran = _fake_steps(monkeypatch, {"a": 3, "b": 0})
    assert dev.cmd_test([]) == 1
    assert ran == ["a"]
    assert "b not run (an earlier step failed)" in _summary(capsys.readouterr().out)
    ran.clear()
    assert dev.cmd_test(["--keep-going"]) == 1
    assert ran == ["a", "b"]


def test_pytest_arguments_run_only_the_quick_steps_and_reach_pytest(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("CI", raising=False)
    seen: list[list[str]] = []

    def quick(ctx: dev.Context) -> int:
        seen.append(ctx.pytest_args)
        return 0

    ran = _fake_steps(monkeypatch, {"b": 0})
    monkeypatch.setattr(dev, "STEPS", [dev.Step("a", "", quick, True), *dev.STEPS])
    assert dev.cmd_test(["-m", "not slow and not browser", "-x"]) == 0
    assert seen == [["-m", "not slow and not browser", "-x"]]
    assert ran == []  # b is not a quick step
    assert "b not run (quick loop)" in _summary(capsys.readouterr().out)


def test_one_step_by_name(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("CI", raising=False)
    ran = _fake_steps(monkeypatch, {"a": 0, "b": 0, "c": 0})
    assert dev.cmd_test(["--step", "b"]) == 0
    assert ran == ["b"]
    assert capsys.readouterr().out.splitlines()[-1] == "steps: 1 passed, 0 failed, 0 skipped"
