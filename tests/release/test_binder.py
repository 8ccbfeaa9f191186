"""Binder's environment: a cached requirements layer, the package on top without its
dependencies, and the notebooks' documented check leaving nothing behind."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
BINDER = ROOT / "binder"


def _pins() -> dict[str, str]:
    pins = {}
    for line in (BINDER / "requirements.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, sep, version = line.partition("==")
            assert sep, f"binder/requirements.txt: {line!r} is not pinned (name==version)"
            pins[canonicalize_name(name)] = version
    return pins


def test_the_requirements_do_not_install_the_package_itself() -> None:
    """A `.` line would make Binder rebuild the whole pip layer on every commit."""
    lines = [
        line.split("#", 1)[0].strip()
        for line in (BINDER / "requirements.txt").read_text(encoding="utf-8").splitlines()
    ]
    assert [line for line in lines if line and not re.match(r"[A-Za-z0-9_.-]+==", line)] == []


def test_post_build_installs_the_package_without_its_dependencies() -> None:
    post_build = BINDER / "postBuild"
    assert os.access(post_build, os.X_OK)
    commands = [
        line
        for line in post_build.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert "pip install --no-deps --no-cache-dir ." in commands[-1]


def test_the_pins_satisfy_every_dependency_the_notebooks_need() -> None:
    """With --no-deps nothing else installs them: each one must be pinned, inside its bounds."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = project["optional-dependencies"]
    pins = _pins()
    for spec in [*project["dependencies"], *extras["emulator"], *extras["proxy"]]:
        requirement = Requirement(spec)
        version = pins.get(canonicalize_name(requirement.name))
        assert version is not None, f"binder/requirements.txt does not pin {requirement.name}"
        assert requirement.specifier.contains(version), f"{requirement.name}=={version}: {spec}"
    assert {"jupyterlab", "notebook", "ipykernel", "nbval", "pytest"} <= set(pins)


def _leftovers(tmp: Path) -> list[str]:
    return sorted(p.name for p in tmp.iterdir() if p.name.startswith("sv-"))


def _nbval(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SV_")}
    env["TMPDIR"] = str(tmp)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )


@pytest.mark.slow
def test_the_documented_notebook_check_leaves_nothing_in_the_temp_dir(tmp_path: Path) -> None:
    """`pytest --nbval-lax notebooks/`, as binder/README.md says; nbval kills the kernels."""
    done = _nbval(tmp_path, "notebooks/")
    assert done.returncode == 0, done.stdout[-4000:]
    assert _leftovers(tmp_path) == []


@pytest.mark.slow
def test_without_notebooks_conftest_a_killed_kernel_leaves_its_clips(tmp_path: Path) -> None:
    """The control: what the test above would find if notebooks/conftest.py did nothing."""
    done = _nbval(tmp_path, "--noconftest", "notebooks/01-quickstart.ipynb")
    assert done.returncode == 0, done.stdout[-4000:]
    assert any(name.startswith("sv-quickstart-") for name in _leftovers(tmp_path))
