"""Tests of sv_widgets.emulator.media.pipeline: probe, the rendition table, conversion, resizing."""

from __future__ import annotations

import dataclasses
import io
import re
import threading
from collections.abc import Callable
from pathlib import Path
from xml.etree import ElementTree

import av
import pytest
from PIL import Image

from sv_widgets.emulator.media.pipeline import (
    STANDARD_HEIGHTS,
    ConversionOutput,
    MediaError,
    convert,
    make_sample_clip,
    probe,
    rendition_heights,
    resize_jpeg,
)
from sv_widgets.emulator.media.transcode import EncoderError, OutputSpec, transcode

CODE = "1488633857-11PYNC"

# ---------------------------------------------------------------- broken-input helpers


def truncated_mp4(clip: Path, dest: Path, keep: float = 0.5) -> Path:
    """The first ``keep`` of a real clip (its index, written last, is lost)."""
    data = clip.read_bytes()
    dest.write_bytes(data[: int(len(data) * keep)])
    return dest


def text_as_mp4(dest: Path) -> Path:
    dest.write_text("This is a shopping list, not a video.\nmilk\neggs\n" * 50)
    return dest


def jpeg_file(dest: Path) -> Path:
    Image.new("RGB", (320, 240), (10, 120, 200)).save(dest, "JPEG")
    return dest


def audio_only(dest: Path, seconds: float = 1.0) -> Path:
    with av.open(str(dest), "w", format="mp4") as container:
        stream = container.add_stream("aac", rate=48_000, layout="mono")
        samples = int(seconds * 48_000)
        for start in range(0, samples, 1024):
            frame = av.AudioFrame(format="fltp", layout="mono", samples=1024)
            frame.planes[0].update(bytes(4096))
            frame.sample_rate, frame.pts = 48_000, start
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return dest


def empty_file(dest: Path) -> Path:
    dest.write_bytes(b"")
    return dest


def mdat_damaged(clip: Path, dest: Path) -> Path:
    """A faststart MP4 whose media data after the first tenth is overwritten with noise."""
    data = bytearray(clip.read_bytes())
    start = data.find(b"mdat") + len(data) // 10
    for i in range(start, len(data)):
        data[i] = (i * 7919) & 0xFF
    dest.write_bytes(bytes(data))
    return dest


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("clips")
    return {
        "normal": make_sample_clip(base / "normal.mp4", seconds=1.6, width=854, height=480),
        "silent": make_sample_clip(
            base / "silent.mp4", seconds=1.0, width=640, height=360, audio=False
        ),
        "rotated": make_sample_clip(
            base / "rotated.mp4", seconds=1.0, width=640, height=360, rotation=90
        ),
        "tiny": make_sample_clip(base / "tiny.mp4", seconds=1.0, width=320, height=240),
    }


@pytest.fixture(scope="module")
def converted(
    clips: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, ConversionOutput, list[float]]:
    out = tmp_path_factory.mktemp("converted") / "out"
    progress: list[float] = []
    result = convert(clips["normal"], out, file_code=CODE, on_progress=progress.append)
    return out, result, progress


def decoded(path: Path) -> tuple[int, int, float, int, bool]:
    """(width, height, seconds, frames, has_audio) of a file, by decoding every video frame."""
    with av.open(str(path)) as container:
        frames = list(container.decode(video=0))
        has_audio = bool(container.streams.audio)
    last = frames[-1]
    assert last.time is not None
    return last.width, last.height, last.time, len(frames), has_audio


# ---------------------------------------------------------------- probe


def test_probe_normal_clip(clips: dict[str, Path]) -> None:
    info = probe(clips["normal"])
    assert (info.width, info.height, info.rotation) == (854, 480, 0)
    assert info.duration == pytest.approx(1.6, abs=0.05)
    assert info.has_audio
    assert info.audio_codec == "aac"
    assert info.video_codec == "h264"


def test_probe_rotated_clip_reports_displayed_size(clips: dict[str, Path]) -> None:
    info = probe(clips["rotated"])
    assert (info.width, info.height, info.rotation) == (360, 640, 90)


