"""The emulator's media work: probe an upload, convert it, make thumbnails, resize JPEGs.

Pure media work with PyAV and Pillow: no HTTP, no database. :func:`convert` writes everything
under the directory it is given, which the caller renames into place once it succeeds (and
discards when it raises: it may hold partial files then).

A conversion runs in four phases: :func:`probe` refuses what is not a video in milliseconds
(text, still image, audio only, cut before its index); the source is decoded once and every
MP4 and WebM rendition is encoded from the same frames on its own thread (:mod:`.transcode`,
settings in :mod:`.renditions`); thumbnails are cut from frames at 10-90 % of the video; HLS
and DASH are remuxed from the MP4 renditions (:mod:`.packaging`). WebM is made at every
rendition height, so ``streams.webm`` carries the same labels as ``streams.mp4``. Why these
encoder settings, and what a conversion costs, is in ``benchmarks/results.md``.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import av
from PIL import Image, UnidentifiedImageError

from sv_widgets.wire import MAX_THUMBNAIL_HEIGHT, MIN_THUMBNAIL_HEIGHT

from .packaging import package_dash, package_hls
from .renditions import (
    GOP_SECONDS,
    output_specs,
    rendition_width,
    write_thumbnails,
)
from .samples import make_sample_clip
from .transcode import (
    Cancelled,
    EncoderError,
    OutputSpec,
    SourceError,
    TranscodeResult,
    transcode,
)

__all__ = [
    "GOP_SECONDS",
    "STANDARD_HEIGHTS",
    "ConversionOutput",
    "MediaError",
    "Probe",
    "convert",
    "make_sample_clip",
    "probe",
    "rendition_heights",
    "resize_jpeg",
]

STANDARD_HEIGHTS = (360, 480, 720, 1080)
SD_MAX_HEIGHT = 480
SEGMENT_SECONDS = 4  # HLS/DASH segment length: two GOPs
THUMBNAIL_POSITIONS = (0.1, 0.3, 0.5, 0.7, 0.9)
_ENCODE_SHARE = 85.0  # percent of progress given to decoding + encoding
_STILL_FORMATS = ("image2", "tty")  # FFmpeg demuxers for still images and text


class MediaError(Exception):
    """A file could not be probed or converted; ``str(e)`` is the reason, fit for users."""


@dataclass(frozen=True)
class Probe:
    """What :func:`probe` found.

    Attributes
    ----------
    duration
        Seconds.
    width, height
        Size as displayed: after the rotation and the pixel aspect ratio are applied.
    rotation
        0, 90, 180 or 270: clockwise degrees a player turns the stored picture to show it.
    has_audio
        Whether there is an audio stream.
    video_codec, audio_codec
        FFmpeg codec names (``"h264"``, ``"aac"``); ``audio_codec`` is None without audio.
    """

    duration: float
    width: int
    height: int
    rotation: int
    has_audio: bool
    video_codec: str
    audio_codec: str | None


@dataclass(frozen=True)
class ConversionOutput:
    """What :func:`convert` wrote. Every path is relative to the output directory.

    Attributes
    ----------
    playtime
        Seconds of video converted.
    heights
        Rendition heights, ascending.
    mp4, webm
        Rendition file per height (``webm`` may have fewer heights, or none).
    hls, mpd
        The HLS master playlist and the DASH manifest; None with ``mp4_only``.
    thumbnails
        Five JPEG names per height, ``{file_code}_{height}_{nn:02d}.jpg``, ``nn`` 01..05.
    """

    playtime: float
    heights: tuple[int, ...]
    mp4: dict[int, str]
    webm: dict[int, str]
    hls: str | None
    mpd: str | None
    thumbnails: dict[int, tuple[str, ...]]


def probe(path: Path) -> Probe:
    """Read a video's duration, displayed size, rotation and codecs.

    Raises
    ------
    MediaError
        If the file is missing, empty, not a video (text, still image, audio only) or too
        damaged to decode its first frame.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as error:
        raise MediaError(f"cannot read the file: {error.strerror or error}") from error
    if size == 0:
        raise MediaError("not a video: the file is empty")
    try:
        with av.open(str(path)) as container:
            return _probe_container(container)
    except av.error.FFmpegError as error:
        raise MediaError(f"not a video: FFmpeg cannot read it ({error.strerror})") from error


