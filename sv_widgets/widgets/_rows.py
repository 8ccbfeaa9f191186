"""One row of the file browser: what is known of a file, and the widgets that show it.

What is known of each file is a :class:`~sv_widgets.models.FileStatus`; :class:`FileRow` is
a reusable line (checkbox, thumbnail, one HTML line for the placeholder, code, duration,
extension and renditions, a details toggle) that the browser points at a different code when
the page changes, plus a details area.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import TYPE_CHECKING

import ipywidgets as W

from sv_widgets.display import format_duration, format_renditions
from sv_widgets.widgets._tasks import Quiet, set_traits

if TYPE_CHECKING:
    from sv_widgets.models import FileStatus

__all__ = ["COLUMNS", "FileRow"]

# (title, width) of each column after the checkbox
COLUMNS = (
    ("", "84px"),
    ("Code", "190px"),
    ("Duration", "80px"),
    ("Ext", "56px"),
    ("Renditions", "200px"),
    ("", "96px"),
)


def _cell(width: str, widget: W.Widget) -> W.Widget:
    widget.layout.width = width
    widget.layout.flex = "0 0 auto"
    return widget


_PAD = "padding-left:12px"  # keeps the code clear of the thumbnail's edge
# The placeholder stands where the image widget would, margins included, so that a row
# without a thumbnail lines its code up with the others.
_IMAGE_PLACE = f"calc({COLUMNS[0][1]} + 2 * var(--jp-widgets-margin, 2px))"


def _span(width: str, content: str, extra: str = "") -> str:
    return (
        f'<span style="display:inline-block;width:{width};flex:0 0 auto;{extra}">{content}</span>'
    )


class FileRow(W.VBox):  # type: ignore[misc]
    """A reusable browser row; :meth:`show` points it at a code, :meth:`draw` fills it in.

    Four widgets a row (checkbox, thumbnail, one HTML line for the placeholder and the text
    columns, details button) rather than one per column: a page of 24 rows builds and
    updates about twice as fast, which is most of the time to a first full page.

    Parameters
    ----------
    on_check
        Called ``on_check(code, checked)`` when a person ticks or unticks the box.
    on_open
        Called ``on_open(code)`` when the details button is pressed.

    Attributes
    ----------
    fields : dict of str to str
        What the text columns show: ``code``, ``duration``, ``extension``, ``renditions``,
        and ``placeholder`` (the thumbnail column's text while there is no image, else ``""``).
    """

    def __init__(
        self, on_check: Callable[[str, bool], None], on_open: Callable[[str], None]
    ) -> None:
        self.code = ""
        self.fields: dict[str, str] = dict.fromkeys(
            ("code", "duration", "extension", "renditions", "placeholder"), ""
        )
        self._quiet = Quiet()
        self.checkbox = W.Checkbox(value=False, indent=False, layout=W.Layout(width="28px"))
        self.checkbox.add_class("sv-named-box")  # its description names it, unseen
        self.image = _cell(COLUMNS[0][1], W.Image(format="jpeg"))
        self.image.layout.height = "48px"
        self.image.layout.object_fit = "cover"
        self.image.layout.display = "none"
        self.text = W.HTML("")
        self.open_button = _cell(COLUMNS[5][1], W.Button(description="Details", icon="info"))
        # Focus goes back to the row's toggle when its details close (Convert, Close).
        self.open_button.add_class("sv-details-button")
        self.open_button.add_class("sv-focus-fallback")
        self.details: W.VBox | None = None  # made when opened: most rows are never opened
        self.checkbox.observe(
            lambda c: None if self._quiet.active else on_check(self.code, c["new"]), names="value"
        )
        self.open_button.on_click(lambda _b: on_open(self.code))
        self._line = W.HBox([self.checkbox, self.image, self.text, self.open_button])
        self._line.layout.align_items = "center"
        super().__init__([self._line])
        self.add_class("sv-file-row")

    def show(self, code: str, checked: bool) -> None:
        """Point the row at ``code`` (empty: hide the row), clearing what it showed."""
        self.code = code
        self.layout.display = "" if code else "none"
        set_traits(self.checkbox, description=f"Select {code}" if code else "")
        self.set_checked(checked)
        self.close_details()
        self.draw(None, None)

    def set_checked(self, checked: bool) -> None:
        """Tick or untick the box without reporting it as a person's click."""
        with self._quiet():
            set_traits(self.checkbox, value=checked)

    def draw(self, data: FileStatus | None, thumbnail: bytes | None) -> None:
        """Show what is known: ``None`` data means still loading."""
        info = data.info if data is not None else None
        has_image = bool(thumbnail) and data is not None and data.state == "ready"
        state = "loading" if data is None else data.state
        text = "loading…" if data is None else data.label
        if data is not None and data.state == "ready":
            text = "no thumbnail"
        self.fields = {
            "code": self.code,
            "duration": format_duration(info.playtime) if info else "",
            "extension": info.extension if info else "",
            "renditions": format_renditions([r.label for r in info.streams.mp4]) if info else "",
            "placeholder": "" if has_image else text,
        }
        if has_image:
            set_traits(self.image, value=thumbnail)
        self.image.layout.display = "" if has_image else "none"
        placeholder = ""
        if not has_image:
            title = html.escape(data.message if data is not None else "", quote=True)
            placeholder = _span(
                _IMAGE_PLACE,
                f'<span class="sv-placeholder sv-{state.replace(" ", "-")}" title="{title}" '
                f'style="height:48px;display:flex;align-items:center;justify-content:center;'
                f'font-size:11px;text-align:center;border-radius:3px">{html.escape(text)}</span>',
            )
        f = self.fields
        set_traits(
            self.text,
            value=(
                '<div style="display:flex;align-items:center">'
                + placeholder
                + _span(
                    COLUMNS[1][1], f"<code>{html.escape(f['code'])}</code>", "padding-left:12px"
                )
                + _span(COLUMNS[2][1], html.escape(f["duration"]))
                + _span(COLUMNS[3][1], html.escape(f["extension"]))
                + _span(COLUMNS[4][1], html.escape(f["renditions"]))
                + "</div>"
            ),
        )

    @property
    def details_open(self) -> bool:
        """Whether the details area is shown."""
        return self.details is not None

    def open_details(self, children: list[W.Widget]) -> None:
        """Show ``children`` below the row."""
        self.close_details()
        self.details = W.VBox(children)
        self.details.add_class("sv-file-details")
        self.children = [self._line, self.details]
        self.open_button.description = "Close"

    def close_details(self) -> None:
        """Hide the details and close the widgets they held (their background work stops)."""
        details, self.details = self.details, None
        if details is None:
            return
        self.children = [self._line]
        self.open_button.description = "Details"
        for child in details.children:
            child.close()
        details.close()