def test_probe_clip_without_audio(clips: dict[str, Path]) -> None:
    info = probe(clips["silent"])
    assert not info.has_audio
    assert info.audio_codec is None


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda d, c: text_as_mp4(d / "notes.mp4"), "not a video"),
        (lambda d, c: jpeg_file(d / "photo.mp4"), "still image"),
        (lambda d, c: audio_only(d / "song.m4a"), "only audio"),
        (lambda d, c: truncated_mp4(c, d / "cut.mp4"), "not a video"),
        (lambda d, c: empty_file(d / "empty.mp4"), "empty"),
        (lambda d, c: d / "missing.mp4", "cannot read"),
    ],
    ids=["text", "jpeg", "audio-only", "truncated", "empty", "missing"],
)
def test_probe_refuses_what_is_not_a_video(
    tmp_path: Path, clips: dict[str, Path], make: Callable[[Path, Path], Path], reason: str
) -> None:
    # make_sample_clip writes the index last: cutting the file loses it.
    path = make(tmp_path, clips["normal"])
    with pytest.raises(MediaError, match=reason):
        probe(path)


# ---------------------------------------------------------------- rendition_heights


@pytest.mark.parametrize(
    ("source", "sd_only", "expected"),
    [
        (2160, False, [360, 480, 720, 1080]),
        (1080, False, [360, 480, 720, 1080]),
        (1079, False, [360, 480, 720]),
        (720, False, [360, 480, 720]),
        (720, True, [360, 480]),
        (1080, True, [360, 480]),
        (480, False, [360, 480]),
        (400, False, [360]),
        (360, True, [360]),
        (359, False, [358]),
        (240, True, [240]),
        (1, False, [2]),
    ],
)
def test_rendition_heights(source: int, sd_only: bool, expected: list[int]) -> None:
    assert rendition_heights(source, sd_only=sd_only) == expected
    assert all(h in STANDARD_HEIGHTS for h in expected) or len(expected) == 1


def test_rendition_heights_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="positive"):
        rendition_heights(0)


# ---------------------------------------------------------------- convert


def test_convert_writes_decodable_renditions(
    converted: tuple[Path, ConversionOutput, list[float]],
) -> None:
    out, result, _ = converted
    assert result.heights == (360, 480)
    assert set(result.webm) == set(result.mp4) == set(result.heights)  # the same labels in both
    assert result.playtime == pytest.approx(1.6, abs=0.05)
    for height in result.heights:
        for kind in (result.mp4, result.webm):
            width, got_height, seconds, frames, has_audio = decoded(out / kind[height])
            assert (width, got_height) == ({360: 640, 480: 854}[height], height)
            assert frames == 40  # 1.6 s at 25 fps: no frame lost or duplicated
            assert seconds == pytest.approx(1.56, abs=0.05)
            assert has_audio


def test_mp4_renditions_are_faststart_h264_aac(
    converted: tuple[Path, ConversionOutput, list[float]],
) -> None:
    out, result, _ = converted
    for name in result.mp4.values():
        data = (out / name).read_bytes()
        assert data.find(b"moov") < data.find(b"mdat"), "moov must come first to stream"
        with av.open(str(out / name)) as container:
            assert container.streams.video[0].codec_context.name == "h264"
            assert container.streams.audio[0].codec_context.name == "aac"


def test_hls_master_and_variants_reference_existing_segments(
    converted: tuple[Path, ConversionOutput, list[float]],
) -> None:
    out, result, _ = converted
    assert result.hls is not None
    master = out / result.hls
    text = master.read_text()
    variants = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert len(variants) == len(result.heights)
    for height in result.heights:
        assert f"x{height}," in text
    assert re.search(r'CODECS="avc1\.[0-9a-f]{6},mp4a\.40\.2"', text)
    for variant in variants:
        playlist = master.parent / variant
        segments = [s for s in playlist.read_text().splitlines() if s and not s.startswith("#")]
        assert segments
        assert "#EXT-X-ENDLIST" in playlist.read_text()
        for segment in segments:
            assert (playlist.parent / segment).stat().st_size > 0
        # A variant decodes end to end, as a player would see it.
        _width, height, _seconds, frames, has_audio = decoded(playlist)
        assert frames == 40
        assert has_audio


