#!/usr/bin/env python3
"""The project's two commands, runnable on a fresh machine with only Python 3.

    python3 dev.py demo     # JupyterLab on notebooks/, against the built-in emulator
    python3 dev.py test     # the whole suite (lint, types, layers, unit, slow, notebooks, browser)
    python3 dev.py docs     # the documentation site, into docs/_build/html (warnings are errors)

Each sets up what it needs: a virtual environment in ``.venv`` with ``pip install -e
".[test]"``, and (for the tests) Debian's ``chromium`` and ``php-cli`` through apt-get when
they are missing and we are root or have sudo. Extra arguments after ``test`` go to pytest,
e.g. ``python3 dev.py test -m "not slow and not browser"`` for the quick inner loop.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"
STAMP = VENV / ".sv-installed"
APT_PACKAGES = {"chromium": "/usr/bin/chromium", "php-cli": "/usr/bin/php"}


def log(message: str) -> None:
    print(f"[dev] {message}", flush=True)


def run(*cmd: str | Path, check: bool = True, env: dict[str, str] | None = None) -> int:
    log(" ".join(str(c) for c in cmd))
    return subprocess.run([str(c) for c in cmd], cwd=ROOT, check=check, env=env).returncode


def ensure_venv() -> None:
    """Create .venv and install the package with its test extras (again when pyproject changes)."""
    if not PY.exists():
        log(f"creating virtual environment in {VENV}")
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    pyproject = ROOT / "pyproject.toml"
    if STAMP.exists() and STAMP.stat().st_mtime >= pyproject.stat().st_mtime:
        return
    run(PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    run(PY, "-m", "pip", "install", "--quiet", "-e", ".[test]")
    STAMP.touch()


def ensure_system_packages() -> list[str]:
    """Install Debian's chromium and php-cli when missing; return what is still missing."""
    missing = [pkg for pkg, path in APT_PACKAGES.items() if not Path(path).exists()]
    if not missing:
        return []
    apt = shutil.which("apt-get")
    prefix: list[str] = []
    if os.geteuid() != 0:
        sudo = shutil.which("sudo")
        if sudo is None:
            return missing
        prefix = [sudo, "-n"]
    if apt is None:
        return missing
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    run(*prefix, apt, "update", "-q", check=False, env=env)
    install = [apt, "install", "-y", "-q", "--no-install-recommends", *missing]
    run(*prefix, *install, check=False, env=env)
    return [pkg for pkg, path in APT_PACKAGES.items() if not Path(path).exists()]


def cmd_test(pytest_args: list[str]) -> int:
    ensure_venv()
    missing = ensure_system_packages()
    in_ci = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
    if missing:
        if in_ci:
            log(f"CI needs {', '.join(missing)} and could not install them; failing")
            return 1
        log(f"{', '.join(missing)} not installed: browser/PHP tests will be skipped")
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    env.pop("SV_PUBLIC_KEY", None)
    env.pop("SV_PRIVATE_KEY", None)
    if run(BIN / "ruff", "check", ".", check=False) != 0:
        return 1
    if run(BIN / "ruff", "format", "--check", ".", check=False) != 0:
        return 1
    if run(BIN / "mypy", check=False) != 0:
        return 1
    if run(BIN / "lint-imports", "--no-cache", check=False) != 0:  # the layers, no circles
        return 1
    args = pytest_args or ["--nbval-lax", "--nbval-current-env", "tests", "notebooks"]
    return run(PY, "-m", "pytest", *args, check=False, env=env)


def cmd_docs() -> int:
    """Build the documentation site; every warning is an error. The notebooks run in demo mode."""
    ensure_venv()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SV_")}
    out = ROOT / "docs" / "_build" / "html"
    code = run(
        PY, "-m", "sphinx", "-W", "--keep-going", "-b", "html", "docs", out, check=False, env=env
    )
    if code == 0:
        log(f"documentation built: {out / 'index.html'}")
    return code


def cmd_demo() -> int:
    ensure_venv()
    args = [str(BIN / "jupyter"), "lab", str(ROOT / "notebooks")]
    if os.geteuid() == 0:
        args.append("--allow-root")
    if os.environ.get("SV_PUBLIC_KEY"):
        log("SV_PUBLIC_KEY is set: the notebooks will use your real account")
    else:
        log("no credentials set: the notebooks use the built-in SpareVideos emulator")
    log(" ".join(args))
    os.execv(args[0], args)  # noqa: S606 - replace this process with JupyterLab
    return 0  # pragma: no cover - execv does not return


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"demo", "test", "docs"}:
        print(__doc__)
        return 2
    if argv[0] == "demo":
        return cmd_demo()
    if argv[0] == "docs":
        return cmd_docs()
    return cmd_test(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
