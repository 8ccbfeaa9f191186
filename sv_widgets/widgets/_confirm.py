"""The file browser's delete confirmation: how many files, which ones, and two buttons.

Deleting cannot be undone, so the browser never deletes on the first click: it shows this
box, naming the count and the codes, and deletes only on its confirm button.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence

import ipywidgets as W

from sv_widgets.widgets._tasks import set_traits

__all__ = ["DeleteConfirmation"]

PREVIEW = 8  # codes named before "and N more"


class DeleteConfirmation(W.VBox):  # type: ignore[misc]
    """A hidden box that :meth:`ask` fills in and shows.

    Parameters
    ----------
    on_confirm, on_cancel
        Called when the matching button is pressed.

    Examples
    --------
    >>> box = DeleteConfirmation(lambda: None, lambda: None)
    >>> box.ask(["1700000000-AAAAAA", "1700000000-BBBBBB"])
    >>> box.confirm_button.description, box.visible
    ('Delete 2 files', True)
    """

    def __init__(self, on_confirm: Callable[[], None], on_cancel: Callable[[], None]) -> None:
        self.text = W.HTML("")
        self.text.add_class("sv-confirm-text")
        self.confirm_button = W.Button(description="Delete", button_style="danger", icon="trash")
        self.cancel_button = W.Button(description="Cancel")
        self.cancel_button.add_class("sv-focus-first")  # shown, the box focuses the safe choice
        self.confirm_button.on_click(lambda _b: on_confirm())
        self.cancel_button.on_click(lambda _b: on_cancel())
        super().__init__([self.text, W.HBox([self.confirm_button, self.cancel_button])])
        self.layout.display = "none"
        self.layout.border = "1px solid var(--jp-error-color1, #c62828)"
        self.layout.padding = "6px"
        self.add_class("sv-confirm-delete")

    @property
    def visible(self) -> bool:
        """Whether the box is showing."""
        return bool(self.layout.display != "none")

    def ask(self, codes: Sequence[str]) -> None:
        """Show the box for ``codes``."""
        shown = ", ".join(f"<code>{html.escape(c)}</code>" for c in codes[:PREVIEW])
        more = f" and {len(codes) - PREVIEW} more" if len(codes) > PREVIEW else ""
        noun = "file" if len(codes) == 1 else "files"
        set_traits(
            self.text,
            value=(
                f"<b>Delete {len(codes)} {noun}?</b> {shown}{more}.<br>"
                "This cannot be undone: the files, their streams and thumbnails are removed."
            ),
        )
        set_traits(self.confirm_button, description=f"Delete {len(codes)} {noun}", disabled=False)
        self.layout.display = ""

    def hide(self) -> None:
        """Hide the box."""
        self.layout.display = "none"
