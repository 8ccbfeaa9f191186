"""Synthetic sample clips: real H.264 (+ AAC) MP4 files made in a fraction of a second.

Notebooks, the emulator's demo and the test suites (ours and our users') need video files
without downloading any. :func:`make_sample_clip` draws every frame with Pillow:

- a colourful textured background that scrolls (so encoders see real motion, not a flat
  picture that compresses to nothing),
- a red bar across the *top of the displayed picture* (tests use it to check that rotation
  is applied in the right direction),
- a white box that crosses the picture with a black frame counter in it, so every frame is
  distinct and a decoded frame can be told apart from its neighbours,
- an AAC tone whose pitch steps every second.

With ``rotation`` the picture is stored turned counter-clockwise and the stream carries a
display matrix asking players to turn it back clockwise, like a phone's portrait video: the
clip is *displayed* upright and ``height x width``.
"""

from __future__ import annotations

import math
from array import array
from fractions import Fraction
from pathlib import Path

import av
from PIL import Image, ImageDraw, ImageFilter, ImageFont

__all__ = ["make_sample_clip"]

_AUDIO_RATE = 48_000
_AUDIO_FRAME = 1024  # AAC's frame size
_TONES_HZ = (440.0, 554.37, 659.25, 880.0)
_ROTATIONS = {
    0: None,
    90: Image.Transpose.ROTATE_90,
    180: Image.Transpose.ROTATE_180,
    270: Image.Transpose.ROTATE_270,
}
_SCROLL_PX = 4  # background pixels moved per frame