def _probe_container(container: av.container.InputContainer) -> Probe:
    names = container.format.name.split(",")
    if any(name in _STILL_FORMATS or name.endswith("_pipe") for name in names):
        kind = "a text file" if "tty" in names else "a still image"
        raise MediaError(f"not a video: it is {kind} ({container.format.long_name})")
    videos = [
        stream
        for stream in container.streams.video
        if not stream.disposition & av.stream.Disposition.attached_pic
    ]
    audio = container.streams.audio[0] if container.streams.audio else None
    if not videos:
        found = "only audio" if audio is not None else "no video stream"
        raise MediaError(f"not a video: the file has {found}")
    video = videos[0]
    frame = _first_frame(container, video)
    rotation = round(-frame.rotation / 90) * 90 % 360
    width, height = frame.width, frame.height
    aspect = video.sample_aspect_ratio
    if aspect and aspect > 0 and aspect != 1:
        width = max(2, round(width * aspect))
    if rotation in (90, 270):
        width, height = height, width
    duration = _duration(container, video)
    if duration <= 0:
        raise MediaError("not a video: it has no duration (a single picture?)")
    return Probe(
        duration=duration,
        width=width,
        height=height,
        rotation=rotation,
        has_audio=audio is not None,
        video_codec=video.codec_context.name,
        audio_codec=audio.codec_context.name if audio is not None else None,
    )


def _first_frame(
    container: av.container.InputContainer, video: av.video.stream.VideoStream
) -> av.VideoFrame:
    try:
        for index, packet in enumerate(container.demux(video)):
            for frame in packet.decode():
                assert isinstance(frame, av.VideoFrame)
                return frame
            if index > 500:  # a decoder swallowing this many packets has nothing to show
                break
    except av.error.FFmpegError as error:
        raise MediaError(
            f"not a video: its first frame cannot be decoded ({error.strerror})"
        ) from error
    raise MediaError("not a video: no frame of its video stream can be decoded")


def _duration(container: av.container.InputContainer, video: av.video.stream.VideoStream) -> float:
    if video.duration and video.time_base:
        return float(video.duration * video.time_base)
    if container.duration:
        return container.duration / av.time_base
    # Raw streams without an index: the last timestamp is the duration.
    container.seek(0)
    last = 0.0
    for packet in container.demux(video):
        if packet.pts is not None and packet.time_base is not None:
            last = max(last, float((packet.pts + (packet.duration or 0)) * packet.time_base))
    return last


def rendition_heights(source_height: int, *, sd_only: bool = False) -> list[int]:
    """Rendition heights for a source displayed ``source_height`` pixels high, ascending.

    The standard heights not above the source (with ``sd_only``, not above 480 either). A
    source lower than the smallest standard height gets one rendition at its own height,
    rounded down to an even number.
    """
    if source_height < 1:
        raise ValueError(f"source_height must be a positive number of pixels, not {source_height}")
    limit = min(source_height, SD_MAX_HEIGHT) if sd_only else source_height
    heights = [height for height in STANDARD_HEIGHTS if height <= limit]
    return heights or [max(2, source_height - source_height % 2)]


