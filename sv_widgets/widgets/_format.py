"""Human-readable sizes, durations and rates for the widgets' labels.

Pure functions, no widgets, no I/O: the upload bar, the file browser rows and the text
renderer all format numbers the same way.
"""

from __future__ import annotations

import math

__all__ = ["format_bytes", "format_duration", "format_eta", "format_rate", "format_renditions"]

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
