"""Fast conversions: small but valid media in milliseconds, for test suites.

The ``fast`` conversion mode (and ``manual`` mode's ``ready``) does not transcode the upload.
Once per data directory, a one-second synthetic clip is converted for real into a template
(MP4 and WebM at 360, 480 and 720 pixels, HLS, DASH, five thumbnails a height; about a
second of work), kept under ``templates/``. Each conversion then links (or copies) those
files into the file's output, with the thumbnails renamed for its code: an MP4 that plays,
playlists and manifests whose segments exist, JPEGs of the right sizes at the right names.
Whatever the upload holds, the outputs are the template's; ``convert_sd_only`` and
``convert_mp4_only`` are honoured.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sv_widgets.emulator.domain.store import FileRecord, fsync_dir

__all__ = ["CannedMedia"]

_CODE = "0-TEMPLT"  # the template's own file code, replaced by each file's
_SD_MAX_HEIGHT = 480


class CannedMedia:
    """The canned outputs of one data directory.

    Parameters
    ----------
    directory
        Where the template lives (made on first use, kept across restarts).
    scratch
        A directory on the same filesystem for building it (renamed into place when whole).
    """

    def __init__(self, directory: Path, scratch: Callable[[str], Path]) -> None:
        self.directory = directory
        self._scratch = scratch
        self._lock = threading.Lock()

    def convert(
        self,
        record: FileRecord,
        work_dir: Path,
        on_progress: Callable[[float], None],
        should_stop: Callable[[], bool],
    ) -> dict[str, Any]:
        """A :data:`~sv_widgets.emulator.domain.conversions.Converter`: the template's outputs."""
        template = self._template()
        heights = [h for h in template["heights"] if not record.sd_only or h <= _SD_MAX_HEIGHT]
        outputs: dict[str, Any] = {
            "playtime": template["playtime"],
            "heights": sorted(heights, reverse=True),
            "mp4": {},
            "webm": {},
            "hls": None,
            "mpd": None,
            "thumbnails": {},
        }
        kinds = ("mp4",) if record.mp4_only else ("mp4", "webm")
        for height in heights:
            for kind in kinds:
                outputs[kind][str(height)] = self._place(
                    template[kind][str(height)], work_dir, record.code
                )
            outputs["thumbnails"][str(height)] = [
                self._place(rel, work_dir, record.code)
                for rel in template["thumbnails"][str(height)]
            ]
        if not record.mp4_only:
            variant = self.directory / ("sd" if record.sd_only else "full")
            for kind, folder in (("hls", "hls"), ("mpd", "dash")):
                shutil.copytree(variant / folder, work_dir / folder, copy_function=_link)
                outputs[kind] = template[kind]
        on_progress(1.0)
        return outputs

    def _place(self, relpath: str, work_dir: Path, code: str) -> str:
        """Link one template file into ``work_dir`` under ``code``'s name; return its path."""
        target = relpath.replace(_CODE, code)
        (work_dir / target).parent.mkdir(parents=True, exist_ok=True)
        _link(str(self.directory / "full" / relpath), str(work_dir / target))
        return target

    def _template(self) -> dict[str, Any]:
        """The template's ``outputs`` record, made first if missing."""
        index = self.directory / "outputs.json"
        with self._lock:
            if not index.exists():
                self._build()
            loaded: dict[str, Any] = json.loads(index.read_text(encoding="utf-8"))
        return loaded

    def _build(self) -> None:
        from sv_widgets.emulator.media import pipeline
        from sv_widgets.emulator.media.packaging import package_dash, package_hls

        work = self._scratch("template")
        work.mkdir()
        try:
            clip = pipeline.make_sample_clip(work / "clip.mp4", seconds=1.0, fps=5)  # 720p
            out = pipeline.convert(clip, work / "full", file_code=_CODE)
            sd = {h: work / "full" / p for h, p in out.mp4.items() if h <= _SD_MAX_HEIGHT}
            seconds = pipeline.SEGMENT_SECONDS
            package_hls(sd, work / "sd" / "hls", segment_seconds=seconds)
            package_dash(sd, work / "sd" / "dash" / "manifest.mpd", segment_seconds=seconds)
            clip.unlink()
            record = {
                "playtime": out.playtime,
                "heights": list(out.heights),
                "mp4": {str(h): p for h, p in out.mp4.items()},
                "webm": {str(h): p for h, p in out.webm.items()},
                "hls": out.hls,
                "mpd": out.mpd,
                "thumbnails": {str(h): list(ps) for h, ps in out.thumbnails.items()},
            }
            (work / "outputs.json").write_text(json.dumps(record), encoding="utf-8")
            self.directory.parent.mkdir(parents=True, exist_ok=True)
            os.replace(work, self.directory)
            fsync_dir(self.directory.parent)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise


def _link(source: str, target: str) -> str:
    """Hard-link ``source`` as ``target`` (nothing ever writes into a published file), or
    copy it where links are not possible."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)
    return target
