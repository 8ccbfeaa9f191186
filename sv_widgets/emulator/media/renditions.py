"""The encoding ladder: which files a conversion writes, with which encoder settings.

One place for the numbers that trade quality against the 10 s conversion budget (the
measurements behind them are in ``benchmarks/results.md``), and for the thumbnails, which
are cut from the same decoded frames.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path

from av.video.frame import VideoFrame
from PIL import Image

from .transcode import OutputSpec

__all__ = [
    "GOP_SECONDS",
    "output_specs",
    "write_thumbnails",
]

GOP_SECONDS = 2.0  # keyframe interval of every rendition; HLS/DASH segments hold 2 GOPs
# VBV caps (kbit/s) keep CRF's peaks streamable; a height between two rows uses the next one.
_VIDEO_MAXRATE_KBPS = ((360, 1000), (480, 1800), (720, 4000), (1080, 7500), (4320, 20000))
_X264 = {"preset": "veryfast", "crf": "23", "profile": "high"}
# Realtime VP9 with no look-ahead: libvpx otherwise holds 25 frames per encoder, which cost
# a conversion peak memory and gained no time (benchmarks/results.md).
_VP9 = {"deadline": "realtime", "cpu-used": "8", "crf": "33", "row-mt": "1", "lag-in-frames": "0"}


def rendition_width(display_width: int, display_height: int, height: int) -> int:
    """The even width that keeps the displayed aspect at ``height``."""
    return max(2, round(display_width * height / display_height / 2) * 2)


def output_specs(
    *,
    display_width: int,
    display_height: int,
    heights: Sequence[int],
    has_audio: bool,
    out_dir: Path,
    file_code: str,
    mp4_only: bool,
) -> dict[tuple[str, int], OutputSpec]:
    """Every output file of a conversion, keyed by ``("mp4" | "webm", height)``."""
    webm_heights = [] if mp4_only else list(heights)
    # One encoder thread per output already fills the cores; more threads only add overhead.
    threads = max(1, (os.cpu_count() or 1) // (len(heights) + len(webm_heights)))
    specs: dict[tuple[str, int], OutputSpec] = {}
    for height in heights:
        width = rendition_width(display_width, display_height, height)
        aspect = Fraction(display_width * height, display_height * width)
        maxrate = next((rate for top, rate in _VIDEO_MAXRATE_KBPS if height <= top), 20000)
        specs["mp4", height] = OutputSpec(
            path=out_dir / "mp4" / f"{file_code}_{height}.mp4",
            container_format="mp4",
            width=width,
            height=height,
            video_codec="libx264",
            video_options={
                **_X264,
                # {gop} becomes the GOP length in frames once the frame rate is known.
                "x264-params": (
                    f"keyint={{gop}}:min-keyint={{gop}}:scenecut=0"
                    f":vbv-maxrate={maxrate}:vbv-bufsize={2 * maxrate}"
                ),
            },
            audio_codec="aac" if has_audio else None,
            audio_options={"b": "128k"},
            container_options={"movflags": "+faststart"},
            threads=threads,
            gop_seconds=GOP_SECONDS,
            sample_aspect_ratio=aspect,
        )
        if height in webm_heights:
            specs["webm", height] = OutputSpec(
                path=out_dir / "webm" / f"{file_code}_{height}.webm",
                container_format="webm",
                width=width,
                height=height,
                video_codec="libvpx-vp9",
                video_options={**_VP9, "b": f"{maxrate}k", "g": "{gop}"},
                audio_codec="libopus" if has_audio else None,
                audio_options={"b": "96k"},
                threads=threads,
                gop_seconds=GOP_SECONDS,
                sample_aspect_ratio=aspect,
            )
    return specs


def write_thumbnails(
    stills: Sequence[VideoFrame],
    sizes: dict[int, int],
    directory: Path,
    file_code: str,
) -> dict[int, list[Path]]:
    """Save each still as a JPEG at every ``{height: width}`` size.

    Files are named ``{file_code}_{height}_{nn:02d}.jpg`` with ``nn`` counting from 01.
    """
    directory.mkdir(parents=True, exist_ok=True)
    written: dict[int, list[Path]] = {}
    for height, width in sizes.items():
        paths = written.setdefault(height, [])
        for number, frame in enumerate(stills, start=1):
            path = directory / f"{file_code}_{height}_{number:02d}.jpg"
            rgb = frame.reformat(width, height, "rgb24", interpolation="AREA")
            image = Image.frombytes(
                "RGB", (width, height), bytes(rgb.planes[0]), "raw", "RGB", rgb.planes[0].line_size
            )
            image.save(path, "JPEG", quality=85, optimize=True)
            paths.append(path)
    return written
