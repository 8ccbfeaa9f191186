"""Text and HTML displays of :class:`~sv_widgets.models.FileInfo` (kept out of models.py).

Everything that comes from the service is escaped with :func:`html.escape`; links are only
made for ``http``/``https`` URLs so a hostile reply cannot inject ``javascript:`` links.

Examples
--------
>>> format_duration(3725.4)
'1:02:05'
"""

from __future__ import annotations

import base64
import html
import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from sv_widgets.models import FileInfo, Rendition

__all__ = ["file_info_html", "file_info_text", "format_duration"]


def format_duration(seconds: float) -> str:
    """Format seconds as ``h:mm:ss`` (rounded to the nearest second; negatives read 0).

    Examples
    --------
    >>> format_duration(59.6), format_duration(36000)
    ('0:01:00', '10:00:00')
    """
    if not math.isfinite(seconds) or seconds < 0:
        seconds = 0.0
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


def _labels(renditions: tuple[Rendition, ...]) -> str:
    return ",".join(r.label for r in renditions)


def file_info_text(info: FileInfo, *, one_line: bool) -> str:
    """A readable summary: ``repr`` (one line) or IPython's pretty print (several)."""
    s = info.streams
    fields = [
        ("code", repr(info.code)),
        ("extension", repr(info.extension)),
        ("playtime", f"{info.playtime:g} ({info.duration_text})"),
        ("mp4", f"[{_labels(s.mp4)}]"),
        ("webm", f"[{_labels(s.webm)}]"),
        ("hls", repr(s.hls)),
        ("mpd", repr(s.mpd)),
        ("thumbnail", repr(info.thumbnail)),
    ]
    if one_line:
        return "FileInfo(" + ", ".join(f"{k}={v}" for k, v in fields) + ")"
    return "FileInfo(\n" + "".join(f"    {k}={v},\n" for k, v in fields) + ")"


def _safe_url(url: str | None) -> str | None:
    if url and url.strip().lower().startswith(("http://", "https://")):
        return url.strip()
    return None


def _link(url: str | None, text: str | None = None) -> str:
    shown = html.escape(text if text is not None else (url or ""))
    safe = _safe_url(url)
    if safe is None:
        return shown or "&mdash;"
    return f'<a href="{html.escape(safe)}" target="_blank" rel="noopener">{shown}</a>'


def _rows(kind: str, renditions: tuple[Rendition, ...]) -> list[str]:
    return [
        f"<tr><td>{html.escape(kind)}</td><td>{html.escape(r.label)}</td>"
        f"<td>{_link(r.file)}</td></tr>"
        for r in renditions
    ]


def file_info_html(info: FileInfo) -> str:
    """The Jupyter card: selected thumbnail, duration, extension, renditions and links."""
    s = info.streams
    title = html.escape(info.code or "SpareVideos file")
    thumb = _safe_url(info.thumbnail)
    if info.thumbnail_jpeg:
        thumb = "data:image/jpeg;base64," + base64.b64encode(info.thumbnail_jpeg).decode("ascii")
    img = (
        f'<img src="{html.escape(thumb)}" alt="thumbnail of {title}" '
        'style="max-height:120px;float:left;margin:0 12px 8px 0">'
        if thumb
        else ""
    )
    rows = _rows("mp4", s.mp4) + _rows("webm", s.webm)
    table = (
        "<table><thead><tr><th>format</th><th>label</th><th>URL</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
        if rows
        else "<p><em>no progressive renditions</em></p>"
    )
    return (
        '<div class="sv-file-info">'
        f"{img}<strong>{title}</strong><br>"
        f"duration {html.escape(info.duration_text)} &middot; "
        f"extension {html.escape(info.extension)}<br>"
        f"HLS: {_link(s.hls)}<br>DASH: {_link(s.mpd)}"
        f'<div style="clear:both">{table}</div></div>'
    )
