"""The release: the sdist and wheel as built, checked, and installed as a person would.

Marked ``release`` (the ``release`` step of ``python3 dev.py test``, ``--step release``): it
builds the sdist and the wheel from it with ``python -m build``, runs ``twine check --strict``,
reads what the wheel holds, and installs the wheel (not editable) with pip into fresh virtual
environments: the core alone (the magics say the emulator extra is missing), then with the
``emulator`` extra at the newest versions, with every dependency at its declared lower bound,
and on the newest supported Python; in each, the magics' demo flow runs in terminal IPython.
"""

from __future__ import annotations

import email.parser
import json
import os
import subprocess
import sys
import tarfile
import venv
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name
from packaging.version import Version

import dev
from tests.release import demo_flow
from tests.release.test_core_install import HINT, MAGICS

ROOT = Path(__file__).resolve().parents[2]
VENDOR = "sv_widgets/widgets/static/vendor/shaka-player"
LICENCES = [
    "LICENSE",
    f"{VENDOR}/LICENSE",
    f"{VENDOR}/third_party/cml-cmcd/LICENSE",
    f"{VENDOR}/third_party/cml-cmcd/NOTICE",
    f"{VENDOR}/third_party/language-mapping-list/LICENSE",
]
pytestmark = pytest.mark.release


@dataclass(frozen=True)
class Dists:
    sdist: Path
    wheel: Path
    log: str