def make_sample_clip(
    path: Path,
    *,
    seconds: float = 3.0,
    width: int = 1280,
    height: int = 720,
    fps: int = 25,
    audio: bool = True,
    rotation: int = 0,
) -> Path:
    """Write a synthetic H.264 (+ AAC) MP4 clip with moving, frame-distinct content.

    Parameters
    ----------
    path
        Where to write the ``.mp4`` file (its directory must exist; an existing file is
        replaced).
    seconds
        Duration, more than 0 and at most 3600.
    width, height
        Stored (coded) picture size in pixels: even numbers from 16 to 4096.
    fps
        Frames per second, 1 to 120.
    audio
        Add a stereo 48 kHz AAC tone track.
    rotation
        0, 90, 180 or 270: clockwise degrees a player must turn the stored picture to show it
        upright (the display matrix of phone videos). With 90 or 270 the clip displays as
        ``height x width``.

    Returns
    -------
    Path
        ``path``, for chaining.

    Raises
    ------
    ValueError
        If a parameter is out of range; the message names it and the allowed values.
    """
    _check_arguments(seconds, width, height, fps, rotation)
    path = Path(path)
    transpose = _ROTATIONS[rotation]
    display_w, display_h = (height, width) if rotation in (90, 270) else (width, height)
    frame_count = max(1, round(seconds * fps))
    background = _background(display_w, display_h, frame_count)
    font = ImageFont.load_default(size=max(10, display_h // 12))

    with av.open(str(path), "w", format="mp4") as container:
        video = container.add_stream(
            "libx264",
            rate=fps,
            options={"preset": "ultrafast", "crf": "20", "g": str(2 * fps)},
        )
        video.width, video.height = width, height
        video.pix_fmt = "yuv420p"
        if rotation:
            # PyAV's angle is counter-clockwise; ours is the clockwise turn to display.
            video.set_display_rotation(-rotation)
        tone = (
            _Tone(container.add_stream("aac", rate=_AUDIO_RATE, layout="stereo")) if audio else None
        )

        for index in range(frame_count):
            picture = _draw_frame(background, index, display_w, display_h, font)
            if transpose is not None:
                picture = picture.transpose(transpose)
            frame = av.VideoFrame.from_image(picture)  # type: ignore[no-untyped-call]
            frame.pts = index
            frame.time_base = Fraction(1, fps)
            container.mux(video.encode(frame))
            if tone is not None:
                tone.write_until((index + 1) / fps)
        container.mux(video.encode(None))
        if tone is not None:
            tone.finish()
    return path


def _check_arguments(seconds: float, width: int, height: int, fps: int, rotation: int) -> None:
    if not 0 < seconds <= 3600:
        raise ValueError(f"seconds must be more than 0 and at most 3600, not {seconds!r}")
    for name, value in (("width", width), ("height", height)):
        if not (16 <= value <= 4096 and value % 2 == 0):
            raise ValueError(f"{name} must be an even number from 16 to 4096, not {value!r}")
    if not 1 <= fps <= 120:
        raise ValueError(f"fps must be from 1 to 120, not {fps!r}")
    if rotation not in _ROTATIONS:
        raise ValueError(f"rotation must be one of 0, 90, 180, 270, not {rotation!r}")


def _background(width: int, height: int, frame_count: int) -> Image.Image:
    """A colourful texture wider and taller than the picture, scrolled frame by frame."""
    travel = min(frame_count * _SCROLL_PX, 2 * width)
    size = (width + travel, height + travel // 2)
    noise = Image.effect_noise(size, 60).filter(ImageFilter.GaussianBlur(2))
    across = Image.linear_gradient("L").rotate(90).resize(size)
    down = Image.linear_gradient("L").resize(size)
    return Image.merge("RGB", (across, noise, down))


def _draw_frame(
    background: Image.Image,
    index: int,
    width: int,
    height: int,
    font: ImageFont.FreeTypeFont | ImageFont.ImageFont,
) -> Image.Image:
    travel_x = background.width - width
    # Ping-pong so that clips longer than the texture keep moving.
    step = (index * _SCROLL_PX) % (2 * travel_x) if travel_x else 0
    x = step if step <= travel_x else 2 * travel_x - step
    y = x // 2
    picture = background.crop((x, y, x + width, y + height))
    draw = ImageDraw.Draw(picture)
    draw.rectangle((0, 0, width, max(2, height // 12)), fill=(220, 20, 20))
    box = max(8, min(width, height) // 3)
    box_x = (index * max(1, width // 50)) % max(1, width - box)
    box_y = (height - box) // 2
    draw.rectangle((box_x, box_y, box_x + box, box_y + box), fill=(245, 245, 245))
    draw.text(
        (box_x + box // 2, box_y + box // 2), str(index), fill=(0, 0, 0), font=font, anchor="mm"
    )
    return picture


class _Tone:
    """A continuous-phase stereo sine whose pitch steps every second, encoded to AAC."""

    def __init__(self, stream: av.AudioStream) -> None:
        self._stream = stream
        self._written = 0  # samples
        self._phase = 0.0

    def write_until(self, seconds: float) -> None:
        while self._written + _AUDIO_FRAME <= seconds * _AUDIO_RATE:
            self._write_frame()

    def finish(self) -> None:
        container = self._stream.container
        assert isinstance(container, av.container.OutputContainer)
        container.mux(self._stream.encode(None))

    def _write_frame(self) -> None:
        hz = _TONES_HZ[(self._written // _AUDIO_RATE) % len(_TONES_HZ)]
        step = 2 * math.pi * hz / _AUDIO_RATE
        samples = array("f", (0.2 * math.sin(self._phase + i * step) for i in range(_AUDIO_FRAME)))
        self._phase = (self._phase + _AUDIO_FRAME * step) % (2 * math.pi)
        frame = av.AudioFrame(format="fltp", layout="stereo", samples=_AUDIO_FRAME)
        data = samples.tobytes()
        for plane in frame.planes:
            plane.update(data)
        frame.sample_rate = _AUDIO_RATE
        frame.pts = self._written
        frame.time_base = Fraction(1, _AUDIO_RATE)
        self._written += _AUDIO_FRAME
        container = self._stream.container
        assert isinstance(container, av.container.OutputContainer)
        container.mux(self._stream.encode(frame))
