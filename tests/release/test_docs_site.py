"""The documentation site builds with no warning and holds what it promises.

Marked ``release``: the build executes every example notebook (a minute or two), so it runs as
the ``docs`` step of ``python3 dev.py test`` (``--step docs``), not in the quick loop.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import sv_widgets

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.release


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built as ``python3 dev.py docs`` builds it (warnings are errors)."""
    out = tmp_path_factory.mktemp("docs") / "html"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SV_")}  # demo mode
    done = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-b", "html", "docs", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-6000:]
    assert "WARNING" not in done.stderr.replace("[IPKernelApp] WARNING", "")
    return out


def _page(site: Path, name: str) -> str:
    return (site / name).read_text(encoding="utf-8")


def test_the_quick_start_shows_its_executed_outputs_with_thumbnails(site: Path) -> None:
    page = _page(site, "examples/01-quickstart.html")
    assert "sv_widgets demo mode: no credentials found" in page  # run against the emulator
    assert "is ready to play" in page or "file code shaped like" in page
    thumbnails = re.findall(r'<img[^>]+src="data:image/jpeg;base64,', page)
    assert len(thumbnails) >= 5  # the upload's and info's cards, the gallery's row
    assert "cdn.jsdelivr.net" not in page  # static HTML of the widgets, no widget JS from a CDN


@pytest.mark.parametrize("notebook", sorted(p.stem for p in (ROOT / "notebooks").glob("*.ipynb")))
def test_every_example_notebook_is_a_page_with_outputs(site: Path, notebook: str) -> None:
    page = _page(site, f"examples/{notebook}.html")
    assert 'class="cell_output' in page


def _ids(site: Path, name: str) -> set[str]:
    return set(re.findall(r'<dt class="sig[^"]*" id="([^"]+)"', _page(site, name)))


def test_the_api_reference_documents_every_public_name(site: Path) -> None:
    ids = _ids(site, "reference/python-api.html")
    assert {f"sv_widgets.{name}" for name in sv_widgets.__all__} <= ids
    assert {"sv_widgets.Client.upload", "sv_widgets.UploadDropzone.wait"} <= ids


def test_the_emulator_reference_documents_its_public_api(site: Path) -> None:
    import sv_widgets.emulator

    ids = _ids(site, "reference/emulator-api.html")
    assert {f"sv_widgets.emulator.{name}" for name in sv_widgets.emulator.__all__} <= ids
    assert "sv_widgets.emulator.Emulator.client" in ids


def test_the_fixtures_are_documented(site: Path) -> None:
    from sv_widgets.emulator import pytest_plugin

    ids = _ids(site, "reference/pytest-fixtures.html")
    assert {f"sv_widgets.emulator.pytest_plugin.{n}" for n in pytest_plugin.__all__} <= ids


@pytest.mark.parametrize(
    "page",
    [
        "magics",
        "widgets",
        "uploading",
        "player",
        "static-output",
        "client",
        "emulator-guide",
        "configuration",
        "security",
        "benchmarks",
        "install",
        "development",
        "architecture",
        "emulator",
        "wire-contract",
        "changelog",
    ],
)
def test_every_guide_and_project_page_is_built(site: Path, page: str) -> None:
    assert (site / f"{page}.html").exists()


def test_the_benchmarks_page_shows_the_figures_of_results_md(site: Path) -> None:
    results = (ROOT / "benchmarks" / "results.md").read_text(encoding="utf-8")
    first_row = next(line for line in results.splitlines() if line.startswith("| upload 1 GiB"))
    subject = first_row.split("|")[2].strip()
    assert subject in _page(site, "benchmarks.html")


def test_the_security_page_holds_the_threat_model(site: Path) -> None:
    page = _page(site, "security.html")
    assert "Threat model" in page
    assert "fetch guard" in page


def test_the_changelog_page_is_the_changelog(site: Path) -> None:
    assert "Unreleased" in _page(site, "changelog.html")
