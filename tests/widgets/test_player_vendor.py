"""The HLS/DASH library the player ships: pinned, whole, licensed, packaged, reproducible.

The files under ``sv_widgets/widgets/static/vendor/shaka-player`` are committed (the package
must play HLS and DASH right after ``pip install``, offline and on Binder) and made by
``scripts/build_player_vendor.py`` from the version ``js/package.json`` pins.
"""

from __future__ import annotations

import ast
import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VENDOR = ROOT / "sv_widgets" / "widgets" / "static" / "vendor" / "shaka-player"
MANIFEST = json.loads((VENDOR / "VENDOR.json").read_text())


def test_the_shipped_library_is_the_pinned_version() -> None:
    pin = json.loads((ROOT / "js" / "package.json").read_text())["dependencies"]["shaka-player"]
    lock = json.loads((ROOT / "js" / "package-lock.json").read_text())
    locked = lock["packages"]["node_modules/shaka-player"]
    assert pin == locked["version"] == MANIFEST["version"]  # exact, no range
    assert pin.replace(".", "").isdigit()
    assert MANIFEST["integrity"] == locked["integrity"]
    assert MANIFEST["integrity"].startswith("sha512-")


def test_the_shipped_file_is_whole_and_standalone() -> None:
    code = (VENDOR / MANIFEST["file"]).read_bytes()
    assert hashlib.sha256(code).hexdigest() == MANIFEST["sha256"]
    assert b"sourceMappingURL" not in code  # no request for a map that is not shipped
    assert code.startswith(b"/*\n @license\n Shaka Player")
    assert b"exports[k]=exportTo.shaka[k]" in code  # the UMD form the front end relies on


def test_its_licences_ship_with_it() -> None:
    assert "LICENSE" in MANIFEST["licence_files"]
    for name in MANIFEST["licence_files"]:
        assert (VENDOR / name).stat().st_size > 100, name
    assert "Apache License" in (VENDOR / "LICENSE").read_text()
    assert MANIFEST["license"] == "Apache-2.0"


def test_package_data_includes_every_vendored_file() -> None:
    """What setuptools puts in a wheel: each package-data pattern, globbed recursively."""
    pyproject = (ROOT / "pyproject.toml").read_text()
    section = pyproject.split("[tool.setuptools.package-data]", 1)[1]
    match = re.search(r"^sv_widgets\s*=\s*(\[.*?\])", section, re.M | re.S)
    assert match, "no package-data for sv_widgets"
    patterns = ast.literal_eval(match.group(1))
    package = ROOT / "sv_widgets"
    matched = {
        Path(path).resolve()
        for pattern in patterns
        for path in glob.glob(os.path.join(package, pattern), recursive=True)
        if Path(path).is_file()
    }
    vendored = {p.resolve() for p in VENDOR.rglob("*") if p.is_file()}
    assert vendored
    assert vendored <= matched, sorted(str(p) for p in vendored - matched)
    static = {p.resolve() for p in (package / "widgets" / "static").glob("*.*")}
    assert static <= matched


def _registry_reachable() -> bool:
    npm = shutil.which("npm")
    if npm is None:
        return False
    ping = subprocess.run([npm, "ping"], capture_output=True, timeout=60, check=False)
    return ping.returncode == 0


@pytest.mark.slow
def test_the_build_script_reproduces_the_committed_files() -> None:
    """``scripts/build_player_vendor.py --check`` installs the pin and compares (needs npm)."""
    if not _registry_reachable():
        pytest.skip("needs npm and its registry")
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_player_vendor.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "the committed files are what the pin builds" in result.stdout
