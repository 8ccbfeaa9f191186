"""What a widget leaves in a saved notebook besides its live view: standalone ``text/html``.

A widget's output in a notebook is a reference to a live model. Without a kernel (GitHub,
nbviewer, ``jupyter nbconvert --to html``) that reference shows as a line of text. Each of
our widgets therefore also puts a ``text/html`` representation in the same output: JupyterLab
and Notebook still draw the live widget (its mimetype ranks first), and static viewers, which
cannot, show the HTML. The HTML comes from :mod:`sv_widgets.display` (images inlined as data
URLs, no script, no stylesheet) and holds no key or token: only what the widget shows.

A widget whose state changes after it is displayed in a way the HTML should follow (an upload
that ends, a gallery whose selection is saved) displays itself with a display id and
replaces its HTML once it settles: :class:`StaticDisplay`.
"""

from __future__ import annotations

import threading
from typing import Any

__all__ = ["StaticDisplay", "with_static_html"]

HTML = "text/html"


def with_static_html(bundle: Any, html: str) -> Any:
    """``bundle`` (a mimebundle, or ``(data, metadata)``) with ``html`` as its ``text/html``.

    Examples
    --------
    >>> with_static_html({"text/plain": "<W>"}, "<b>W</b>")
    {'text/plain': '<W>', 'text/html': '<b>W</b>'}
    >>> with_static_html(({"text/plain": "<W>"}, {}), "<b>W</b>")[0]["text/html"]
    '<b>W</b>'
    """
    if isinstance(bundle, tuple):
        data, metadata = bundle
        return {**data, HTML: html}, metadata
    if isinstance(bundle, dict):
        return {**bundle, HTML: html}
    return bundle  # no view (a closed widget): nothing to add to


class StaticDisplay:
    """The displays of one widget, to give them new ``text/html`` once its state settles.

    ``show(bundle)`` displays a mimebundle under a new display id (what ``display(widget)``
    would have shown) and remembers it; ``refresh(bundle)`` replaces every such display.
    JupyterLab redraws the live view from the same model, so it looks the same; static
    viewers get the final HTML.
    """

    def __init__(self) -> None:
        self._handles: list[Any] = []
        self._lock = threading.Lock()

    def show(self, bundle: Any) -> None:
        """Display ``bundle`` (mimebundle or ``(data, metadata)``) with a display id."""
        from IPython.display import display

        data, metadata = bundle if isinstance(bundle, tuple) else (bundle, {})
        handle = display(data, metadata=metadata, raw=True, display_id=True)  # type: ignore[no-untyped-call]
        if handle is not None:
            with self._lock:
                self._handles.append(handle)

    def refresh(self, bundle: Any) -> None:
        """Replace what every display made by :meth:`show` holds with ``bundle``."""
        data, metadata = bundle if isinstance(bundle, tuple) else (bundle, {})
        with self._lock:
            handles = list(self._handles)
        for handle in handles:
            handle.update(data, metadata=metadata, raw=True)

    @property
    def shown(self) -> bool:
        """Whether :meth:`show` has displayed anything."""
        with self._lock:
            return bool(self._handles)
