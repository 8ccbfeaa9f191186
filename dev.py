#!/usr/bin/env python3
"""The project's two commands, runnable on a fresh machine with only Python 3.

    python3 dev.py demo     # JupyterLab on notebooks/, against the built-in emulator
    python3 dev.py test     # the whole suite (lint, types, layers, unit, slow, notebooks, browser)

Each sets up what it needs: a virtual environment in ``.venv`` with ``pip install -e
".[test]"``, and (for the tests) Debian's ``chromium``, ``php-cli``, ``nodejs`` and ``npm``
through apt-get when they are missing and we are root or have sudo. Before pytest, ``test``
runs the front end's checks in ``js/`` (``npm ci`` when needed, type check, lint, format
check, ``npm test``, bundle freshness). Extra arguments after ``test`` go to pytest, e.g.
``python3 dev.py test -m "not slow and not browser"`` for the quick inner loop.
"""

from __future__ import annotations

import hashlib
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


def ensure_system_packages(packages: dict[str, str] = APT_PACKAGES) -> list[str]:
    """Install Debian's ``packages`` (name -> a file it provides) when missing; return what is
    still missing."""
    missing = [pkg for pkg, path in packages.items() if not Path(path).exists()]
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
    return [pkg for pkg, path in packages.items() if not Path(path).exists()]


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
    if js_checks(in_ci) != 0:
        return 1
    args = pytest_args or ["--nbval-lax", "--nbval-current-env", "tests", "notebooks"]
    return run(PY, "-m", "pytest", *args, check=False, env=env)


JS_DIR = ROOT / "js"
JS_STAMP = JS_DIR / "node_modules" / ".sv-lock-sha256"
JS_APT_PACKAGES = {"nodejs": "/usr/bin/node", "npm": "/usr/bin/npm"}
# The npm scripts of js/package.json, in order: types, lint, format, unit tests, bundles.
JS_SCRIPTS = ("typecheck", "lint", "format:check", "test", "build:check")


def js_checks(in_ci: bool) -> int:
    """The front end's checks in ``js/``; 0 when they pass (or, outside CI, cannot run).

    Installs Node.js and npm (Debian's, through apt-get) when missing; under CI, failing to is
    a failure. Runs ``npm ci`` when ``node_modules`` is missing or was installed from another
    ``package-lock.json``, then each of :data:`JS_SCRIPTS`.
    """
    if not (shutil.which("node") and shutil.which("npm")):
        wanted = {pkg: path for pkg, path in JS_APT_PACKAGES.items() if not shutil.which(path)}
        ensure_system_packages(wanted)
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        if in_ci:
            log("CI needs nodejs and npm and could not install them; failing")
            return 1
        log("nodejs/npm not installed: the front end's checks are skipped")
        return 0
    lock = hashlib.sha256((JS_DIR / "package-lock.json").read_bytes()).hexdigest()
    if not JS_STAMP.exists() or JS_STAMP.read_text().strip() != lock:
        command = [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts"]
        if subprocess.run(command, cwd=JS_DIR, check=False).returncode != 0:
            return 1
        JS_STAMP.write_text(lock + "\n")
    for script in JS_SCRIPTS:
        log(f"npm run {script} (in js/)")
        if subprocess.run([npm, "run", "--silent", script], cwd=JS_DIR, check=False).returncode:
            return 1
    return 0


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
    if not argv or argv[0] not in {"demo", "test"}:
        print(__doc__)
        return 2
    if argv[0] == "demo":
        return cmd_demo()
    return cmd_test(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
