"""The README is a landing page that works where PyPI shows it, and the project's URLs."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
DOCS_SITE = "https://sv-widgets.readthedocs.io"
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def test_the_readme_is_a_landing_page_under_200_lines() -> None:
    assert len(README.splitlines()) < 200


def test_the_two_commands_are_near_the_top() -> None:
    top = "\n".join(README.splitlines()[:25])
    assert "python3 dev.py demo" in top
    assert "python3 dev.py test" in top


def test_every_link_and_image_is_absolute() -> None:
    """PyPI shows the README away from the repository: a relative link or image breaks there."""
    targets = LINK.findall(README)
    assert len(targets) > 20
    assert [t for t in targets if not t.startswith("https://")] == []


def test_images_come_from_the_repository_raw_and_links_to_its_files_from_blob() -> None:
    images = re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", README)
    ours = [i for i in images if "sv-widgets/sv-widgets" in i]
    assert ours, "one screenshot"
    assert all(
        i.startswith("https://raw.githubusercontent.com/sv-widgets/sv-widgets/main/") for i in ours
    )
    for target in LINK.findall(README):
        if (
            target.startswith("https://github.com/sv-widgets/sv-widgets/")
            and "/issues" not in target
        ):
            assert target.startswith(
                (
                    "https://github.com/sv-widgets/sv-widgets/blob/main/",
                    "https://github.com/sv-widgets/sv-widgets/tree/main/",
                )
            ), target


@pytest.mark.parametrize(
    "target", sorted({t for t in LINK.findall(README) if t.startswith(DOCS_SITE + "/en/latest/")})
)
def test_every_link_into_the_docs_names_a_page_that_exists(target: str) -> None:
    page = target.removeprefix(DOCS_SITE + "/en/latest/").split("#")[0].removesuffix(".html")
    sources = [ROOT / "docs" / f"{page}.md", ROOT / "docs" / f"{page}.ipynb"]
    if page.startswith("examples/") and page != "examples/index":
        sources.append(ROOT / "notebooks" / f"{page.removeprefix('examples/')}.ipynb")
    assert any(p.exists() for p in sources), f"{target}: no page {page} in docs/"


def test_every_repository_file_it_links_to_exists() -> None:
    prefixes = (
        "https://github.com/sv-widgets/sv-widgets/blob/main/",
        "https://github.com/sv-widgets/sv-widgets/tree/main/",
        "https://raw.githubusercontent.com/sv-widgets/sv-widgets/main/",
    )
    missing = []
    for target in LINK.findall(README):
        for prefix in prefixes:
            if target.startswith(prefix) and not (ROOT / target.removeprefix(prefix)).exists():
                missing.append(target)
    assert missing == []


def test_install_from_a_release_and_from_a_checkout() -> None:
    assert 'pip install "sv-widgets[emulator]"\n' in README
    assert "git+https://github.com/sv-widgets/sv-widgets" in README
    assert 'pip install ".[emulator]"' in README


def test_the_quick_start_is_ten_lines() -> None:
    section = README[README.index("## Quick start") :]
    block = re.search(r"```python\n(.*?)```", section, re.S)
    assert block is not None
    assert len(block.group(1).splitlines()) == 10


def test_project_urls() -> None:
    urls = PYPROJECT["project"]["urls"]
    assert urls == {
        "Homepage": "https://github.com/sv-widgets/sv-widgets",
        "Documentation": DOCS_SITE,
        "Changelog": "https://github.com/sv-widgets/sv-widgets/blob/main/CHANGELOG.md",
        "Issues": "https://github.com/sv-widgets/sv-widgets/issues",
    }
