"""What a widget leaves in a saved notebook besides its live view: standalone ``text/html``.

A widget's output in a notebook is a reference to a live model. Without a kernel (GitHub,
nbviewer, ``jupyter nbconvert --to html``) that reference shows as a line of text. Each of
our widgets therefore also puts a ``text/html`` representation in the same output: JupyterLab
and Notebook still draw the live widget (its mimetype ranks first), and static viewers, which
cannot, show the HTML. The HTML comes from :mod:`sv_widgets.display` (images inlined as data
URLs, no script, no stylesheet) and holds no key or token: only what the widget shows.

Every widget gets this from one mixin, :class:`StaticHTML`: its ``_repr_mimebundle_`` adds
the HTML, and it displays itself with a display id (:class:`StaticDisplay`) so that the HTML
can be replaced once the widget settles (its first page loaded, an upload ended, a
selection saved). Displaying never waits for the network: the HTML shows what the widget
knows at that moment, and the display is brought up to date when it knows more.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from typing import Any

__all__ = ["StaticDisplay", "StaticHTML", "with_static_html"]

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

    ``show(bundle, state)`` displays a mimebundle under a new display id (what
    ``display(widget)`` would have shown) and remembers it; ``settle(state, bundle)`` replaces
    every such display when ``state`` (what the HTML follows) is not ``None`` and differs
    from the last one shown; ``refresh(bundle)`` replaces them whatever the state. JupyterLab
    redraws the live view from the same model, so it looks the same; static viewers get the
    final HTML.
    """

    def __init__(self) -> None:
        self._handles: list[Any] = []
        self._state: Hashable | None = None
        self._lock = threading.Lock()

    def show(self, bundle: Any, state: Hashable | None = None) -> None:
        """Display ``bundle`` (mimebundle or ``(data, metadata)``) with a display id."""
        from IPython.display import display

        data, metadata = bundle if isinstance(bundle, tuple) else (bundle, {})
        handle = display(data, metadata=metadata, raw=True, display_id=True)  # type: ignore[no-untyped-call]
        if handle is not None:
            with self._lock:
                self._handles.append(handle)
                self._state = state

    def settle(self, state: Hashable | None, bundle: Callable[[], Any]) -> None:
        """Replace the displays with ``bundle()`` if ``state`` is new (``None``: not yet)."""
        with self._lock:
            if state is None or state == self._state or not self._handles:
                return
            self._state = state
        self.refresh(bundle())

    def refresh(self, bundle: Any) -> None:
        """Replace what every display made by :meth:`show` holds with ``bundle``."""
        if bundle is None:  # a closed widget has no view left to show
            return
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


class StaticHTML:
    """Mixin of every widget here: its standalone HTML beside the live view, kept up to date.

    Mixed in before the ipywidgets base class. A widget defines :meth:`_static_html` (what a
    saved notebook shows) and, when the HTML should follow it, :meth:`_static_state`: a value
    that changes when the HTML should be replaced, ``None`` while its work is in flight. It
    calls :meth:`_settle_static` when that may have changed (its background work went idle,
    an upload ended); the displays are replaced only for a new state.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._static = StaticDisplay()
        super().__init__(*args, **kwargs)

    def _static_html(self) -> str:
        raise NotImplementedError

    def _static_state(self) -> Hashable | None:
        """What the HTML follows (``None``: nothing to follow, or not settled yet)."""
        return None

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:
        return with_static_html(super()._repr_mimebundle_(**kwargs), self._static_html())  # type: ignore[misc]

    def _ipython_display_(self) -> None:
        """Display with a display id, so that the saved HTML can follow the widget."""
        state = self._static_state()  # before the HTML: a change in between is caught below
        bundle = self._repr_mimebundle_()
        if bundle is None:
            return
        self._static.show(bundle, state)
        self._settle_static()  # settled while the HTML was made: shown again, up to date

    def _settle_static(self) -> None:
        """Give the displays new HTML if the widget's state moved on since they were made."""
        self._static.settle(self._static_state(), self._repr_mimebundle_)

    def _refresh_static(self) -> None:
        """Give the displays new HTML now, whatever the state."""
        if self._static.shown:
            self._static.refresh(self._repr_mimebundle_())