def test_dash_manifest_references_decodable_segments(
    converted: tuple[Path, ConversionOutput, list[float]], tmp_path: Path
) -> None:
    out, result, _ = converted
    assert result.mpd is not None
    mpd = out / result.mpd
    ns = {"m": "urn:mpeg:dash:schema:mpd:2011"}
    root = ElementTree.parse(mpd).getroot()
    sets = root.findall("m:Period/m:AdaptationSet", ns)
    kinds = sorted(s.get("contentType") or "" for s in sets)
    assert kinds == ["audio", "video"], "one video set holding every height, one audio set"
    video = next(s for s in sets if s.get("contentType") == "video")
    heights = sorted(int(r.get("height", "0")) for r in video.findall("m:Representation", ns))
    assert heights == list(result.heights)
    for representation in root.iter(f"{{{ns['m']}}}Representation"):
        rid = representation.get("id", "")
        template = representation.find("m:SegmentTemplate", ns)
        assert template is not None
        init = mpd.parent / template.get("initialization", "").replace("$RepresentationID$", rid)
        chunks = sorted(mpd.parent.glob(f"chunk-{rid}-*.m4s"))
        timeline = template.findall("m:SegmentTimeline/m:S", ns)
        assert len(chunks) == sum(1 + int(t.get("r", "0")) for t in timeline)
        # Init segment + media segments, in order, are what a player appends: they must decode.
        joined = tmp_path / f"representation-{rid}.mp4"
        joined.write_bytes(init.read_bytes() + b"".join(c.read_bytes() for c in chunks))
        with av.open(str(joined)) as container:
            if representation.get("mimeType") == "video/mp4":
                frames = list(container.decode(video=0))
                assert len(frames) == 40
                assert frames[0].height == int(representation.get("height", "0"))
            else:
                assert sum(f.samples for f in container.decode(audio=0)) >= 1.5 * 48_000


def test_thumbnails_five_per_height_at_the_right_size(
    converted: tuple[Path, ConversionOutput, list[float]],
) -> None:
    out, result, _ = converted
    assert set(result.thumbnails) == set(result.heights)
    for height, names in result.thumbnails.items():
        assert [Path(n).name for n in names] == [
            f"{CODE}_{height}_{nn:02d}.jpg" for nn in range(1, 6)
        ]
        sizes = set()
        contents = set()
        for name in names:
            with Image.open(out / name) as image:
                assert image.format == "JPEG"
                sizes.add(image.size)
                contents.add(image.tobytes())
        assert sizes == {({360: 640, 480: 854}[height], height)}
        assert len(contents) == 5, "thumbnails come from different moments"


def test_progress_is_monotonic_and_complete(
    converted: tuple[Path, ConversionOutput, list[float]],
) -> None:
    _, _, progress = converted
    assert progress == sorted(progress)
    assert progress[-1] == 100.0
    assert all(0 <= p <= 100 for p in progress)
    assert len(progress) >= 5


