"""Decode once, encode many: the rendition encoders of a conversion.

The source is demuxed and decoded exactly once, on the calling thread. Each decoded video
frame is turned upright (when the source carries a rotation), stripped of the source's picture
type (so every encoder chooses its own, aligned, keyframes) and handed to one
:class:`_Encoder` thread per output file. Each encoder thread scales the shared frame with its
own swscale context and feeds its own encoder and muxer. PyAV releases the GIL inside swscale,
the encoders and the muxers, so the renditions are encoded in parallel on all cores while the
next frames are decoded. Frames shared between threads are never mutated after hand-over:
encoders use the source's time base, so PyAV has no timestamp to rewrite in place.

Bounded queues give back-pressure: memory stays at a few frames per output however long the
source is. A failing encoder records its error and keeps draining its queue, so the decoding
thread can never block on it; the decoding thread notices the error and stops everything.

This module is mechanism only. It raises :class:`Cancelled`, :class:`SourceError` and PyAV's
own errors; :mod:`sv_widgets.emulator.media.pipeline` turns them into user-facing ``MediaError``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import queue
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
from av.audio.frame import AudioFrame
from av.container import InputContainer, OutputContainer
from av.video.frame import PictureType, VideoFrame
from av.video.reformatter import VideoReformatter
from av.video.stream import VideoStream

__all__ = ["Cancelled", "EncoderError", "OutputSpec", "SourceError", "TranscodeResult", "transcode"]

_QUEUE_FRAMES = 8  # per encoder: enough to ride out jitter, small enough for 4K frames
_MAX_DECODE_ERRORS = 8  # corrupt packets tolerated (FFmpeg conceals them) before giving up
_FINISH = "finish"
_ABORT = "abort"
# Clockwise degrees to display -> filters that make the picture upright (as ffmpeg's autorotate).
_UPRIGHT_FILTERS: dict[int, tuple[tuple[str, str | None], ...]] = {
    90: (("transpose", "clock"),),
    180: (("hflip", None), ("vflip", None)),
    270: (("transpose", "cclock"),),
}


class Cancelled(Exception):
    """The caller's ``should_stop`` asked to stop."""


class EncoderError(Exception):
    """Writing one output failed; ``__cause__`` is the underlying error."""

    def __init__(self, output: Path, cause: BaseException) -> None:
        super().__init__(f"writing {output.name} failed: {cause}")
        self.output = output


class SourceError(Exception):
    """The source could not be decoded: too many corrupt packets, or no frame at all."""


@dataclass(frozen=True)
class OutputSpec:
    """One output file: its container, size and encoder settings."""

    path: Path
    container_format: str  # "mp4" or "webm"
    width: int
    height: int
    video_codec: str
    video_options: Mapping[str, str]
    audio_codec: str | None  # None: no audio track
    audio_options: Mapping[str, str] = field(default_factory=dict)
    container_options: Mapping[str, str] = field(default_factory=dict)
    threads: int = 1
    gop_seconds: float = 2.0  # "{gop}" in video_options becomes this many seconds in frames
    # Pixel aspect that makes width:height display at exactly the source's aspect (even
    # widths cannot always; DASH requires one aspect across an adaptation set).
    sample_aspect_ratio: Fraction = Fraction(1)


@dataclass(frozen=True)
class TranscodeResult:
    """What decoding found: the video's length and upright frames near the asked times."""

    duration: float
    frames: int
    stills: tuple[VideoFrame, ...]
    # CPU seconds per thread: "decode" (this thread) and each output file's name; the
    # benchmark reports them as each output's share of the work.
    cpu_seconds: Mapping[str, float] = field(default_factory=dict)


