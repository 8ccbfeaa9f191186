"""Run every benchmark and print one table: figure, reference, ratio, target, met?

Each figure is measured side by side with its reference in the same run (interleaved
trials, medians); see each ``bench_*.py`` docstring for its method. ``--smoke`` runs
everything at a reduced size with no verdicts (CI: it proves the suite runs, never that a
shared machine was fast).

Usage::

    python benchmarks/run.py                       # full size (1 GiB uploads...)
    python benchmarks/run.py --smoke               # reduced size, no verdicts
    python benchmarks/run.py --only upload gallery # some of them
    python benchmarks/run.py --markdown benchmarks/results.md

Exit status: 0 when every judged target is met (always, for ``--smoke``, unless a
benchmark fails to run), 1 when a target is missed or a benchmark crashed.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import os
import platform
import signal
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import MIB, Row, verdict

Runner = Callable[[bool, "int | None"], list[Row]]


def _ours(module: str) -> Runner:
    def run(smoke: bool, repeats: int | None) -> list[Row]:
        rows: list[Row] = importlib.import_module(module).run(smoke=smoke, repeats=repeats)
        return rows

    return run


def _ingest(smoke: bool, repeats: int | None) -> list[Row]:
    """``bench_ingest.run(size)``: curl into the emulator, absolute targets."""
    size = 64 * MIB if smoke else 1024 * MIB
    r: dict[str, Any] = importlib.import_module("bench_ingest").run(size)
    ok = r["mb_per_s"] >= 150 and r["peak_rss_mb"] < 200
    return [
        Row(
            f"emulator ingest: curl {size // MIB} MiB",
            f"{r['mb_per_s']} MB/s, peak {r['peak_rss_mb']} MB",
            f"idle {r['idle_rss_mb']} MB",
            r["peak_rss_mb"] / r["idle_rss_mb"] if r["idle_rss_mb"] > 0 else None,
            ">= 150 MB/s, peak < 200 MB",
            None if smoke else ok,
            f"one upload, {r['seconds']} s (benchmarks/bench_ingest.py)",
            r,
        )
    ]


def _load(smoke: bool, repeats: int | None) -> list[Row]:
    """``bench_load.run()``: ``%load_ext sv_widgets`` vs a trivial extension."""
    r: dict[str, Any] = importlib.import_module("bench_load").run(trials=repeats or 15, smoke=smoke)
    heavy = ", ".join(r["forbidden_loaded"]) or "none"
    return [
        Row(
            "extension load: %load_ext sv_widgets",
            f"{r['seconds'] * 1000:.1f} ms",
            f"trivial ext {r['reference_seconds'] * 1000:.1f} ms",
            r["ratio"],
            f"< {r['target_seconds'] * 1000:.0f} ms, no av/server",
            None if smoke and not r["forbidden_loaded"] else bool(r["ok"]),
            f"median of {r['trials']} fresh subprocesses each, interleaved; heavy imports: "
            f"{heavy}; deferred imported: {', '.join(r['deferred_loaded']) or 'none'}",
            r,
        )
    ]


def _conversion(smoke: bool, repeats: int | None) -> list[Row]:
    """``bench_conversion.run(seconds)``: convert a 720p clip (target: within real time)."""
    seconds = 1.0 if smoke else 10.0
    r: dict[str, Any] = importlib.import_module("bench_conversion").run(seconds)
    total, single = r["total_s"], r["reference_single_encode_s"]
    cpu: dict[str, float] = r["cpu"]
    spent = sum(cpu.values()) or 1.0
    shares = ", ".join(
        f"{name.rsplit('_', 1)[-1]} {100 * value / spent:.0f}%"  # "{code}_720.mp4" -> "720.mp4"
        for name, value in sorted(cpu.items(), key=lambda kv: -kv[1])
    )
    return [
        Row(
            f"conversion: {seconds:g} s 720p clip, every output",
            f"{total:.2f} s",
            f"1 x264 720p encode {single:.2f} s",
            total / single if single > 0 else None,
            f"<= {seconds:g} s (real time)",
            None if smoke else total <= seconds,
            f"one run each (benchmarks/bench_conversion.py); renditions {r['heights']}, "
            f"decode alone {r['reference_decode_s']:.2f} s; {spent:.1f} CPU s in all, "
            f"shared as {shares}; peak memory {r['peak_over_idle_bytes'] / 1e6:.0f} MB over "
            "the process's before",
            r,
        )
    ]


BENCHMARKS: dict[str, Runner] = {
    "upload": _ours("bench_upload"),
    "gallery": _ours("bench_gallery"),
    "listing": _ours("bench_listing"),
    "browser": _ours("bench_browser"),
    "bulk": _ours("bench_bulk"),
    "load": _load,
    "ingest": _ingest,
    "conversion": _conversion,
    "fixture": _ours("bench_fixture"),
    "dropzone": _ours("bench_dropzone"),
    "cancel": _ours("bench_cancel"),
}

HEADERS = ("benchmark", "subject", "reference", "ratio", "target", "met?")


def _cells(row: Row) -> tuple[str, ...]:
    ratio = "-" if row.ratio is None else f"{row.ratio:.2f}x"
    return (row.name, row.subject, row.reference, ratio, row.target, verdict(row.met))


def table(rows: list[Row]) -> str:
    """The rows as an aligned plain-text table."""
    lines = [HEADERS, *(_cells(r) for r in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(HEADERS))]
    out = ["  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) for line in lines]
    out.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(out)


NOTES_HEADING = "## Design measurements"


def markdown(rows: list[Row], *, smoke: bool, elapsed: float) -> str:
    """The results page: when, where, the table and how each figure was measured."""
    esc = [tuple(c.replace("|", "\\|") for c in _cells(r)) for r in rows]
    body = [
        "| " + " | ".join(HEADERS) + " |",
        "|" + "|".join("---" for _ in HEADERS) + "|",
        *("| " + " | ".join(cells) + " |" for cells in esc),
    ]
    notes = [f"- **{r.name}**: {r.note}" for r in rows if r.note]
    return "\n".join(
        [
            "# Benchmark results",
            "",
            f"Run `python benchmarks/run.py{' --smoke' if smoke else ''}` on {machine()}.",
            f"Size: {'smoke (reduced, not judged)' if smoke else 'full'}; "
            f"the suite took {elapsed / 60:.1f} min.",
            "",
            *body,
            "",
            "How each figure was measured (median [min-max] of the trials):",
            "",
            *notes,
            "",
        ]
    )


def kept_notes(page: Path) -> str:
    """The hand-written part of an existing results page (from :data:`NOTES_HEADING` on).

    Measurements that explain a design choice (why these encoder settings) are written by
    hand below the generated table; a new run replaces the table and keeps them.
    """
    try:
        text = page.read_text()
    except OSError:
        return ""
    start = text.find(NOTES_HEADING)
    return "" if start < 0 else "\n" + text[start:]


def machine() -> str:
    """Date, CPU, cores, memory, OS, Python and commit of this run."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{mem_kb / 1024**2:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        memory = "RAM unknown"
    here = Path(__file__).resolve().parent
    try:
        commit = _git(here, "rev-parse", "--short", "HEAD").strip()
        # tracked files changed since that commit (results.md itself is written after this)
        if _git(here, "status", "--porcelain", "--untracked-files=no").strip():
            commit += " (plus uncommitted work)"
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"{now}, {cpu}, {os.cpu_count()} CPUs, {memory}, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}, commit {commit}"
    )