@pytest.mark.parametrize("rotation", [90, 180, 270])
def test_rotated_source_comes_out_upright(tmp_path: Path, rotation: int) -> None:
    clip = make_sample_clip(
        tmp_path / "clip.mp4", seconds=0.4, width=320, height=180, rotation=rotation
    )
    displayed = (180, 320) if rotation in (90, 270) else (320, 180)
    assert probe(clip).rotation == rotation
    result = convert(clip, tmp_path / "out", file_code=CODE, mp4_only=True)
    assert result.heights == (displayed[1],)
    for name in (*result.mp4.values(), *result.thumbnails[displayed[1]]):
        with av.open(str(tmp_path / "out" / name)) as container:
            frame = next(container.decode(video=0))
            assert frame.rotation == 0, "the output must not ask players to rotate again"
            image = frame.to_image()
        assert image.size == displayed
        # The sample draws a red bar across the top of the displayed picture.
        red, green, blue = image.getpixel((image.width // 2, 3))
        assert red > 150
        assert green < 90
        assert blue < 90


def test_sd_only_and_mp4_only(clips: dict[str, Path], tmp_path: Path) -> None:
    result = convert(clips["normal"], tmp_path, file_code=CODE, sd_only=True, mp4_only=True)
    assert result.heights == (360, 480)
    assert result.webm == {}
    assert result.hls is None
    assert result.mpd is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mp4", "thumbnails"]


def test_small_source_gets_its_own_height_and_no_audio(
    clips: dict[str, Path], tmp_path: Path
) -> None:
    result = convert(clips["silent"], tmp_path / "silent", file_code=CODE)
    for name in (result.mp4[360], result.webm[360]):
        assert decoded(tmp_path / "silent" / name)[3:] == (25, False)
    assert result.hls is not None
    assert 'CODECS="avc1.' in (tmp_path / "silent" / result.hls).read_text()
    assert "mp4a" not in (tmp_path / "silent" / result.hls).read_text()
    assert result.mpd is not None
    assert 'contentType="audio"' not in (tmp_path / "silent" / result.mpd).read_text()
    result = convert(clips["tiny"], tmp_path / "tiny", file_code=CODE)
    assert result.heights == (240,)
    assert decoded(tmp_path / "tiny" / result.mp4[240])[:2] == (320, 240)


@pytest.mark.parametrize(
    "make",
    [
        lambda d, c: text_as_mp4(d / "notes.mp4"),
        lambda d, c: jpeg_file(d / "photo.mp4"),
        lambda d, c: audio_only(d / "song.mp4"),
        lambda d, c: truncated_mp4(c, d / "cut.mp4", keep=0.9),
    ],
    ids=["text", "jpeg", "audio-only", "truncated"],
)
def test_convert_refuses_broken_inputs(
    tmp_path: Path, clips: dict[str, Path], make: Callable[[Path, Path], Path]
) -> None:
    with pytest.raises(MediaError, match="not a video"):
        convert(make(tmp_path, clips["normal"]), tmp_path / "out", file_code=CODE)


def test_convert_refuses_a_file_truncated_after_its_index(tmp_path: Path) -> None:
    # Remuxed with faststart, the index survives the cut but half the frames do not.
    clip = make_sample_clip(tmp_path / "clip.mp4", seconds=2, width=320, height=240)
    fast = tmp_path / "fast.mp4"
    with (
        av.open(str(clip)) as src,
        av.open(str(fast), "w", options={"movflags": "+faststart"}) as dst,
    ):
        streams = {s.index: dst.add_stream_from_template(s) for s in src.streams}
        for packet in src.demux():
            if packet.dts is not None:
                packet.stream = streams[packet.stream.index]
                dst.mux(packet)
    cut = truncated_mp4(fast, tmp_path / "cut.mp4", keep=0.5)
    assert probe(cut).duration == pytest.approx(2.0, abs=0.05)
    with pytest.raises(MediaError, match=r"truncated|corrupt"):
        convert(cut, tmp_path / "out", file_code=CODE, mp4_only=True)


def test_convert_survives_damaged_media_data(tmp_path: Path, clips: dict[str, Path]) -> None:
    clip = make_sample_clip(tmp_path / "clip.mp4", seconds=1, width=320, height=240)
    damaged = mdat_damaged(clip, tmp_path / "damaged.mp4")
    # Either FFmpeg conceals the damage and a (garbled) video comes out, or a clear error:
    # never a crash, a hang or an unexplained exception.
    outcome: str
    try:
        result = convert(damaged, tmp_path / "out", file_code=CODE, mp4_only=True)
        outcome = "converted" if (tmp_path / "out" / result.mp4[240]).stat().st_size else "empty"
    except MediaError as error:
        outcome = "refused" if str(error) else "silent"
    assert outcome in {"converted", "refused"}


def test_a_failing_encoder_stops_the_conversion_without_hanging(
    clips: dict[str, Path], tmp_path: Path
) -> None:
    good = OutputSpec(
        path=tmp_path / "good.mp4",
        container_format="mp4",
        width=640,
        height=360,
        video_codec="libx264",
        video_options={"preset": "ultrafast"},
        audio_codec="aac",
    )
    # x264 cannot open an odd-sized 4:2:0 picture: the encoder thread fails on its first frame.
    bad = dataclasses.replace(good, path=tmp_path / "bad.mp4", width=641, height=361)
    with pytest.raises(EncoderError, match=r"bad\.mp4"):
        transcode(clips["normal"], [good, bad], rotation=0, expected_duration=1.6)
    assert not [t for t in threading.enumerate() if t.name.startswith("encode-")]


def test_transcode_reports_cpu_per_output(clips: dict[str, Path], tmp_path: Path) -> None:
    spec = OutputSpec(
        path=tmp_path / "one.mp4",
        container_format="mp4",
        width=320,
        height=180,
        video_codec="libx264",
        video_options={"preset": "ultrafast"},
        audio_codec=None,
    )
    result = transcode(
        clips["normal"], [spec], rotation=0, expected_duration=1.6, still_times=[0.0, 99.0]
    )
    assert result.frames == 40
    assert set(result.cpu_seconds) == {"decode", "one.mp4"}
    assert result.cpu_seconds["one.mp4"] > 0
    assert len(result.stills) == 2
    assert result.stills[0].pts == 0
    assert result.stills[1].time == pytest.approx(1.56, abs=0.05), "past the end: last frame"


def test_cancel_stops_quickly(clips: dict[str, Path], tmp_path: Path) -> None:
    calls = 0

    def should_stop() -> bool:
        nonlocal calls
        calls += 1
        return calls > 5

    with pytest.raises(MediaError, match="cancelled"):
        convert(clips["normal"], tmp_path, file_code=CODE, should_stop=should_stop)
    assert calls == 6
    assert not [t for t in threading.enumerate() if t.name.startswith("encode-")]


def test_cancel_before_start(clips: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="cancelled"):
        convert(clips["normal"], tmp_path / "out", file_code=CODE, should_stop=lambda: True)
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_full_720p_conversion(tmp_path: Path) -> None:
    clip = make_sample_clip(tmp_path / "clip.mp4", seconds=10)
    result = convert(clip, tmp_path / "out", file_code=CODE)
    assert result.heights == (360, 480, 720)
    assert result.playtime == pytest.approx(10.0, abs=0.05)
    for height, name in result.mp4.items():
        _width, got, _seconds, frames, has_audio = decoded(tmp_path / "out" / name)
        assert got == height
        assert frames == 250
        assert has_audio


# ---------------------------------------------------------------- resize_jpeg


@pytest.mark.parametrize(
    ("asked", "expected"),
    [(300, (400, 300)), (100, (347, 260)), (260, (347, 260)), (2160, (2880, 2160))],
)
def test_resize_jpeg_keeps_aspect(tmp_path: Path, asked: int, expected: tuple[int, int]) -> None:
    source = tmp_path / "t.jpg"
    Image.new("RGB", (640, 480), (200, 30, 30)).save(source, "JPEG")
    with Image.open(io.BytesIO(resize_jpeg(source, asked))) as image:
        assert image.format == "JPEG"
        assert image.size == expected


@pytest.mark.parametrize("height", [0, -5, 2161])
def test_resize_jpeg_refuses_out_of_range(tmp_path: Path, height: int) -> None:
    source = jpeg_file(tmp_path / "t.jpg")
    with pytest.raises(ValueError, match="2160"):
        resize_jpeg(source, height)


def test_resize_jpeg_refuses_non_images(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="not an image"):
        resize_jpeg(text_as_mp4(tmp_path / "x.jpg"), 300)
    with pytest.raises(MediaError, match="not found"):
        resize_jpeg(tmp_path / "missing.jpg", 300)


# ---------------------------------------------------------------- make_sample_clip


def test_sample_clip_frames_are_distinct(tmp_path: Path) -> None:
    clip = make_sample_clip(tmp_path / "c.mp4", seconds=0.4, width=320, height=180, fps=10)
    with av.open(str(clip)) as container:
        images = [f.to_image().tobytes() for f in container.decode(video=0)]
    assert len(images) == 4
    assert len(set(images)) == 4


@pytest.mark.parametrize(
    "kwargs",
    [{"seconds": 0}, {"width": 15}, {"height": 721}, {"fps": 0}, {"rotation": 45}],
)
def test_sample_clip_refuses_bad_arguments(tmp_path: Path, kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        make_sample_clip(tmp_path / "c.mp4", **kwargs)  # type: ignore[arg-type]
