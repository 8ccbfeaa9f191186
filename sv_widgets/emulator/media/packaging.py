"""HLS and DASH packaging of finished MP4 renditions, by remuxing (no re-encoding).

The renditions are encoded with identical, closed, fixed-length GOPs (every
:data:`~sv_widgets.emulator.media.pipeline.GOP_SECONDS`), so cutting each one at its keyframes gives
segments aligned across heights: a player can switch rendition at any segment boundary.

- HLS: one variant per height, MPEG-TS segments (the format every HLS player supports,
  Safari's native one included), each variant muxing its rendition's video and audio. The
  master playlist is written here rather than by FFmpeg so that it carries what players use to
  choose: peak and average bandwidth measured from the segments actually written,
  ``RESOLUTION``, ``FRAME-RATE`` and RFC 6381 ``CODECS``.
- DASH: one MPD with a video adaptation set holding every height and one audio adaptation set
  (the audio of all renditions is the same encode of the same source, so it is packaged once),
  fragmented-MP4 segments with a segment timeline.

Packets of several inputs going into one DASH muxer are merged in decoding-time order, so the
muxer never has to buffer a whole rendition; memory stays flat however long the video is.

This module is mechanism only: it raises PyAV's and the OS's errors, which
:mod:`sv_widgets.emulator.media.pipeline` turns into ``MediaError``.
"""

from __future__ import annotations

import contextlib
import heapq
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from xml.etree import ElementTree

import av
from av.container import InputContainer, OutputContainer
from av.packet import Packet
from av.stream import Stream
from av.video.stream import VideoStream

__all__ = ["package_dash", "package_hls"]

_EXTINF = re.compile(r"#EXTINF:([0-9.]+),")
_MPD_NS = {"mpd": "urn:mpeg:dash:schema:mpd:2011"}
for _prefix, _uri in (
    ("", _MPD_NS["mpd"]),
    ("xsi", "http://www.w3.org/2001/XMLSchema-instance"),
    ("xlink", "http://www.w3.org/1999/xlink"),
):
    ElementTree.register_namespace(_prefix, _uri)


@dataclass(frozen=True)
class _Variant:
    playlist: str  # relative to the master playlist
    width: int
    height: int
    frame_rate: float
    codecs: str
    peak_bps: int
    average_bps: int


def package_hls(renditions: Mapping[int, Path], out_dir: Path, *, segment_seconds: int) -> Path:
    """Write ``out_dir/master.m3u8`` and one variant per rendition under ``out_dir/{height}/``.

    Returns the master playlist's path.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    variants = [
        _hls_variant(mp4, out_dir / str(height), segment_seconds)
        for height, mp4 in sorted(renditions.items())
    ]
    lines = ["#EXTM3U", "#EXT-X-VERSION:3", "#EXT-X-INDEPENDENT-SEGMENTS"]
    for variant in variants:
        lines.append(
            f"#EXT-X-STREAM-INF:BANDWIDTH={variant.peak_bps},"
            f"AVERAGE-BANDWIDTH={variant.average_bps},"
            f"RESOLUTION={variant.width}x{variant.height},"
            f"FRAME-RATE={variant.frame_rate:.3f},"
            f'CODECS="{variant.codecs}"'
        )
        lines.append(variant.playlist)
    master = out_dir / "master.m3u8"
    master.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return master


def _hls_variant(mp4: Path, variant_dir: Path, segment_seconds: int) -> _Variant:
    variant_dir.mkdir(parents=True, exist_ok=True)
    playlist = variant_dir / "index.m3u8"
    options = {
        "hls_time": str(segment_seconds),
        "hls_playlist_type": "vod",
        "hls_flags": "independent_segments",
        "hls_segment_type": "mpegts",
        "hls_segment_filename": str(variant_dir / "segment_%04d.ts"),
    }
    with (
        av.open(str(mp4)) as source,
        av.open(str(playlist), "w", format="hls", options=options) as hls,
    ):
        streams = _media_streams(source)
        mapping = {stream.index: _copy_stream(hls, stream) for stream in streams}
        for packet in source.demux(streams):
            _remux(packet, hls, mapping)
        video = source.streams.video[0]
        codecs = [_video_codec_tag(video)] + ["mp4a.40.2" for _ in source.streams.audio]
        rate = video.average_rate or video.guessed_rate
        width, height = video.width, video.height
    peak, average = _measure_bandwidth(playlist)
    return _Variant(
        playlist=f"{variant_dir.name}/{playlist.name}",
        width=width,
        height=height,
        frame_rate=float(rate) if rate else 0.0,
        codecs=",".join(codecs),
        peak_bps=peak,
        average_bps=average,
    )


def _measure_bandwidth(playlist: Path) -> tuple[int, int]:
    """Peak and average bits per second over the segments a variant playlist lists."""
    durations: list[float] = []
    sizes: list[int] = []
    pending: float | None = None
    for line in playlist.read_text(encoding="utf-8").splitlines():
        match = _EXTINF.match(line)
        if match:
            pending = float(match.group(1))
        elif pending is not None and line and not line.startswith("#"):
            durations.append(pending)
            sizes.append((playlist.parent / line).stat().st_size)
            pending = None
    if not durations:
        raise ValueError(f"{playlist} lists no segment")
    peak = max(
        8 * size / max(duration, 0.001) for size, duration in zip(sizes, durations, strict=True)
    )
    average = 8 * sum(sizes) / max(sum(durations), 0.001)
    return round(peak), round(average)


def _video_codec_tag(video: av.video.stream.VideoStream) -> str:
    """RFC 6381 ``avc1.PPCCLL`` from the stream's avcC record (profile, constraints, level)."""
    extradata = video.codec_context.extradata or b""
    if len(extradata) >= 4 and extradata[0] == 1:
        return f"avc1.{extradata[1]:02x}{extradata[2]:02x}{extradata[3]:02x}"
    return "avc1.640028"  # High profile, level 4.0: what players assume for 1080p and below


