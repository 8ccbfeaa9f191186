"""What makes the widgets built of ipywidgets keyboard- and screen-reader-friendly.

ipywidgets offer no way to set an ARIA attribute, so a box built of them holds an invisible
:class:`AccessHelper` and is marked by :func:`mark_accessible` (classes ``sv-access-root``
and ``sv-themed``): the helper's front end (``static/access.js``) keeps the
notebook's shortcuts out of the box, keeps the focus inside it when the control holding it
goes, names thumbnails, makes ``sv-live`` elements polite live regions and the delete
confirmation an alert dialog that takes the focus. Its stylesheet (``static/controls.css``
after ``theme.css``) gives the box's controls colours that hold in both themes.

Classes a box's children may carry for it:

- ``sv-focus-fallback``: where focus goes first when the control that had it goes away;
- ``sv-focus-first``: the control a shown confirmation focuses;
- ``sv-live``: a line whose changes are announced;
- ``sv-details-button``, ``sv-file-details``: a row's toggle and the area it opens.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import anywidget
import ipywidgets as W
from traitlets import Float, Unicode

from sv_widgets.widgets._styles import stylesheet

__all__ = ["AccessHelper", "ProgressBar", "mark_accessible"]

_STATIC = Path(__file__).parent / "static"


class AccessHelper(anywidget.AnyWidget):
    """Invisible: keeps the ``sv-access-root`` box around it accessible (see the module)."""

    _esm = _STATIC / "access.js"
    _css = stylesheet("controls")

    # Names the widget to its views: a redrawn display takes the focus over by it.
    key = Unicode().tag(sync=True)

    def __init__(self) -> None:
        super().__init__(key=secrets.token_hex(8))


def mark_accessible(box: W.Box) -> None:
    """Mark ``box`` as the element its :class:`AccessHelper` child looks after."""
    box.add_class("sv-access-root")
    box.add_class("sv-themed")


class ProgressBar(anywidget.AnyWidget):
    """An upload's progress bar: a named ``progressbar`` and a polite live region.

    Parameters
    ----------
    value
        The progress, 0 to 1.
    bar_style
        ``"info"``, ``"success"``, ``"danger"`` (filled with the theme's error colour) or
        ``"warning"``, as ipywidgets' ``FloatProgress`` names them.
    description
        What the bar is the progress of: its accessible name.
    status
        What its live region says; set it on a new phase, not on each percent.

    Examples
    --------
    >>> bar = ProgressBar(value=0.5, description="Upload of clip.mp4")
    >>> bar.value, bar.bar_style
    (0.5, 'info')
    """

    _esm = _STATIC / "progress.js"
    _css = stylesheet("progress")

    value = Float(0.0).tag(sync=True)
    bar_style = Unicode("info").tag(sync=True)
    description = Unicode("").tag(sync=True)
    status = Unicode("").tag(sync=True)