def _git(where: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], capture_output=True, text=True, check=True, cwd=where
    ).stdout


def main(argv: list[str] | None = None) -> int:
    """Run the chosen benchmarks, print the table, optionally write it as Markdown."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--smoke", action="store_true", help="reduced sizes, no verdicts (CI)")
    p.add_argument(
        "--only", nargs="+", choices=sorted(BENCHMARKS), metavar="NAME", help="run only these"
    )
    p.add_argument("--markdown", type=Path, metavar="FILE", help="also write the table here")
    p.add_argument("--repeats", type=int, help="override every benchmark's trial count")
    args = p.parse_args(argv)
    # A terminated run unwinds like an interrupted one: every benchmark's servers, browsers
    # and emulators are stopped by the context managers that started them.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    names = args.only or list(BENCHMARKS)
    rows: list[Row] = []
    crashed = False
    started = time.perf_counter()
    for name in names:
        load = os.getloadavg()[0]
        print(f"== {name} (load average {load:.1f} on {os.cpu_count()} CPUs)", flush=True)
        t0 = time.perf_counter()
        try:
            new = BENCHMARKS[name](args.smoke, args.repeats)
        except ModuleNotFoundError as exc:
            if exc.name != f"bench_{name}":
                raise
            new = [Row(name, "-", "-", None, "-", None, f"benchmarks/bench_{name}.py not found")]
        except Exception as exc:  # one broken benchmark must not hide the others' figures
            traceback.print_exc()
            crashed = True
            new = [Row(name, "ERROR", "-", None, "-", False, f"{type(exc).__name__}: {exc}")]
        for row in new:
            row.note += f"; load average {load:.1f} -> {os.getloadavg()[0]:.1f}"
            print(f"   {' | '.join(_cells(row))}\n   method: {row.note}", flush=True)
        print(f"   ({time.perf_counter() - t0:.0f} s)", flush=True)
        rows.extend(new)
    elapsed = time.perf_counter() - started
    print()
    print(table(rows))
    print(f"\n{machine()}; {elapsed:.0f} s{'; smoke: not judged' if args.smoke else ''}")
    if args.markdown:
        page = markdown(rows, smoke=args.smoke, elapsed=elapsed) + kept_notes(args.markdown)
        args.markdown.write_text(page)
        print(f"wrote {args.markdown}")
    missed = any(r.met is False for r in rows)
    return 1 if crashed or missed else 0


if __name__ == "__main__":
    sys.exit(main())
