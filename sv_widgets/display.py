"""How sv_widgets shows things to people: sizes, durations, rates, links and file cards.

Pure functions, no widgets, no I/O: the ``FileInfo`` card, the upload bar, the terminal
text and the file browser rows all format numbers the same way (one duration format
everywhere: ``1:15``, ``1:02:05``). Everything that comes from the service is escaped with
:func:`html.escape`, and links are only made for http(s) URLs, so a hostile reply cannot
inject markup or a ``javascript:`` link.

The HTML here is also what the widgets leave in a saved notebook beside their live view
(``text/html``): it stands alone, with no script and no stylesheet, images inlined as data
URLs, so it reads the same on GitHub, in nbviewer and in an HTML export.
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Sequence

from sv_widgets.wire import is_http_url

__all__ = [
    "file_card_html",
    "files_table_html",
    "format_bytes",
    "format_duration",
    "format_eta",
    "format_rate",
    "format_renditions",
    "image_src",
    "link_html",
    "status_html",
    "thumbnails_html",
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
    note: str | None = None,
) -> str:
    """The card Jupyter shows for a file: thumbnail, duration, renditions and stream links.

    ``renditions`` are ``(format, label, url)`` rows; ``image`` an ``<img src>`` from
    :func:`image_src`; ``note`` a line under the title (what shows the card, and its state).
    It stands alone (no script, no stylesheet), so it reads the same on GitHub, in nbviewer
    and in an HTML export.

    Examples
    --------
    >>> card = file_card_html(title="1700000000-AbC123", duration="0:03", extension="mp4",
    ...     image=None, renditions=[("mp4", "360", "https://x/360.mp4")],
    ...     hls="https://x/master.m3u8", mpd=None, note="Player")
    >>> 'href="https://x/master.m3u8"' in card, "<em>Player</em>" in card
    (True, True)
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
        f"<table><caption>Renditions of {title}</caption>"
        '<thead><tr><th scope="col">format</th><th scope="col">label</th>'
        '<th scope="col">URL</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
        if rows
        else "<p><em>no progressive renditions</em></p>"
    )
    subtitle = f"<em>{html.escape(note)}</em><br>" if note else ""
    return (
        '<div class="sv-file-info">'
        f"{img}<strong>{title}</strong><br>{subtitle}"
        f"duration {html.escape(duration)} &middot; extension {html.escape(extension)}<br>"
        f"HLS: {link_html(hls)}<br>DASH: {link_html(mpd)}"
        f'<div style="clear:both">{table}</div></div>'
    )


def status_html(title: str, message: str, *, error: bool = False) -> str:
    """A title and a one-line state, for a view with nothing else to show yet.

    Examples
    --------
    >>> status_html("clip.mp4", "uploading <1>")
    '<div class="sv-status"><strong>clip.mp4</strong>: uploading &lt;1&gt;</div>'
    """
    text = html.escape(message)
    if error:
        text = f'<span style="color:#c62828">{text}</span>'
    return f'<div class="sv-status"><strong>{html.escape(title)}</strong>: {text}</div>'


def thumbnails_html(
    title: str, images: Sequence[tuple[str, str | None, bool]], *, note: str | None = None
) -> str:
    """A row of small thumbnails, the selected one framed and named.

    ``images`` are ``(file name, <img src> or None, selected)``.

    Examples
    --------
    >>> row = thumbnails_html("c", [("c_360_01.jpg", "data:image/jpeg;base64,", True)])
    >>> "c_360_01.jpg (selected)" in row
    True
    """
    cells = []
    for name, src, selected in images:
        frame = "border:3px solid #1976d2" if selected else "border:3px solid transparent"
        picture = (
            f'<img src="{html.escape(src)}" alt="{html.escape(name)}" '
            f'style="height:72px;display:block;{frame}">'
            if src
            else f'<span style="{frame}">{html.escape(name)}</span>'
        )
        caption = f"<br><small>{html.escape(name)}{' (selected)' if selected else ''}</small>"
        cells.append(f'<div style="display:inline-block;margin:2px">{picture}{caption}</div>')
    subtitle = f"<br><em>{html.escape(note)}</em>" if note else ""
    return (
        f'<div class="sv-thumbnails"><strong>{html.escape(title)}</strong>{subtitle}'
        f"<div>{''.join(cells)}</div></div>"
    )


def files_table_html(
    caption: str,
    rows: Sequence[tuple[str | None, str, str, str, str, Sequence[tuple[str, str]]]],
) -> str:
    """A table of files: thumbnail, code, duration, extension, renditions and stream links.

    ``rows`` are ``(<img src> or None, code, duration, extension, renditions, links)`` with
    ``links`` as ``(text, url)`` pairs; ``caption`` says which page of how many files.

    Examples
    --------
    >>> table = files_table_html("1 file", [(None, "1700000000-AbC123", "0:03", "mp4",
    ...     "360p", [("HLS", "https://x/master.m3u8")])])
    >>> "<td>1700000000-AbC123</td>" in table, ">HLS</a>" in table
    (True, True)
    """
    body = []
    for image, code, duration, extension, renditions, links in rows:
        picture = (
            f'<img src="{html.escape(image)}" alt="thumbnail of {html.escape(code)}" '
            'style="height:48px">'
            if image
            else ""
        )
        anchors = " ".join(link_html(url, text) for text, url in links)
        cells = (picture, html.escape(code), html.escape(duration), html.escape(extension))
        tail = (html.escape(renditions), anchors)
        body.append("<tr>" + "".join(f"<td>{c}</td>" for c in (*cells, *tail)) + "</tr>")
    names = ("thumbnail", "code", "duration", "ext", "renditions", "streams")
    head = "".join(f'<th scope="col">{h}</th>' for h in names)
    return (
        f'<div class="sv-files"><strong>{html.escape(caption)}</strong>'
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )
