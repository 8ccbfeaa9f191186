#!/usr/bin/env python3
"""The project's commands, runnable on a fresh machine with only Python 3.11 or newer.

    python3 dev.py demo [ARGS]     # JupyterLab on notebooks/, against the built-in emulator;
                                   # ARGS go to `jupyter lab` (e.g. --port 8899 --no-browser)
    python3 dev.py test            # every step below, as CI runs it (.ci/run)
    python3 dev.py test -m "not slow and not browser"   # the quick inner loop
    python3 dev.py test --step docs                     # one step (repeat --step for more)
    python3 dev.py test --list                          # the steps, in order
    python3 dev.py docs            # the documentation site, into docs/_build/html

``test`` runs a sequence of named steps and ends with one line saying which ran, passed and
were skipped, and how long each took. The checks (ruff, format, mypy, imports, the front
end's ``js`` checks) and ``pytest`` are the quick steps; arguments after ``test`` go to
pytest, and with them only the quick steps run. The other steps run the quick suite on every
other supported CPython found on the machine (``py3.12``, ...), with every dependency at its
declared lower bound (``lowest``), build the documentation (``docs``) and check the release
(``release``: sdist and wheel, ``twine check``, the wheel installed in fresh environments).
``--keep-going`` runs the steps after a failure too. Under ``CI=true`` a step that cannot
run here (a supported Python or a system package missing) fails instead of being skipped.

Each command sets up what it needs: a virtual environment in ``.venv`` with ``pip install -e
".[test]"`` (again when pyproject.toml changes), more in ``.venvs/`` for the other steps, and
(for the tests) Debian's ``chromium``, ``php-cli``, ``nodejs`` and ``npm`` through apt-get
when they are missing and we are root or have sudo.

To add a step, write a function taking a :class:`Context` and returning an exit status (0
passes; raise :class:`Skipped` when it cannot run here), decorate it with ``@step(name,
description)`` (``quick=True`` to run it in the inner loop too), and place it where it belongs
in the order: steps run in the order they are defined.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
import venv
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10 or older: say so, not a traceback
    sys.exit("dev.py needs Python 3.11 or newer: run it with python3.11, python3.12 or python3.13")

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
VENVS = ROOT / ".venvs"  # the other steps' environments
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"
STAMP = ".sv-installed"
APT_PACKAGES = {"chromium": "/usr/bin/chromium", "php-cli": "/usr/bin/php"}
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
QUICK = "not slow and not browser"
THIS_PYTHON = f"{sys.version_info[0]}.{sys.version_info[1]}"


def log(message: str) -> None:
    print(f"[dev] {message}", flush=True)


def run(*cmd: str | Path, check: bool = True, env: dict[str, str] | None = None) -> int:
    log(" ".join(str(c) for c in cmd))
    return subprocess.run([str(c) for c in cmd], cwd=ROOT, check=check, env=env).returncode


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def clean_env() -> dict[str, str]:
    """The environment for tests and docs: no credentials of the developer's (demo mode)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SV_")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


# -- environments ---------------------------------------------------------------------------


def _fresh(stamp: Path) -> bool:
    pyproject = ROOT / "pyproject.toml"
    return stamp.exists() and stamp.stat().st_mtime >= pyproject.stat().st_mtime


