"""Sphinx configuration of the sv-widgets documentation (``python3 dev.py docs``).

Sphinx with MyST (Markdown pages), myst-nb (the example notebooks, executed at build time
against the built-in emulator) and the PyData theme, as JupyterLab and ipywidgets use. The
build treats every warning as an error (``-W``); fix the page or the docstring that warns.
"""

from __future__ import annotations

import filecmp
import shutil
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))  # the checkout's package, also when it is not installed

import sv_widgets  # noqa: E402

project = "sv-widgets"
author = "sv-widgets developers"
copyright = "2026, sv-widgets developers"
release = sv_widgets.__version__
version = release

GITHUB = "https://github.com/sv-widgets/sv-widgets"

extensions = [
    "myst_nb",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
    "sphinxcontrib.mermaid",
]

exclude_patterns = ["_build", "**.ipynb_checkpoints", "screenshots/*.tmp"]

# The example notebooks live in notebooks/ (Binder, nbval and `dev.py demo` use them there);
# the site shows copies, refreshed on every build and executed by myst-nb.
EXAMPLES = DOCS / "examples"


def _copy_notebooks() -> None:
    EXAMPLES.mkdir(exist_ok=True)
    wanted = {p.name for p in (ROOT / "notebooks").glob("*.ipynb")}
    for stale in EXAMPLES.glob("*.ipynb"):
        if stale.name not in wanted:
            stale.unlink()
    for name in sorted(wanted):
        source, copy = ROOT / "notebooks" / name, EXAMPLES / name
        if not copy.exists() or not filecmp.cmp(source, copy, shallow=False):
            shutil.copy2(source, copy)


_copy_notebooks()

# MyST
myst_enable_extensions = ["colon_fence", "deflist"]
myst_heading_anchors = 3
myst_fence_as_directive = ["mermaid"]

# myst-nb: run every notebook on every build, with no credentials (demo mode), and fail the
# build when a cell fails.
nb_execution_mode = "force"
nb_execution_timeout = 600
nb_execution_raise_on_error = True
nb_execution_show_tb = True
# The widgets also put standalone HTML (thumbnails inlined, codes, stream links) beside their
# live view; a static site shows that rather than widget views that would need a kernel and
# JavaScript from a CDN.
nb_mime_priority_overrides = [("*", "application/vnd.jupyter.widget-view+json", None)]
nb_ipywidgets_js: dict[str, dict[str, str]] = {}

# autodoc: numpy-style docstrings, members in source order, type hints in the description.
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_typehints_format = "short"
autodoc_class_signature = "separated"
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
# "Attributes" sections as fields: the properties and traits they name are documented as
# members too, and one object must not be described twice.
napoleon_use_ivar = True

# HTML
html_theme = "pydata_sphinx_theme"
html_title = "sv-widgets"
html_static_path: list[str] = []
html_theme_options = {
    "github_url": GITHUB,
    "use_edit_page_button": True,
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
}
html_context = {
    "github_user": "sv-widgets",
    "github_repo": "sv-widgets",
    "github_version": "main",
    "doc_path": "docs",
}