def convert(
    src: Path,
    out_dir: Path,
    *,
    file_code: str,
    sd_only: bool = False,
    mp4_only: bool = False,
    on_progress: Callable[[float], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> ConversionOutput:
    """Convert ``src`` into streamable renditions, HLS, DASH and thumbnails under ``out_dir``.

    Parameters
    ----------
    src
        The uploaded file.
    out_dir
        Created if missing; everything is written inside it (``mp4/``, ``webm/``, ``hls/``,
        ``dash/``, ``thumbnails/``).
    file_code
        Names the files (``{file_code}_{height}.mp4``, thumbnails
        ``{file_code}_{height}_{nn:02d}.jpg``).
    sd_only
        No rendition above 480 pixels high.
    mp4_only
        MP4 renditions (and thumbnails) only: no WebM, HLS or DASH.
    on_progress
        Called with the percentage done (0 to 100, never decreasing) as work proceeds.
    should_stop
        Polled between frames and between steps; when it returns True the conversion stops
        and raises ``MediaError("cancelled")``.

    Raises
    ------
    MediaError
        If the source is not a video, is corrupt or truncated, an encoder fails, or the
        conversion was cancelled. ``out_dir`` may then hold partial files: discard it.
    """
    progress = _Progress(on_progress)
    stop = should_stop or _never
    _checkpoint(stop)
    source = probe(Path(src))
    heights = rendition_heights(source.height, sd_only=sd_only)
    out_dir = Path(out_dir)
    for sub in ("mp4", *(() if mp4_only else ("webm",))):
        (out_dir / sub).mkdir(parents=True, exist_ok=True)
    specs = output_specs(
        display_width=source.width,
        display_height=source.height,
        heights=heights,
        has_audio=source.has_audio,
        out_dir=out_dir,
        file_code=file_code,
        mp4_only=mp4_only,
    )
    decoded = _encode(Path(src), source, specs, progress, stop)
    sizes = {h: rendition_width(source.width, source.height, h) for h in heights}
    try:
        thumbnails = write_thumbnails(decoded.stills, sizes, out_dir / "thumbnails", file_code)
    except (av.error.FFmpegError, OSError) as error:
        raise MediaError(f"writing thumbnails failed: {error}") from error
    progress.update(_ENCODE_SHARE + 5)
    mp4 = {h: specs["mp4", h].path for h in heights}
    hls, mpd = (None, None) if mp4_only else _package(mp4, out_dir, progress, stop)
    progress.update(100.0)

    def relative(path: Path) -> str:
        return path.relative_to(out_dir).as_posix()

    return ConversionOutput(
        playtime=round(decoded.duration, 3),
        heights=tuple(heights),
        mp4={h: relative(path) for h, path in mp4.items()},
        webm={h: relative(spec.path) for (kind, h), spec in specs.items() if kind == "webm"},
        hls=relative(hls) if hls is not None else None,
        mpd=relative(mpd) if mpd is not None else None,
        thumbnails={h: tuple(relative(path) for path in paths) for h, paths in thumbnails.items()},
    )


def _encode(
    src: Path,
    source: Probe,
    specs: dict[tuple[str, int], OutputSpec],
    progress: _Progress,
    stop: Callable[[], bool],
) -> TranscodeResult:
    """Decode once, encode every rendition; PyAV's errors become ``MediaError``."""
    try:
        return transcode(
            src,
            list(specs.values()),
            rotation=source.rotation,
            expected_duration=source.duration,
            still_times=[source.duration * position for position in THUMBNAIL_POSITIONS],
            on_progress=lambda done: progress.update(done * _ENCODE_SHARE),
            should_stop=stop,
        )
    except Cancelled as error:
        raise MediaError("cancelled") from error
    except SourceError as error:
        raise MediaError(f"corrupt video: {error}") from error
    except (EncoderError, av.error.FFmpegError, OSError) as error:
        raise MediaError(f"conversion failed: {error}") from error


def _package(
    mp4: dict[int, Path], out_dir: Path, progress: _Progress, stop: Callable[[], bool]
) -> tuple[Path, Path]:
    """Remux the MP4 renditions into HLS and DASH; return the playlist and the manifest."""
    try:
        _checkpoint(stop)
        hls = package_hls(mp4, out_dir / "hls", segment_seconds=SEGMENT_SECONDS)
        progress.update(_ENCODE_SHARE + 10)
        _checkpoint(stop)
        mpd = package_dash(mp4, out_dir / "dash" / "manifest.mpd", segment_seconds=SEGMENT_SECONDS)
    except (av.error.FFmpegError, OSError, ValueError) as error:
        raise MediaError(f"packaging HLS/DASH failed: {error}") from error
    return hls, mpd


def resize_jpeg(path: Path, height: int) -> bytes:
    """Return the image at ``path`` resized to ``height`` pixels high, keeping its aspect.

    Heights under :data:`~sv_widgets.wire.MIN_THUMBNAIL_HEIGHT` (260) give 260, as the
    service does.

    Raises
    ------
    ValueError
        If ``height`` is not a positive number or is above
        :data:`~sv_widgets.wire.MAX_THUMBNAIL_HEIGHT` (2160).
    MediaError
        If the file is missing or is not an image.
    """
    if not 0 < height <= MAX_THUMBNAIL_HEIGHT:
        raise ValueError(f"height must be from 1 to {MAX_THUMBNAIL_HEIGHT} pixels, not {height!r}")
    height = max(height, MIN_THUMBNAIL_HEIGHT)
    try:
        with Image.open(path) as image:
            width = max(1, round(image.width * height / image.height))
            image.draft("RGB", (width, height))  # JPEG: decode at a reduced scale when it can
            resized = image.convert("RGB").resize((width, height), Image.Resampling.LANCZOS)
    except FileNotFoundError as error:
        raise MediaError(f"image not found: {path}") from error
    except (UnidentifiedImageError, OSError) as error:
        raise MediaError(f"not an image: {path.name} ({error})") from error
    buffer = io.BytesIO()
    resized.save(buffer, "JPEG", quality=85, optimize=True)
    return buffer.getvalue()


def _never() -> bool:
    return False


def _checkpoint(should_stop: Callable[[], bool]) -> None:
    if should_stop():
        raise MediaError("cancelled")


class _Progress:
    """Forwards percentages to the caller's callback: clamped, never decreasing, de-duplicated."""

    def __init__(self, callback: Callable[[float], None] | None) -> None:
        self._callback = callback
        self._last = -1.0

    def update(self, percent: float) -> None:
        percent = round(min(100.0, max(0.0, percent)), 1)
        # Whole-percent steps are plenty for a progress bar and spare the caller's lock.
        step = percent >= self._last + 1 or (percent == 100.0 and self._last < 100.0)
        if self._callback is not None and step:
            self._last = percent
            self._callback(percent)