def _run(*cmd: str | Path, cwd: Path = ROOT, timeout: float = 900) -> str:
    """Run ``cmd`` (in the checkout unless told); its output. An environment's python must
    run elsewhere (``cwd=``), or the checkout on its path would answer for the wheel."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SV_")}
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # its own "byte-compiling is disabled" warnings
    env.pop("PYTHONPATH", None)
    done = subprocess.run(
        [str(c) for c in cmd], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"{' '.join(map(str, cmd))}:\n{output[-6000:]}"
    return output


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> Dists:
    """``python -m build``: the sdist, then the wheel built from it."""
    out = tmp_path_factory.mktemp("dist")
    log = _run(sys.executable, "-m", "build", "--outdir", out, ROOT)
    (sdist,) = out.glob("*.tar.gz")
    (wheel,) = out.glob("*.whl")
    return Dists(sdist, wheel, log)


def test_the_build_warns_of_nothing(dists: Dists) -> None:
    warnings = [line for line in dists.log.splitlines() if "warn" in line.lower()]
    assert warnings == []


def test_twine_check_strict(dists: Dists) -> None:
    output = _run(sys.executable, "-m", "twine", "check", "--strict", dists.sdist, dists.wheel)
    assert output.count("PASSED") == 2


def _files(wheel: Path) -> set[str]:
    """The files of a wheel (without its directory entries)."""
    return {i.filename for i in zipfile.ZipFile(wheel).infolist() if not i.is_dir()}


def _tracked_package_files() -> set[str]:
    listed = _run("git", "ls-files", "sv_widgets").split()
    return {name for name in listed if not name.endswith((".pyc", ".pyo"))}


@pytest.mark.skipif(not (ROOT / ".git").exists(), reason="needs the git checkout")
def test_the_wheel_holds_the_package_whole_and_nothing_else(dists: Dists) -> None:
    names = _files(dists.wheel)
    package = {n for n in names if n.startswith("sv_widgets/")}
    assert package == _tracked_package_files()  # static files, the vendored player, py.typed
    assert {"sv_widgets/py.typed", f"{VENDOR}/shaka-player.compiled.js"} <= package
    assert {n.split("/")[0] for n in names} == {"sv_widgets", "sv_widgets-0.1.0.dist-info"}
    assert not [n for n in names if "tests/" in n or "__pycache__" in n]


def test_the_wheel_carries_every_licence_text(dists: Dists) -> None:
    names = _files(dists.wheel)
    licences = {n.split("/licenses/", 1)[1] for n in names if "/licenses/" in n}
    assert licences == set(LICENCES)
    wheel = zipfile.ZipFile(dists.wheel)
    ours = wheel.read("sv_widgets-0.1.0.dist-info/licenses/LICENSE").decode()
    assert ours.startswith("MIT License")


def _metadata(dists: Dists) -> email.message.Message:
    raw = zipfile.ZipFile(dists.wheel).read("sv_widgets-0.1.0.dist-info/METADATA").decode()
    return email.parser.Parser().parsestr(raw)


def test_the_metadata_names_the_licences_pythons_and_urls(dists: Dists) -> None:
    meta = _metadata(dists)
    assert meta["License-Expression"] == "MIT AND Apache-2.0"
    assert sorted(meta.get_all("License-File")) == sorted(LICENCES)
    assert meta["Requires-Python"] == ">=3.11"
    pythons = [
        c.removeprefix("Programming Language :: Python :: ")
        for c in meta.get_all("Classifier")
        if c.startswith("Programming Language :: Python :: 3.")
    ]
    assert pythons == dev.supported_pythons() == ["3.11", "3.12", "3.13"]
    assert not [c for c in meta.get_all("Classifier") if c.startswith("License ::")]
    urls = dict(u.split(", ", 1) for u in meta.get_all("Project-URL"))
    assert set(urls) == {"Homepage", "Documentation", "Changelog", "Issues"}
    assert urls["Documentation"] == "https://sv-widgets.readthedocs.io"
    assert meta.get_payload().startswith("# sv-widgets")  # the README, as PyPI shows it


def test_the_sdist_ships_no_tests_and_the_same_package(dists: Dists) -> None:
    with tarfile.open(dists.sdist) as sdist:
        names = {m.name.split("/", 1)[1] for m in sdist.getmembers() if m.isfile()}
    assert not [n for n in names if n == "tests" or n.startswith("tests/")]
    assert {"LICENSE", "README.md", "pyproject.toml", "PKG-INFO"} <= names
    wheel = {n for n in _files(dists.wheel) if n.startswith("sv_widgets/")}
    assert {n for n in names if n.startswith("sv_widgets/")} == wheel


# -- the wheel installed in fresh environments ----------------------------------------------


def _fresh_venv(path: Path, python: Path) -> Path:
    if Path(python) == Path(sys.executable):
        venv.EnvBuilder(with_pip=True, clear=True).create(path)
    else:
        _run(python, "-m", "venv", "--clear", path, cwd=path.parent)
    env_python = path / "bin" / "python"
    _pip_install(env_python, "--upgrade", "pip")
    return env_python


def _in(python: Path, *args: str | Path) -> str:
    """``python ARGS`` of an environment under test, run beside it (not in the checkout)."""
    return _run(python, *args, cwd=python.parents[2])


def _pip_install(python: Path, *requirements: str | Path) -> None:
    _in(python, "-m", "pip", "install", "--quiet", *requirements)


@pytest.fixture(scope="module")
def installed(dists: Dists, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A fresh environment with the wheel (core only, where the magics were tried), then with
    the emulator extra; its python, and what the magics said with the core alone."""
    work = tmp_path_factory.mktemp("newest")
    python = _fresh_venv(work / "env", Path(sys.executable))
    _pip_install(python, dists.wheel)
    (work / "clip.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(1000))
    script = "import importlib.util; print('av:', importlib.util.find_spec('av'))\n"
    script += "%load_ext sv_widgets\n" + "".join(f"{magic}\n" for magic in MAGICS)
    core_output = demo_flow.run_ipython(python, work, script)
    _pip_install(python, f"{dists.wheel}[emulator]")
    return python, core_output


def test_the_core_install_says_the_emulator_extra_is_missing(installed: tuple[Path, str]) -> None:
    _, output = installed
    assert "av: None" in output  # really the core alone
    assert output.count("demo mode needs the emulator extra, which is not installed") == len(MAGICS)
    assert output.count(HINT) == len(MAGICS)
    assert "starts on first use" not in output
    assert "Traceback" not in output


def _check_flow_from(python: Path, workdir: Path) -> str:
    output = demo_flow.run(python, workdir)
    demo_flow.check(output)
    site = _in(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").strip()
    assert f"from {site}/sv_widgets/__init__.py" in output  # the wheel, not the checkout
    return output


def test_the_demo_flow_from_the_wheel(installed: tuple[Path, str], tmp_path: Path) -> None:
    python, _ = installed
    _check_flow_from(python, tmp_path)


def test_the_installed_metadata(installed: tuple[Path, str]) -> None:
    python, _ = installed
    shown = _in(python, "-m", "pip", "show", "sv-widgets")
    assert "Name: sv-widgets" in shown
    assert "License-Expression: MIT AND Apache-2.0" in shown
    assert "Requires: " in shown
    read = (
        "import importlib.metadata as m; d = m.distribution('sv-widgets'); "
        "print(d.metadata['License-Expression']); print(d.metadata['Requires-Python']); "
        "print(sorted(str(f) for f in d.files if '/licenses/' in str(f)))"
    )
    out = _in(python, "-c", read).splitlines()
    assert out[0] == "MIT AND Apache-2.0"
    assert out[1] == ">=3.11"
    assert len(eval(out[2])) == len(LICENCES)


def test_the_demo_flow_at_the_lowest_bounds(dists: Dists, tmp_path: Path) -> None:
    floor = dev.PYPROJECT["project"]["requires-python"].removeprefix(">=")
    python = dev.find_python(floor)
    assert python is not None, f"no CPython {floor} here"
    env_python = _fresh_venv(tmp_path / "env", python)
    pins = dev.lower_bounds()
    (tmp_path / "lowest.txt").write_text("\n".join(pins) + "\n")
    _pip_install(env_python, f"{dists.wheel}[emulator]", "--constraint", tmp_path / "lowest.txt")
    listed = json.loads(_in(env_python, "-m", "pip", "list", "--format=json"))
    installed = {canonicalize_name(p["name"]): Version(p["version"]) for p in listed}
    wanted = {canonicalize_name(n): Version(v) for n, v in (p.split("==") for p in pins)}
    assert {n: installed.get(n) for n in wanted} == wanted
    _check_flow_from(env_python, tmp_path)


def test_the_demo_flow_on_the_newest_supported_python(dists: Dists, tmp_path: Path) -> None:
    newest = dev.supported_pythons()[-1]
    python = dev.find_python(newest)
    if python is None:
        if dev.in_ci():
            pytest.fail(f"no CPython {newest} here, and CI=true expects every supported Python")
        pytest.skip(f"no CPython {newest} here")
    env_python = _fresh_venv(tmp_path / "env", python)
    _pip_install(env_python, f"{dists.wheel}[emulator]")
    output = _check_flow_from(env_python, tmp_path)
    assert f"python{newest}/site-packages/sv_widgets" in output
