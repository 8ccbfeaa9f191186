"""The widgets' stylesheets: the shared theme colours (``static/theme.css``) and their own.

Every front end gets ``theme.css`` first, so that each widget's colours come from the same
per-theme choices of JupyterLab's variables (see that file).
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["stylesheet"]

_STATIC = Path(__file__).parent / "static"


def stylesheet(name: str) -> str:
    """``theme.css`` and then ``static/{name}.css``, as one stylesheet for ``_css``.

    Examples
    --------
    >>> "--sv-ring" in stylesheet("gallery")
    True
    """
    files = ("theme.css", f"{name}.css")
    return "\n".join((_STATIC / f).read_text(encoding="utf-8") for f in files)
