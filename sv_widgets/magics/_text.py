"""What the magics return where no widget can show (a terminal, ``display = "text"``).

Each result is the data itself (a list), whose ``repr`` is a finished table: IPython prints it
as the cell's result, never a half-loaded widget repr, and code can still use the values.

Examples
--------
>>> from sv_widgets.models import Thumbnail
>>> ThumbnailList([Thumbnail(720, 3, "c_720_03.jpg", True), Thumbnail(720, 2, "c_720_02.jpg")])
  720p #03  c_720_03.jpg  (selected)
  720p #02  c_720_02.jpg
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sv_widgets.display import format_duration, format_renditions
from sv_widgets.models import FileInfo, FileStatus

__all__ = ["FileTable", "StreamLinks", "ThumbnailList"]


class _TextList(list[Any]):
    """A list whose ``repr`` is a text table (``_lines`` gives its lines)."""

    def _lines(self) -> list[str]:  # pragma: no cover - overridden
        raise NotImplementedError

    def __repr__(self) -> str:
        return "\n".join(self._lines())

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text("[...]" if cycle else repr(self))


class FileTable(_TextList):
    """The account's file codes (this page), shown as a table of where each file stands.

    Parameters
    ----------
    rows
        ``(code, status)`` pairs, oldest first.
    total
        How many files the account holds.
    """

    def __init__(self, rows: Iterable[tuple[str, FileStatus]], total: int) -> None:
        rows = list(rows)
        super().__init__(code for code, _ in rows)
        self.statuses = [status for _, status in rows]
        self.total = total

    def _lines(self) -> list[str]:
        if not self:
            return ["No files yet."]
        lines = [f"  {'code':<20}{'duration':>9}  {'ext':<5} renditions / state"]
        for code, status in zip(self, self.statuses, strict=True):
            info = status.info
            if info is None:
                why = f": {status.message}" if status.state in ("failed", "error") else ""
                lines.append(f"  {code:<20}{'':>9}  {'':<5} {status.label}{why}")
                continue
            renditions = format_renditions([r.label for r in info.streams.mp4])
            duration = format_duration(info.playtime)
            lines.append(f"  {code:<20}{duration:>9}  {info.extension:<5} {renditions}")
        more = self.total - len(self)
        noun = "file" if self.total == 1 else "files"
        tail = f"{self.total} {noun}" + (f"; {more} more: %sv_files --page-size N" if more else "")
        return [*lines, f"  ({tail})"]


class ThumbnailList(_TextList):
    """A file's thumbnails, height descending, the selected one marked."""

    def _lines(self) -> list[str]:
        if not self:
            return ["No thumbnails."]
        return [
            f"  {t.height}p #{t.number:02d}  {t.file_name}" + ("  (selected)" if t.selected else "")
            for t in self
        ]


class StreamLinks(_TextList):
    """The URLs a converted file plays from: ``(format, label, url)`` rows."""

    @classmethod
    def of(cls, info: FileInfo) -> StreamLinks:
        """Every stream of ``info``: mp4 and webm renditions, highest first, then HLS, DASH."""
        s = info.streams
        rows = [(kind, r.label, r.file) for kind, r in s.progressive()]
        if s.hls:
            rows.append(("hls", "adaptive", s.hls))
        if s.mpd:
            rows.append(("dash", "adaptive", s.mpd))
        return cls(rows)

    def _lines(self) -> list[str]:
        if not self:
            return ["No streams."]
        return [f"  {kind:<5}{label:>9}  {url}" for kind, label, url in self]