def transcode(
    src: Path,
    outputs: Sequence[OutputSpec],
    *,
    rotation: int,
    expected_duration: float,
    still_times: Sequence[float] = (),
    on_progress: Callable[[float], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> TranscodeResult:
    """Decode ``src`` once and write every output in ``outputs``.

    ``on_progress`` receives the fraction (0..1) of ``expected_duration`` decoded so far; a
    video ending well before ``expected_duration`` raises :class:`SourceError`.
    ``still_times`` are seconds from the start; for each, the first upright frame at or
    after it is returned (or the last frame, for a time beyond the end).
    """
    with av.open(str(src)) as source:
        video = _video_stream(source)
        video.thread_type = "AUTO"
        audio = source.streams.audio[0] if source.streams.audio else None
        encoders: list[_Encoder] = []
        try:
            encoders.extend(_Encoder(spec, video, audio) for spec in outputs)
        except BaseException:
            for encoder in encoders:
                encoder.discard()
            raise
        for encoder in encoders:
            encoder.start()
        finished = False
        started = time.thread_time()
        try:
            result = _decode_all(
                source, video, audio, encoders, rotation, expected_duration,
                still_times, on_progress, should_stop,
            )  # fmt: skip
            finished = True
        finally:
            for encoder in encoders:
                encoder.send(_FINISH if finished else _ABORT)
            for encoder in encoders:
                encoder.join()
    for encoder in encoders:
        if encoder.error is not None:
            raise EncoderError(encoder.spec.path, encoder.error) from encoder.error
    cpu = {"decode": time.thread_time() - started}
    cpu.update((encoder.spec.path.name, encoder.cpu_seconds) for encoder in encoders)
    return dataclasses.replace(result, cpu_seconds=cpu)


def _video_stream(source: InputContainer) -> VideoStream:
    for stream in source.streams.video:
        if not stream.disposition & av.stream.Disposition.attached_pic:
            return stream
    raise SourceError("no video stream")


def _decode_all(
    source: InputContainer,
    video: VideoStream,
    audio: av.AudioStream | None,
    encoders: list[_Encoder],
    rotation: int,
    expected_duration: float,
    still_times: Sequence[float],
    on_progress: Callable[[float], None] | None,
    should_stop: Callable[[], bool] | None,
) -> TranscodeResult:
    time_base = video.time_base or Fraction(1, 90_000)
    start = _start_seconds(source)
    upright = _Upright(rotation)
    wanted = sorted(still_times)
    stills: list[VideoFrame] = []
    last: VideoFrame | None = None
    frames = 0
    end = 0.0
    streams: list[av.stream.Stream] = [video] if audio is None else [video, audio]
    for item in _upright_frames(_decode(source, streams), upright, time_base, start):
        if should_stop is not None and should_stop():
            raise Cancelled
        for encoder in encoders:
            if encoder.error is not None:
                raise EncoderError(encoder.spec.path, encoder.error) from encoder.error
        if isinstance(item, VideoFrame):
            item.pict_type = PictureType.NONE
            frames += 1
            last = item
            seconds = float(item.pts * time_base) if item.pts is not None else 0.0
            end = max(end, seconds + _frame_seconds(video))
            while wanted and seconds >= wanted[0]:
                wanted.pop(0)
                stills.append(item)
        for encoder in encoders:
            encoder.send(item)
        if on_progress is not None and expected_duration > 0:
            on_progress(min(1.0, end / expected_duration))
    if frames == 0:
        raise SourceError("no video frame could be decoded")
    if end < 0.9 * expected_duration - 0.5:
        raise SourceError(
            f"truncated or damaged: only {end:.1f} s of the {expected_duration:.1f} s "
            "its header announces could be decoded"
        )
    # Times past the last frame (a short or truncated video) take the last frame seen.
    if last is not None:
        stills.extend([last] * len(wanted))
    return TranscodeResult(duration=end, frames=frames, stills=tuple(stills))


def _decode(
    source: InputContainer, streams: list[av.stream.Stream]
) -> Iterator[VideoFrame | AudioFrame]:
    errors = 0
    for packet in source.demux(streams):
        try:
            for frame in packet.decode():
                if isinstance(frame, VideoFrame | AudioFrame):
                    yield frame
        except av.error.InvalidDataError as error:
            # FFmpeg conceals isolated corrupt packets, as a player would; a stream of them
            # means the file is damaged beyond use.
            errors += 1
            if errors > _MAX_DECODE_ERRORS:
                raise SourceError(f"too many corrupt packets ({error.strerror})") from error


def _upright_frames(
    decoded: Iterator[VideoFrame | AudioFrame], upright: _Upright, time_base: Fraction, start: float
) -> Iterator[VideoFrame | AudioFrame]:
    """Video frames upright and re-timed from the file's start; audio frames re-timed."""
    index = 0
    for frame in decoded:
        if isinstance(frame, VideoFrame):
            yield from upright.apply(frame, index, time_base, start)
            index += 1
        elif isinstance(frame, AudioFrame) and frame.pts is not None and frame.time_base:
            frame.pts -= round(start / frame.time_base)
            yield frame
    yield from upright.flush()


def _start_seconds(source: InputContainer) -> float:
    start = source.start_time
    return max(0.0, start / av.time_base) if start is not None else 0.0


def _frame_seconds(video: VideoStream) -> float:
    rate = video.average_rate or video.guessed_rate
    return float(1 / rate) if rate else 0.04


class _Upright:
    """Turns decoded frames upright and re-times them from the file's start."""

    def __init__(self, rotation: int) -> None:
        self._filters = _UPRIGHT_FILTERS.get(rotation % 360, ())
        self._graph: av.filter.Graph | None = None
        self._time_base = Fraction(1, 90_000)

    def apply(
        self, frame: VideoFrame, index: int, time_base: Fraction, start: float
    ) -> Iterator[VideoFrame]:
        pts = frame.pts if frame.pts is not None else index
        frame.pts = pts - round(start / time_base)
        frame.time_base = time_base
        if not self._filters:
            yield frame
            return
        graph = self._graph or self._build(frame, time_base)
        graph.vpush(frame)
        yield from self._pull(graph, time_base)

    def flush(self) -> Iterator[VideoFrame]:
        if self._graph is not None:
            self._graph.vpush(None)
            yield from self._pull(self._graph, self._time_base)

    @staticmethod
    def _pull(graph: av.filter.Graph, time_base: Fraction) -> Iterator[VideoFrame]:
        while True:
            try:
                frame = graph.vpull()
            except (av.error.BlockingIOError, av.error.EOFError):
                return
            frame.time_base = time_base
            yield frame

    def _build(self, frame: VideoFrame, time_base: Fraction) -> av.filter.Graph:
        graph = av.filter.Graph()
        nodes = [
            graph.add_buffer(
                width=frame.width, height=frame.height, format=frame.format, time_base=time_base
            )
        ]
        nodes += [graph.add(name, args) for name, args in self._filters]
        nodes.append(graph.add("buffersink"))
        graph.link_nodes(*nodes).configure()
        self._graph, self._time_base = graph, time_base
        return graph


class _Encoder(threading.Thread):
    """One output file, fed frames through a bounded queue by the decoding thread."""

    def __init__(self, spec: OutputSpec, video: VideoStream, audio: av.AudioStream | None) -> None:
        super().__init__(name=f"encode-{spec.path.name}", daemon=True)
        self.spec = spec
        self.error: BaseException | None = None
        self.cpu_seconds = 0.0
        self._queue: queue.Queue[VideoFrame | AudioFrame | str] = queue.Queue(_QUEUE_FRAMES)
        self._scaler = VideoReformatter()
        self._container: OutputContainer = av.open(
            str(spec.path), "w", format=spec.container_format,
            options=dict(spec.container_options),
        )  # fmt: skip
        try:
            self._video = self._add_video(video)
            self._audio = self._add_audio(audio)
        except BaseException:
            self.discard()
            raise

    def discard(self) -> None:
        """Close the output of an encoder that was never started."""
        with contextlib.suppress(Exception):
            self._container.close()

    def send(self, item: VideoFrame | AudioFrame | str) -> None:
        """Queue a frame, or ``_FINISH``/``_ABORT``; blocks while the queue is full."""
        self._queue.put(item)

    def run(self) -> None:
        try:
            while True:
                item = self._queue.get()
                if item == _ABORT:
                    return
                if self.error is not None:
                    # Keep draining so that the decoding thread never blocks on us.
                    if item == _FINISH:
                        return
                    continue
                try:
                    if item == _FINISH:
                        self._flush()
                        return
                    self._encode(item)
                except Exception as error:
                    self.error = error
        finally:
            try:
                self._container.close()
            except Exception as error:
                self.error = self.error or error
            self.cpu_seconds = time.thread_time()

    def _add_video(self, source: VideoStream) -> VideoStream:
        spec = self.spec
        rate = source.average_rate or source.guessed_rate or Fraction(25)
        gop = str(max(1, round(rate * Fraction(spec.gop_seconds))))
        options = {key: value.replace("{gop}", gop) for key, value in spec.video_options.items()}
        stream = self._container.add_stream(spec.video_codec, options=options)
        assert isinstance(stream, VideoStream)
        stream.width, stream.height, stream.pix_fmt = spec.width, spec.height, "yuv420p"
        time_base = source.time_base or Fraction(1, 90_000)
        stream.time_base = time_base
        stream.codec_context.time_base = time_base
        stream.codec_context.framerate = rate
        stream.codec_context.sample_aspect_ratio = spec.sample_aspect_ratio
        stream.sample_aspect_ratio = spec.sample_aspect_ratio
        stream.thread_count = spec.threads
        return stream

    def _add_audio(self, source: av.AudioStream | None) -> av.AudioStream | None:
        spec = self.spec
        if source is None or spec.audio_codec is None:
            return None
        layout = "mono" if source.channels == 1 else "stereo"
        rate = 48_000 if spec.audio_codec == "libopus" else (source.sample_rate or 48_000)
        stream = self._container.add_stream(
            spec.audio_codec, rate=rate, layout=layout, options=dict(spec.audio_options)
        )
        assert isinstance(stream, av.AudioStream)
        return stream

    def _encode(self, item: VideoFrame | AudioFrame | str) -> None:
        if isinstance(item, VideoFrame):
            scaled = self._scaler.reformat(
                item, self.spec.width, self.spec.height, "yuv420p", interpolation="AREA"
            )
            self._container.mux(self._video.encode(scaled))
        elif isinstance(item, AudioFrame) and self._audio is not None:
            self._container.mux(self._audio.encode(item))

    def _flush(self) -> None:
        self._container.mux(self._video.encode(None))
        if self._audio is not None:
            self._container.mux(self._audio.encode(None))
