"""Without the ``emulator`` extra, the emulator says what to install instead of failing deep
inside an import (checked for real in a fresh virtual environment with the core dependencies
only)."""

from __future__ import annotations

import subprocess
import venv
from pathlib import Path

import pytest

from sv_widgets.emulator.runtime.extra import INSTALL_HINT, require_extra

ROOT = Path(__file__).resolve().parents[2]
HINT = 'pip install "sv-widgets[emulator]"'


def test_the_message_names_the_module_and_the_command() -> None:
    assert INSTALL_HINT == HINT
    with pytest.raises(ImportError) as caught:
        require_extra(("sv_no_such_module",))
    assert caught.value.name == "sv_no_such_module"
    assert "'sv_no_such_module'" in str(caught.value)
    assert HINT in str(caught.value)
    require_extra()  # this environment has the extra


@pytest.fixture(scope="module")
def core_only(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment with sv-widgets and its core dependencies only."""
    env = tmp_path_factory.mktemp("core-venv")
    venv.EnvBuilder(with_pip=True).create(env)
    python = env / "bin" / "python"
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "-e", str(ROOT)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    return python


def _run(python: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(python), *args], capture_output=True, text=True, timeout=120, cwd=ROOT.parent
    )


@pytest.mark.slow
def test_core_install_has_no_emulator_stack(core_only: Path) -> None:
    probe = (
        "import importlib.util as u; "
        "print([m for m in ('uvicorn', 'starlette', 'av') if u.find_spec(m)])"
    )
    assert _run(core_only, "-c", probe).stdout.strip() == "[]"
    # what needs nothing from the extra still imports
    ok = _run(
        core_only, "-c", "import sv_widgets.emulator as e; print(e.FaultRule('upload', 'drop'))"
    )
    assert ok.returncode == 0, ok.stderr


@pytest.mark.slow
@pytest.mark.parametrize(
    ("code", "module"),
    [
        ("from sv_widgets.emulator import Emulator", "starlette"),
        ("from sv_widgets.emulator import make_sample_clip", "av"),
        (
            "from sv_widgets.emulator.runtime.server import Emulator; Emulator().start()",
            "starlette",
        ),
    ],
)
def test_python_imports_say_what_to_install(core_only: Path, code: str, module: str) -> None:
    run = _run(core_only, "-c", code)
    assert run.returncode == 1
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: ")
    assert f"'{module}'" in last
    assert HINT in last


@pytest.mark.slow
def test_the_command_line_says_what_to_install(core_only: Path) -> None:
    run = _run(core_only, "-m", "sv_widgets.emulator", "--port", "0")
    assert run.returncode == 1
    assert "Traceback" not in run.stderr
    assert "'starlette'" in run.stderr
    assert HINT in run.stderr
    assert run.stdout == ""