def package_dash(renditions: Mapping[int, Path], mpd: Path, *, segment_seconds: int) -> Path:
    """Write the DASH manifest ``mpd`` and its segments next to it, from every rendition.

    Returns ``mpd``.
    """
    mpd.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:
        sources = [
            stack.enter_context(av.open(str(path))) for _, path in sorted(renditions.items())
        ]
        has_audio = bool(sources[0].streams.audio)
        aspects = [source.streams.video[0].sample_aspect_ratio for source in sources]
        options = {
            "seg_duration": str(segment_seconds),
            "use_template": "1",
            "use_timeline": "1",
            "adaptation_sets": _adaptation_sets(len(sources), has_audio),
            "init_seg_name": "init-$RepresentationID$.m4s",
            "media_seg_name": "chunk-$RepresentationID$-$Number%05d$.m4s",
        }
        dash = stack.enter_context(av.open(str(mpd), "w", format="dash", options=options))
        # Output streams 0..n-1 are the videos (the adaptation sets name them by index), then
        # one audio: every rendition carries the same audio encode, so it is packaged once.
        mappings = [
            {s.index: _copy_stream(dash, s) for s in _media_streams(src, audio=False)}
            for src in sources
        ]
        if has_audio:
            audio = sources[0].streams.audio[0]
            mappings[0][audio.index] = _copy_stream(dash, audio)
        feeds = [
            _timed_packets(source, [source.streams[i] for i in mapping], mapping, number)
            for number, (source, mapping) in enumerate(zip(sources, mappings, strict=True))
        ]
        for _, _, _, packet, target in heapq.merge(*feeds):
            packet.stream = target
            dash.mux(packet)
    _merge_video_sets(mpd, aspects)
    return mpd


def _merge_video_sets(mpd: Path, aspects: list[Fraction | None]) -> None:
    """Gather every video Representation into the first video AdaptationSet.

    FFmpeg's DASH muxer refuses renditions whose width:height differ in one adaptation set,
    and even widths make 854x480 differ from 640x360 by a hair; their pixel aspect ratio
    corrects it (each ``sar`` attribute says so). One set is what lets a player switch height.
    """
    # Our own muxer's output, not untrusted input.
    tree = ElementTree.parse(mpd)  # noqa: S314
    period = tree.getroot().find("mpd:Period", _MPD_NS)
    if period is None:
        raise ValueError(f"{mpd} has no Period")
    video_sets = [
        element
        for element in period.findall("mpd:AdaptationSet", _MPD_NS)
        if element.get("contentType") == "video"
    ]
    if len(video_sets) < 2:
        return
    first, *others = video_sets
    for other in others:
        first.extend(other.findall("mpd:Representation", _MPD_NS))
        period.remove(other)
    representations = first.findall("mpd:Representation", _MPD_NS)
    for representation, aspect in zip(representations, aspects, strict=True):
        if aspect:
            representation.set("sar", f"{aspect.numerator}:{aspect.denominator}")
    first.set("maxWidth", str(max(int(r.get("width", "0")) for r in representations)))
    first.set("maxHeight", str(max(int(r.get("height", "0")) for r in representations)))
    for position, element in enumerate(period.findall("mpd:AdaptationSet", _MPD_NS)):
        element.set("id", str(position))
    tree.write(mpd, encoding="utf-8", xml_declaration=True)


def _copy_stream(output: OutputContainer, template: Stream) -> Stream:
    """An output stream for remuxing ``template``, with the fields muxers read kept."""
    stream = output.add_stream_from_template(template)
    if isinstance(template, VideoStream) and isinstance(stream, VideoStream):
        rate = template.average_rate or template.guessed_rate
        if rate:
            stream.codec_context.framerate = rate
        if template.sample_aspect_ratio:
            stream.sample_aspect_ratio = template.sample_aspect_ratio
    return stream


def _timed_packets(
    source: InputContainer, streams: list[Stream], mapping: dict[int, Stream], number: int
) -> Iterator[tuple[float, int, int, Packet[Stream], Stream]]:
    """Packets with the keys that order them across inputs: decoding time, input, sequence."""
    for sequence, packet in enumerate(source.demux(streams)):
        if packet.dts is None or packet.time_base is None:
            continue  # the demuxer's end-of-stream marker
        yield (
            float(packet.dts * packet.time_base),
            number,
            sequence,
            packet,
            mapping[packet.stream.index],
        )


def _media_streams(source: InputContainer, *, audio: bool = True) -> list[Stream]:
    streams: list[Stream] = list(source.streams.video[:1])
    if audio:
        streams.extend(source.streams.audio[:1])
    return streams


def _remux(packet: Packet[Stream], output: OutputContainer, mapping: dict[int, Stream]) -> None:
    if packet.dts is None:
        return  # the demuxer's end-of-stream marker
    packet.stream = mapping[packet.stream.index]
    output.mux(packet)


def _adaptation_sets(videos: int, has_audio: bool) -> str:
    sets = [f"id={n},streams={n}" for n in range(videos)]
    if has_audio:
        sets.append(f"id={videos},streams=a")
    return " ".join(sets)
