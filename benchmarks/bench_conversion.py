"""Benchmark: convert a 10 s 720p clip with audio into every output the emulator serves.

Usage::

    python benchmarks/bench_conversion.py [--seconds 10] [--smoke]

Prints the wall time of a full :func:`sv_widgets.emulator.media.pipeline.convert` (the
target: at most 10 s for a 10 s 720p clip on a 2-core machine, i.e. real time), then each
output's share of the work, then two reference runs on the same source: decoding it alone,
and a plain single-rendition decode + x264 encode (what one ``ffmpeg -i src -s 1280x720
out.mp4`` costs).

Outputs are encoded in parallel threads, so their shares are CPU seconds (per thread), not
slices of the wall time; the staged breakdown re-runs each step of ``convert`` on its own.
Exits non-zero only on errors; it asserts no timing.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import av
from _common import vm_hwm

from sv_widgets.emulator.media.packaging import package_dash, package_hls
from sv_widgets.emulator.media.pipeline import SEGMENT_SECONDS, convert, probe, rendition_heights
from sv_widgets.emulator.media.renditions import output_specs, rendition_width, write_thumbnails
from sv_widgets.emulator.media.samples import make_sample_clip
from sv_widgets.emulator.media.transcode import transcode

FILE_CODE = "1700000000-BENCH1"


def run(seconds: float = 10.0) -> dict[str, Any]:
    """Run the benchmark on a ``seconds`` long 720p clip; return every figure measured.

    Returns
    -------
    dict
        ``total_s`` (wall time of ``convert``), ``peak_over_idle_bytes`` (this process's
        peak RSS during it over its RSS before), ``clip_s`` (making the clip),
        ``reference_decode_s``, ``reference_single_encode_s``, ``stages`` (wall seconds per
        stage of a staged re-run) and ``cpu`` (CPU seconds per output, decode included).
    """
    with tempfile.TemporaryDirectory(prefix="sv-bench-") as tmp:
        base = Path(tmp)
        started = time.perf_counter()
        clip = make_sample_clip(base / "clip.mp4", seconds=seconds, width=1280, height=720)
        clip_s = time.perf_counter() - started

        idle = _rss()
        Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS now (Linux)
        started = time.perf_counter()
        result = convert(clip, base / "full", file_code=FILE_CODE)
        total_s = time.perf_counter() - started
        peak_over_idle = vm_hwm() - idle

        stages, cpu = _staged(clip, base / "staged")
        return {
            "seconds": seconds,
            "clip_s": clip_s,
            "total_s": total_s,
            "peak_over_idle_bytes": peak_over_idle,
            "heights": list(result.heights),
            "webm_heights": sorted(result.webm),
            "stages": stages,
            "cpu": cpu,
            "reference_decode_s": _reference_decode(clip),
            "reference_single_encode_s": _reference_single_encode(clip, base / "single.mp4"),
        }


def _rss() -> int:
    """This process's ``VmRSS``, bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def _staged(clip: Path, out: Path) -> tuple[dict[str, float], dict[str, float]]:
    """Each step of ``convert`` timed on its own (wall seconds), and CPU per output."""
    info = probe(clip)
    heights = rendition_heights(info.height)
    specs = output_specs(
        display_width=info.width,
        display_height=info.height,
        heights=heights,
        has_audio=info.has_audio,
        out_dir=out,
        file_code=FILE_CODE,
        mp4_only=False,
    )
    for sub in ("mp4", "webm"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    stages: dict[str, float] = {}
    started = time.perf_counter()
    decoded = transcode(
        clip,
        list(specs.values()),
        rotation=info.rotation,
        expected_duration=info.duration,
        still_times=[info.duration * p for p in (0.1, 0.3, 0.5, 0.7, 0.9)],
    )
    stages["decode + encode (parallel)"] = time.perf_counter() - started
    started = time.perf_counter()
    sizes = {h: rendition_width(info.width, info.height, h) for h in heights}
    write_thumbnails(decoded.stills, sizes, out / "thumbnails", FILE_CODE)
    stages["thumbnails"] = time.perf_counter() - started
    mp4 = {h: specs["mp4", h].path for h in heights}
    started = time.perf_counter()
    package_hls(mp4, out / "hls", segment_seconds=SEGMENT_SECONDS)
    stages["hls (remux)"] = time.perf_counter() - started
    started = time.perf_counter()
    package_dash(mp4, out / "dash" / "manifest.mpd", segment_seconds=SEGMENT_SECONDS)
    stages["dash (remux)"] = time.perf_counter() - started
    cpu = dict(decoded.cpu_seconds)
    cpu["thumbnails"] = stages["thumbnails"]
    cpu["hls (remux)"] = stages["hls (remux)"]
    cpu["dash (remux)"] = stages["dash (remux)"]
    return stages, cpu


def _reference_decode(clip: Path) -> float:
    started = time.perf_counter()
    with av.open(str(clip)) as container:
        container.streams.video[0].thread_type = "AUTO"
        for _ in container.decode(video=0):
            pass
    return time.perf_counter() - started


def _reference_single_encode(clip: Path, dest: Path) -> float:
    """Decode + one x264 ``veryfast`` 720p encode with x264's own threading: the baseline."""
    started = time.perf_counter()
    with av.open(str(clip)) as source, av.open(str(dest), "w") as output:
        video = source.streams.video[0]
        video.thread_type = "AUTO"
        stream = output.add_stream("libx264", rate=video.average_rate or 25)
        stream.options = {"preset": "veryfast", "crf": "23"}
        stream.width, stream.height, stream.pix_fmt = 1280, 720, "yuv420p"
        for frame in source.decode(video):
            frame.pict_type = av.video.frame.PictureType.NONE
            output.mux(stream.encode(frame))
        output.mux(stream.encode(None))
    return time.perf_counter() - started


def _print_report(figures: dict[str, Any]) -> None:
    seconds = figures["seconds"]
    print(
        f"source: {seconds:g} s, 1280x720, 25 fps, H.264 + AAC (made in {figures['clip_s']:.2f} s)"
    )
    print(
        f"renditions: mp4 {figures['heights']}, webm {figures['webm_heights']}, hls, dash, "
        f"{5 * len(figures['heights'])} thumbnails"
    )
    print(
        f"\nconvert() total wall time: {figures['total_s']:.2f} s "
        f"({figures['total_s'] / seconds:.2f} s per second of video)\n"
    )
    cpu: dict[str, float] = figures["cpu"]
    total_cpu = sum(cpu.values())
    print(f"{'output':<34}{'CPU s':>8}{'share':>8}")
    for name, value in sorted(cpu.items(), key=lambda item: -item[1]):
        label = name.replace(f"{FILE_CODE}_", "")
        print(f"{label:<34}{value:>8.2f}{100 * value / total_cpu:>7.1f}%")
    print(f"{'all outputs':<34}{total_cpu:>8.2f}{100.0:>7.1f}%")
    print("\nstaged re-run (wall s):")
    for name, value in figures["stages"].items():
        print(f"  {name:<32}{value:>8.2f}")
    print("\nreference runs (wall s):")
    print(f"  {'decode only':<32}{figures['reference_decode_s']:>8.2f}")
    print(f"  {'decode + one 720p x264 encode':<32}{figures['reference_single_encode_s']:>8.2f}")
    print(f"  {'full convert (all outputs)':<32}{figures['total_s']:>8.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="clip length (default 10)")
    parser.add_argument("--smoke", action="store_true", help="a 1 s clip: checks it runs")
    args = parser.parse_args(argv)
    try:
        figures = run(1.0 if args.smoke else args.seconds)
    except Exception as error:  # report any failure as an exit status, not a traceback
        print(f"benchmark failed: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    _print_report(figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
