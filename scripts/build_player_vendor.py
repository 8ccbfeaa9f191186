#!/usr/bin/env python3
"""Rebuild the HLS/DASH player library that the ``Player`` widget ships, from npm.

The player plays HLS and DASH through Media Source Extensions with shaka-player, pinned in
``js/package.json`` and ``js/package-lock.json`` (version and integrity hash). This script
installs exactly that (``npm ci --ignore-scripts --omit=dev``: not the front-end tools that
``js/package.json`` also pins), then copies into
``sv_widgets/widgets/static/vendor/shaka-player/``:

- the compiled ES2021 build (``dist/shaka-player.compiled-es2021.js``: DASH, HLS, the MPEG-TS
  transmuxer; no UI), as ``shaka-player.compiled.js``, with its ``sourceMappingURL`` line
  dropped (the map is not shipped, and a browser must not ask for it);
- every licence and notice file of the package (Apache-2.0, and its third-party parts);
- ``VENDOR.json``: package, version, npm integrity, source file, and the SHA-256 of what was
  written, which the tests check the committed file against.

The files are committed: the package must play HLS and DASH right after ``pip install``, on
Binder and offline, so nothing is ever fetched from a CDN at run time. To move to another
version, change the pin in ``js/package.json``, run ``npm install --package-lock-only
--ignore-scripts`` in ``js/``, then this script, and commit all of it.

Usage::

    python scripts/build_player_vendor.py          # rebuild the vendored files
    python scripts/build_player_vendor.py --check  # rebuild elsewhere; fail if they differ
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
JS_DIR = ROOT / "js"
OUT_DIR = ROOT / "sv_widgets" / "widgets" / "static" / "vendor" / "shaka-player"
PACKAGE = "shaka-player"
SOURCE = "dist/shaka-player.compiled-es2021.js"
TARGET = "shaka-player.compiled.js"
LICENCE_NAMES = re.compile(r"(LICEN[CS]E|NOTICE|COPYING)(\.[A-Za-z]+)?", re.IGNORECASE)
SOURCE_MAP = re.compile(rb"\n//# sourceMappingURL=[^\n]*\s*$")


def log(message: str) -> None:
    print(f"[vendor] {message}", flush=True)


def install(work: Path) -> Path:
    """``npm ci`` the pinned package into ``work``; return the package's directory."""
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(JS_DIR / name, work / name)
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm is needed: install Node.js (https://nodejs.org) and run again")
    command = [npm, "ci", "--ignore-scripts", "--omit=dev", "--no-audit", "--no-fund"]
    command += ["--prefix", str(work)]  # the player library only: not the front-end tools
    log(" ".join(command))
    subprocess.run(command, check=True)
    return work / "node_modules" / PACKAGE


def pinned() -> tuple[str, str]:
    """The version ``js/package.json`` pins and the integrity ``js/package-lock.json`` holds."""
    wanted = json.loads((JS_DIR / "package.json").read_text())["dependencies"][PACKAGE]
    lock = json.loads((JS_DIR / "package-lock.json").read_text())
    entry = lock["packages"][f"node_modules/{PACKAGE}"]
    if entry["version"] != wanted:
        raise SystemExit(f"package-lock.json has {entry['version']}, package.json pins {wanted}")
    return wanted, entry["integrity"]


def write_vendor(package: Path, out: Path, version: str, integrity: str) -> None:
    """Copy the build and the licences from the installed ``package`` into ``out``."""
    installed = json.loads((package / "package.json").read_text())
    if installed["version"] != version:
        raise SystemExit(f"npm installed {PACKAGE} {installed['version']}, not {version}")
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    code = SOURCE_MAP.sub(b"\n", (package / SOURCE).read_bytes())
    (out / TARGET).write_bytes(code)
    licences = sorted(
        relative.as_posix()
        for relative in (path.relative_to(package) for path in package.rglob("*"))
        if LICENCE_NAMES.fullmatch(relative.name) and "node_modules" not in relative.parts
    )
    for relative in licences:
        (out / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(package / relative, out / relative)
    manifest = {
        "package": PACKAGE,
        "version": version,
        "license": installed.get("license", ""),
        "integrity": integrity,
        "source": SOURCE,
        "file": TARGET,
        "sha256": hashlib.sha256(code).hexdigest(),
        "licence_files": licences,
        "built_by": "scripts/build_player_vendor.py",
    }
    (out / "VENDOR.json").write_text(json.dumps(manifest, indent=2) + "\n")


def differences(built: Path, committed: Path) -> list[str]:
    """Files that differ between two vendor directories (relative paths)."""

    def files(root: Path) -> dict[str, bytes]:
        return {
            p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()
        }

    new, old = files(built), files(committed) if committed.exists() else {}
    return sorted(name for name in new.keys() | old.keys() if new.get(name) != old.get(name))


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="fail if a rebuild would differ")
    args = parser.parse_args(argv)
    version, integrity = pinned()
    with tempfile.TemporaryDirectory(prefix="sv-vendor-") as tmp:
        work = Path(tmp)
        package = install(work)
        if args.check:
            write_vendor(package, work / "out", version, integrity)
            changed = differences(work / "out", OUT_DIR)
            if changed:
                log(f"out of date: {', '.join(changed)}; run scripts/build_player_vendor.py")
                return 1
            log(f"{PACKAGE} {version}: the committed files are what the pin builds")
            return 0
        write_vendor(package, OUT_DIR, version, integrity)
    log(f"wrote {PACKAGE} {version} to {OUT_DIR.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