def ensure_venv() -> None:
    """Create .venv and install the package with its test extras (again when pyproject changes)."""
    if not PY.exists():
        log(f"creating virtual environment in {VENV}")
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    if _fresh(VENV / STAMP):
        return
    run(PY, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    run(PY, "-m", "pip", "install", "--quiet", "-e", ".[test]")
    (VENV / STAMP).touch()


def ensure_step_venv(name: str, python: Path, constraints: list[str] | None = None) -> Path:
    """``.venvs/NAME`` from ``python`` with ``-e ".[test]"`` (uv, from .venv), pinned to
    ``constraints`` when given; rebuilt when pyproject.toml changes. Returns its python."""
    target = VENVS / name
    target_py = target / "bin" / "python"
    if target_py.exists() and _fresh(target / STAMP):
        return target_py
    uv = BIN / "uv"
    run(uv, "venv", "--quiet", "--clear", "--python", python, target)
    install = [uv, "pip", "install", "--quiet", "--python", target_py, "-e", ".[test]"]
    if constraints is not None:
        pins = target / "lowest-bounds.txt"
        pins.write_text("\n".join(constraints) + "\n", encoding="utf-8")
        install += ["--constraint", pins]
    if run(*install, check=False) != 0:
        raise StepFailed(f"could not install the test environment {target}")
    (target / STAMP).touch()
    return target_py


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


# -- supported Pythons and lower bounds ------------------------------------------------------


def supported_pythons() -> list[str]:
    """The versions the classifiers claim (each one the test command runs)."""
    prefix = "Programming Language :: Python :: "
    found = [c.removeprefix(prefix) for c in PYPROJECT["project"]["classifiers"]]
    return [v for v in found if re.fullmatch(r"3\.\d+", v)]


def find_python(version: str) -> Path | None:
    """A CPython ``version`` on this machine: on PATH, or installed by pyenv."""
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates = [shutil.which(f"python{version}")]
    candidates += [str(p) for p in sorted(pyenv.glob(f"{version}.*/bin/python{version}"))[::-1]]
    candidates += [f"/usr/bin/python{version}", f"/usr/local/bin/python{version}"]
    probe = "import sys; print(sys.implementation.name, '%d.%d' % sys.version_info[:2])"
    for candidate in candidates:
        if not candidate or not Path(candidate).exists():
            continue
        try:
            out = subprocess.run(
                [candidate, "-c", probe], capture_output=True, text=True, timeout=60, check=False
            ).stdout.split()
        except OSError:
            continue
        if out == ["cpython", version]:  # a pyenv shim of a version not selected says otherwise
            return Path(candidate)
    return None


def lower_bounds() -> list[str]:
    """``name==X`` for every runtime and ``emulator`` dependency, X its declared lower bound."""
    project = PYPROJECT["project"]
    pins = []
    for requirement in [*project["dependencies"], *project["optional-dependencies"]["emulator"]]:
        match = re.fullmatch(r"([A-Za-z0-9_.-]+)\s*(?:\[[^\]]*\])?\s*(.*)", requirement)
        bound = re.search(r">=\s*([^,;\s]+)", match.group(2)) if match else None
        if match is None or bound is None:
            raise StepFailed(f"{requirement!r} declares no lower bound (>=): give it one")
        pins.append(f"{match.group(1)}=={bound.group(1)}")
    return pins


def _release_tuple(version: str) -> tuple[int | str, ...]:
    parts: list[int | str] = [int(p) if p.isdigit() else p for p in version.split(".")]
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def _not_at(pins: list[str], python: Path) -> list[str]:
    """The pins that ``python``'s environment does not hold exactly (``name==X (has Y)``)."""
    listed = subprocess.run(
        [str(BIN / "uv"), "pip", "list", "--python", str(python), "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    installed = {p["name"].lower().replace("_", "-"): p["version"] for p in json.loads(listed)}
    wrong = []
    for pin in pins:
        name, version = pin.split("==")
        has = installed.get(name.lower().replace("_", "-"), "nothing")
        if _release_tuple(has) != _release_tuple(version):
            wrong.append(f"{pin} (has {has})")
    return wrong


# -- steps -----------------------------------------------------------------------------------


class Skipped(Exception):
    """The step cannot run here (says why); under CI=true this fails the run."""


class StepFailed(Exception):
    """The step failed before its command ran (says why)."""


@dataclass
class Context:
    pytest_args: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=clean_env)


@dataclass(frozen=True)
class Step:
    name: str
    description: str
    run: Callable[[Context], int]
    quick: bool


STEPS: list[Step] = []


def step(name: str, description: str, *, quick: bool = False) -> Callable[..., object]:
    """Register a step of ``dev.py test`` (in definition order)."""

    def register(function: Callable[[Context], int]) -> Callable[[Context], int]:
        STEPS.append(Step(name, description, function, quick))
        return function

    return register


@step("ruff", "ruff check (lint)", quick=True)
def _ruff(ctx: Context) -> int:
    return run(BIN / "ruff", "check", ".", check=False)


@step("format", "ruff format --check", quick=True)
def _format(ctx: Context) -> int:
    return run(BIN / "ruff", "format", "--check", ".", check=False)


@step("mypy", "mypy (strict) over the package", quick=True)
def _mypy(ctx: Context) -> int:
    return run(BIN / "mypy", check=False)


@step("imports", "import-linter: the layers, no import circles", quick=True)
def _imports(ctx: Context) -> int:
    return run(BIN / "lint-imports", "--no-cache", check=False)


JS_DIR = ROOT / "js"
JS_STAMP = JS_DIR / "node_modules" / ".sv-lock-sha256"
JS_APT_PACKAGES = {"nodejs": "/usr/bin/node", "npm": "/usr/bin/npm"}
# The npm scripts of js/package.json, in order: types, lint, format, unit tests, bundles.
JS_SCRIPTS = ("typecheck", "lint", "format:check", "test", "build:check")


@step(
    "js",
    "the front end in js/: npm ci, type check, lint, format, npm test, fresh bundles",
    quick=True,
)
def _js(ctx: Context) -> int:
    """Installs Node.js and npm (Debian's, through apt-get) when missing. Runs ``npm ci`` when
    ``node_modules`` is missing or was installed from another ``package-lock.json``, then
    each of :data:`JS_SCRIPTS`."""
    if not (shutil.which("node") and shutil.which("npm")):
        ensure_system_packages({k: v for k, v in JS_APT_PACKAGES.items() if not shutil.which(v)})
    npm = shutil.which("npm")
    if shutil.which("node") is None or npm is None:
        raise Skipped("nodejs and npm are not installed and could not be")
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


@step("pytest", "the suite: unit, slow, browser, notebooks (or the pytest arguments)", quick=True)
def _pytest(ctx: Context) -> int:
    missing = ensure_system_packages()
    if missing:
        if in_ci():
            log(f"CI needs {', '.join(missing)} and could not install them; failing")
            return 1
        log(f"{', '.join(missing)} not installed: browser/PHP tests will be skipped")
    args = ctx.pytest_args or ["--nbval-lax", "--nbval-current-env", "tests", "notebooks"]
    return run(PY, "-m", "pytest", *args, check=False, env=ctx.env)


def _quick_suite(python: Path, ctx: Context) -> int:
    """The quick suite (and the notebooks) with another environment's interpreter."""
    args = ["-m", QUICK, "-q", "--nbval-lax", "--nbval-current-env", "tests", "notebooks"]
    return run(python, "-m", "pytest", *args, check=False, env=ctx.env)


def _other_python(version: str) -> Callable[[Context], int]:
    def other_python(ctx: Context) -> int:
        python = find_python(version)
        if python is None:
            raise Skipped(f"no CPython {version} found (PATH, pyenv)")
        log(f"Python {version}: {python}")
        return _quick_suite(ensure_step_venv(f"py{version}", python), ctx)

    return other_python


for _version in supported_pythons():
    if _version != THIS_PYTHON:
        STEPS.append(
            Step(
                f"py{_version}",
                f"the quick suite and the notebooks on CPython {_version}",
                _other_python(_version),
                False,
            )
        )


@step("lowest", "the quick suite with every runtime and emulator dependency at its lower bound")
def _lowest(ctx: Context) -> int:
    floor = PYPROJECT["project"]["requires-python"].removeprefix(">=")
    python = Path(sys.executable) if floor == THIS_PYTHON else find_python(floor)
    if python is None:
        raise Skipped(f"no CPython {floor} (the oldest supported) found")
    pins = lower_bounds()
    log("lower bounds: " + " ".join(pins))
    target_py = ensure_step_venv("lowest", python, constraints=pins)
    wrong = _not_at(pins, target_py)
    if wrong:
        log("not at the lower bound: " + ", ".join(wrong))
        return 1
    return _quick_suite(target_py, ctx)


@step("docs", "build the documentation site (warnings are errors) and check it")
def _docs(ctx: Context) -> int:
    test = "tests/release/test_docs_site.py"
    return run(PY, "-m", "pytest", "-m", "release", "-q", test, check=False, env=ctx.env)


@step("release", "sdist and wheel, twine check, the wheel installed in fresh environments")
def _release(ctx: Context) -> int:
    test = "tests/release/test_wheel.py"
    return run(PY, "-m", "pytest", "-m", "release", "-q", test, check=False, env=ctx.env)


# -- the commands ----------------------------------------------------------------------------


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def _run_step(item: Step, ctx: Context) -> tuple[str, float]:
    log(f"--- step {item.name}: {item.description}")
    start = time.monotonic()
    try:
        code = item.run(ctx)
        outcome = "passed" if code == 0 else f"failed (exit {code})"
    except Skipped as why:
        outcome = f"failed (CI=true: {why})" if in_ci() else f"skipped ({why})"
    except StepFailed as why:
        outcome = f"failed ({why})"
    return outcome, time.monotonic() - start


def _test_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python3 dev.py test",
        allow_abbrev=False,  # pytest has --stepwise: never read it as --step
        description="Run the test command's steps; other arguments go to pytest.",
    )
    names = [s.name for s in STEPS]
    parser.add_argument("--step", action="append", choices=names, help="run only this step")
    parser.add_argument("--list", action="store_true", help="list the steps and exit")
    parser.add_argument("--keep-going", action="store_true", help="go on after a failed step")
    return parser


def cmd_test(argv: list[str]) -> int:
    options, pytest_args = _test_parser().parse_known_args(argv)
    if pytest_args[:1] == ["--"]:
        pytest_args = pytest_args[1:]
    if options.list:
        for item in STEPS:
            print(f"{item.name:10} {'quick ' if item.quick else '      '} {item.description}")
        return 0
    if options.step:
        chosen = [s for s in STEPS if s.name in options.step]
    elif pytest_args:
        chosen = [s for s in STEPS if s.quick]
    else:
        chosen = list(STEPS)
    ensure_venv()
    ctx = Context(pytest_args=pytest_args)
    results: dict[str, tuple[str, float]] = {}
    started = time.monotonic()
    for item in chosen:
        results[item.name] = _run_step(item, ctx)
        if results[item.name][0].startswith("failed") and not options.keep_going:
            break
    return _summary(chosen, results, time.monotonic() - started, bool(pytest_args))


def _summary(
    chosen: list[Step], results: dict[str, tuple[str, float]], total: float, quick: bool
) -> int:
    parts = []
    for item in STEPS:
        if item.name in results:
            outcome, seconds = results[item.name]
            parts.append(f"{item.name} {outcome} {_duration(seconds)}")
        elif item in chosen:
            parts.append(f"{item.name} not run (an earlier step failed)")
        elif quick and not item.quick:
            parts.append(f"{item.name} not run (quick loop)")
    outcomes = [o for o, _ in results.values()]
    passed = sum(o == "passed" for o in outcomes)
    failed = sum(o.startswith("failed") for o in outcomes)
    skipped = sum(o.startswith("skipped") for o in outcomes)
    log("summary: " + " | ".join(parts) + f" | total {_duration(total)}")
    print(f"steps: {passed} passed, {failed} failed, {skipped} skipped", flush=True)
    return 1 if failed or len(results) < len(chosen) else 0


def cmd_docs(argv: list[str]) -> int:
    """Build the documentation site; every warning is an error. The notebooks run in demo mode."""
    if argv:
        print("usage: python3 dev.py docs   (builds docs/_build/html; takes no arguments)")
        return 0 if argv[0] in {"-h", "--help"} else 2
    ensure_venv()
    out = ROOT / "docs" / "_build" / "html"
    sphinx = [PY, "-m", "sphinx", "-W", "--keep-going", "-b", "html", "docs", out]
    code = run(*sphinx, check=False, env=clean_env())
    if code == 0:
        log(f"documentation built: {out / 'index.html'}")
    return code


DEMO_HELP = """usage: python3 dev.py demo [JUPYTER LAB ARGUMENTS]

Opens JupyterLab on the example notebooks in notebooks/ (setting up .venv first). With no
SpareVideos credentials in the environment the notebooks use the built-in emulator; with
SV_PUBLIC_KEY and SV_PRIVATE_KEY set they use your account. Every argument goes to
`jupyter lab`, for example:

    python3 dev.py demo --port 8899 --no-browser
    python3 dev.py demo --ServerApp.ip=127.0.0.1

`.venv/bin/jupyter lab --help` lists them all."""


def demo_command(argv: list[str]) -> list[str]:
    """The ``jupyter lab`` command line that ``dev.py demo ARGS`` runs."""
    command = [str(BIN / "jupyter"), "lab", str(ROOT / "notebooks")]
    if os.geteuid() == 0 and "--allow-root" not in argv:
        command.append("--allow-root")
    return [*command, *argv]


def cmd_demo(argv: list[str]) -> int:
    if any(a in {"-h", "--help", "--help-all"} for a in argv):
        print(DEMO_HELP)
        return 0
    ensure_venv()
    command = demo_command(argv)
    if os.environ.get("SV_PUBLIC_KEY"):
        log("SV_PUBLIC_KEY is set: the notebooks will use your real account")
    else:
        log("no credentials set: the notebooks use the built-in SpareVideos emulator")
    log(" ".join(command))
    os.execv(command[0], command)  # noqa: S606 - replace this process with JupyterLab
    return 0  # pragma: no cover - execv does not return


COMMANDS: dict[str, Callable[[list[str]], int]] = {
    "demo": cmd_demo,
    "test": cmd_test,
    "docs": cmd_docs,
}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        print(__doc__)
        return 0 if argv[:1] in (["-h"], ["--help"]) else 2
    return COMMANDS[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
