"""What a converted file offers: its streams, thumbnails and media files, and the glue that
turns :func:`sv_widgets.emulator.media.pipeline.convert` output into the stored ``outputs`` record.

``outputs`` (JSON in the store) holds paths relative to ``files/{code}/out``::

    {"playtime": 10.0, "heights": [720, 480, 360],
     "mp4": {"720": "mp4/720.mp4", ...}, "webm": {...}, "hls": "hls/master.m3u8" | null,
     "mpd": "dash/manifest.mpd" | null, "thumbnails": {"720": ["thumbs/x_720_01.jpg", ...]}}
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from sv_widgets.emulator.domain.errors import ServiceError
from sv_widgets.emulator.domain.store import FileRecord

__all__ = ["ThumbnailEntry", "convert_with_media", "file_info", "media_path", "thumbnails"]

_THUMB_NAME = re.compile(r".*_(\d+)_(\d+)\.jpg")
_SAFE_SEGMENT = re.compile(r"[A-Za-z0-9._-]{1,255}")  # 255: NAME_MAX


@dataclass(frozen=True)
class ThumbnailEntry:
    """One thumbnail of a converted file."""

    height: int
    number: int
    name: str
    relpath: str


def convert_with_media(
    record: FileRecord,
    work_dir: Path,
    on_progress: Callable[[float], None],
    should_stop: Callable[[], bool],
    *,
    files_dir: Path,
) -> dict[str, Any]:
    """Convert a stored upload with ``pipeline.convert``; ``ValueError`` for unusable input.

    ``on_progress`` receives a fraction (0-1), as every converter's does.
    """
    from sv_widgets.emulator.media import pipeline

    source = files_dir / record.code / f"source.{record.extension}"
    try:
        out = pipeline.convert(
            source,
            work_dir,
            file_code=record.code,
            sd_only=record.sd_only,
            mp4_only=record.mp4_only,
            on_progress=lambda percent: on_progress(percent / 100.0),  # media reports 0-100
            should_stop=should_stop,
        )
    except pipeline.MediaError as exc:
        raise ValueError(str(exc) or "the file is not a usable video") from exc
    return {
        "playtime": float(out.playtime),
        "heights": sorted(out.heights, reverse=True),
        "mp4": {str(h): p for h, p in out.mp4.items()},
        "webm": {str(h): p for h, p in out.webm.items()},
        "hls": out.hls,
        "mpd": out.mpd,
        "thumbnails": {str(h): list(ps) for h, ps in out.thumbnails.items()},
    }


def thumbnails(record: FileRecord) -> list[ThumbnailEntry]:
    """A converted file's thumbnails, height descending then number descending."""
    entries = []
    for height, paths in (record.outputs or {}).get("thumbnails", {}).items():
        for rel in paths:
            name = PurePosixPath(rel).name
            match = _THUMB_NAME.fullmatch(name)
            number = int(match.group(2)) if match else 0
            entries.append(ThumbnailEntry(int(height), number, name, rel))
    entries.sort(key=lambda e: (e.height, e.number), reverse=True)
    return entries


def selected_thumbnail(record: FileRecord) -> ThumbnailEntry | None:
    """The picked thumbnail, else ``_03`` (or the middle one) of the largest height."""
    entries = thumbnails(record)
    for e in entries:
        if e.name == record.selected:
            return e
    if not entries:
        return None
    top = [e for e in entries if e.height == entries[0].height]
    return next((e for e in top if e.number == 3), top[len(top) // 2])


def thumbnail_list(record: FileRecord) -> dict[str, str]:
    """The ``/json/list`` object: ``"{height}.{nn}"`` keys, the selected one suffixed."""
    chosen = selected_thumbnail(record)
    out = {}
    for e in thumbnails(record):
        key = f"{e.height}.{e.number:02d}" + (".selected" if e == chosen else "")
        out[key] = e.name
    return out


def find_thumbnail(record: FileRecord, name: str) -> ThumbnailEntry:
    """The thumbnail called ``name`` (404 if the file has none by that name)."""
    for e in thumbnails(record):
        if e.name == name:
            return e
    raise ServiceError(404, f"Not found: file {record.code} has no thumbnail {name[:80]!r}")


def file_info(record: FileRecord, *, media_base: str, thumbnail_base: str) -> dict[str, Any]:
    """The success body of ``/me/file`` for a converted file."""
    outputs = record.outputs or {}

    def url(rel: str) -> str:
        return f"{media_base}/{record.code}/{rel}"

    def renditions(kind: str) -> list[dict[str, str]]:
        items = sorted(outputs.get(kind, {}).items(), key=lambda kv: int(kv[0]))
        return [{"file": url(rel), "label": str(h)} for h, rel in items]

    streams: dict[str, Any] = {"mp4": renditions("mp4")}
    if outputs.get("webm"):
        streams["webm"] = renditions("webm")
    for kind in ("hls", "mpd"):
        if outputs.get(kind):
            streams[kind] = {"file": url(outputs[kind])}
    chosen = selected_thumbnail(record)
    thumb = f"{thumbnail_base}/{record.code}/exact/{chosen.name}" if chosen else None
    return {
        "status": "success",
        "extension": record.extension,
        "playtime": outputs.get("playtime", 0),
        "thumbnail": thumb,
        "streams": streams,
    }


def media_path(files_dir: Path, record: FileRecord, relpath: str) -> Path:
    """The on-disk file for ``/media/{code}/{relpath}``; 404 for anything outside ``out/``."""
    parts = relpath.split("/")
    if not parts or any(not _SAFE_SEGMENT.fullmatch(p) or p in (".", "..") for p in parts):
        raise ServiceError(404, "Not found: no such media file")
    try:
        root = (files_dir / record.code / "out").resolve()
        path = root.joinpath(*parts).resolve()
        found = root in path.parents and path.is_file()
    except OSError:  # a path too long or too deep for the filesystem is simply not there
        found = False
    if not found:
        raise ServiceError(404, "Not found: no such media file")
    return path
