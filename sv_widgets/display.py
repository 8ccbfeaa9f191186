"""How sv_widgets shows things to people: sizes, durations, rates, links and file cards.

Pure functions, no widgets, no I/O: the ``FileInfo`` card, the upload bar, the terminal
text and the file browser rows all format numbers the same way (one duration format
everywhere: ``1:15``, ``1:02:05``). Everything that comes from the service is escaped with
:func:`html.escape`, and links are only made for http(s) URLs, so a hostile reply cannot
inject markup or a ``javascript:`` link.
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Sequence

from sv_widgets.wire import is_http_url

__all__ = [
    "file_card_html",
    "format_bytes",
    "format_duration",
    "format_eta",
    "format_rate",
    "format_renditions",
    "image_src",
    "link_html",
]

_UNITS = ("B", "kB", "MB", "GB", "TB", "PB")


def format_bytes(size: float) -> str:
    """Format a byte count with decimal (SI) units, as file managers and curl do.

    Parameters
    ----------
    size
        Number of bytes; negative or non-finite values are shown as ``"?"``.

    Examples
    --------
    >>> format_bytes(0)
    '0 B'
    >>> format_bytes(1536)
    '1.5 kB'
    >>> format_bytes(73_400_320)
    '73.4 MB'
    """
    if not math.isfinite(size) or size < 0:
        return "?"
    value = float(size)
    for unit in _UNITS:
        if value < 1000 or unit == _UNITS[-1]:
            if unit == "B":
                return f"{int(value)} B"
            return f"{value:.1f} {unit}" if value < 100 else f"{value:.0f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")  # pragma: no cover


def format_rate(bytes_per_second: float | None) -> str:
    """Format a transfer rate in MB/s (the unit people compare uploads in).

    Examples
    --------
    >>> format_rate(12_500_000)
    '12.5 MB/s'
    >>> format_rate(None)
    '- MB/s'
    """
    if bytes_per_second is None or not math.isfinite(bytes_per_second) or bytes_per_second < 0:
        return "- MB/s"
    mb = bytes_per_second / 1_000_000
    return f"{mb:.2f} MB/s" if mb < 10 else f"{mb:.1f} MB/s"


def format_duration(seconds: float | None) -> str:
    """Format a media duration as ``m:ss`` or ``h:mm:ss``.

    Examples
    --------
    >>> format_duration(75.4)
    '1:15'
    >>> format_duration(3725)
    '1:02:05'
    >>> format_duration(None)
    '-'
    """
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return "-"
    total = round(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


def format_eta(seconds: float | None) -> str:
    """Format a time left, coarse as a person reads it.

    Examples
    --------
    >>> format_eta(4.2)
    '5 s left'
    >>> format_eta(125)
    '2 min 5 s left'
    >>> format_eta(None)
    ''
    """
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return ""
    total = math.ceil(seconds)
    if total < 60:
        return f"{total} s left"
    if total < 3600:
        minutes, secs = divmod(total, 60)
        return f"{minutes} min {secs} s left"
    hours, rest = divmod(total, 3600)
    return f"{hours} h {rest // 60} min left"


def format_renditions(labels: list[str] | tuple[str, ...]) -> str:
    """Join rendition heights the way the API labels them, highest first.

    Examples
    --------
    >>> format_renditions(["360", "720", "480"])
    '720p 480p 360p'
    >>> format_renditions([])
    '-'
    """
    if not labels:
        return "-"

    def key(label: str) -> tuple[int, str]:
        return (-int(label), label) if label.isdigit() else (0, label)

    return " ".join(f"{label}p" if label.isdigit() else label for label in sorted(labels, key=key))


def link_html(url: str | None, text: str | None = None) -> str:
    """An HTML link to ``url`` (http(s) only; anything else is shown as text, escaped).

    Examples
    --------
    >>> link_html("https://x.example/a?b=1&c=2", "a")
    '<a href="https://x.example/a?b=1&amp;c=2" target="_blank" rel="noopener">a</a>'
    >>> link_html("javascript:alert(1)")
    'javascript:alert(1)'
    """
    shown = html.escape(text if text is not None else (url or ""))
    if not is_http_url(url) or url is None:
        return shown or "&mdash;"
    return f'<a href="{html.escape(url.strip())}" target="_blank" rel="noopener">{shown}</a>'


def image_src(jpeg: bytes | None, url: str | None) -> str | None:
    """An ``<img src>``: the bytes inlined as a data URL when given, else an http(s) URL."""
    if jpeg:
        return "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")
    return url.strip() if url is not None and is_http_url(url) else None


def file_card_html(
    *,
    title: str,
    duration: str,
    extension: str,
    image: str | None,
    renditions: Sequence[tuple[str, str, str]],
    hls: str | None,
    mpd: str | None,
) -> str:
    """The card Jupyter shows for a file: thumbnail, duration, renditions and stream links.

    ``renditions`` are ``(format, label, url)`` rows; ``image`` an ``<img src>`` from
    :func:`image_src`. It stands alone (no script, no stylesheet), so it reads the same on
    GitHub, in nbviewer and in an HTML export.
    """
    title = html.escape(title)
    img = (
        f'<img src="{html.escape(image)}" alt="thumbnail of {title}" '
        'style="max-height:120px;float:left;margin:0 12px 8px 0">'
        if image
        else ""
    )
    rows = [
        f"<tr><td>{html.escape(kind)}</td><td>{html.escape(label)}</td><td>{link_html(url)}</td></tr>"
        for kind, label, url in renditions
    ]
    table = (
        "<table><thead><tr><th>format</th><th>label</th><th>URL</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table>"
        if rows
        else "<p><em>no progressive renditions</em></p>"
    )
    return (
        '<div class="sv-file-info">'
        f"{img}<strong>{title}</strong><br>"
        f"duration {html.escape(duration)} &middot; extension {html.escape(extension)}<br>"
        f"HLS: {link_html(hls)}<br>DASH: {link_html(mpd)}"
        f'<div style="clear:both">{table}</div></div>'
    )
