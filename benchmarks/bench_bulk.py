"""Bulk upload benchmark: ``%%sv_upload`` of 20 small files, parallel against one at a time.

``python -m sv_widgets.emulator`` runs in its own process with 100 ms of latency on upload
initiation and on the upload POST. The magic runs for real in an IPython
``InteractiveShell`` in this process (``%load_ext sv_widgets``, credentials from
``SV_PUBLIC_KEY``/``SV_PRIVATE_KEY``/``SV_API_URL``, text progress as in a terminal). Trials
alternate, each uploading the same 20 files of 256 KiB with ``--no-convert``:

* **reference**: ``%%sv_upload --no-convert --parallel 1``;
* **subject**: ``%%sv_upload --no-convert`` (the default parallelism, ``%config
  SpareVideos.parallel``).

Every trial must return 20 codes; they are deleted (untimed) before the next one.

Target: the default is at least 2.5x faster, i.e. a time ratio <= 0.40.

Usage::

    python benchmarks/bench_bulk.py [--smoke] [--repeats N]
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
from pathlib import Path

from _common import (
    BenchEmulator,
    Row,
    data_dir,
    fmt_seconds,
    fmt_spread,
    interleave,
    magics_environment,
    standalone,
)

NAME = "bulk"
SPEEDUP = 2.5
LATENCY_MS = 100
FILE_BYTES = 256 * 1024


def run(*, smoke: bool = False, repeats: int | None = None) -> list[Row]:
    """Time the cell magic at its default parallelism against ``--parallel 1``."""
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    count = 6 if smoke else 20
    repeats = repeats or (1 if smoke else 5)
    with (
        tempfile.TemporaryDirectory(prefix="sv-bench-bulk-") as tmp,
        data_dir("sv-bench-bulk-data-", fast=True) as data,
        BenchEmulator(data) as emu,
        magics_environment(emu, str(Path(tmp) / "config")),
    ):
        paths = []
        for i in range(count):
            path = Path(tmp) / f"clip-{i:02d}.mp4"
            path.write_bytes(os.urandom(FILE_BYTES))
            paths.append(path)
        cell = "\n".join(str(p) for p in paths)
        config = Config()
        config.HistoryManager.enabled = False
        shell = InteractiveShell.instance(config=config)
        shell.run_line_magic("load_ext", "sv_widgets")
        parallel = int(shell.run_line_magic("config", "SpareVideos.parallel") or 0)
        client = emu.client()
        emu.latency(["initiate", "upload"], LATENCY_MS)
        uploaded: list[str] = []

        def magic(options: str) -> None:
            with contextlib.redirect_stdout(io.StringIO()) as out:
                codes = shell.run_cell_magic("sv_upload", options, cell)  # type: ignore[no-untyped-call]
            if not isinstance(codes, list) or len(codes) != count or None in codes:
                raise RuntimeError(f"%%sv_upload {options} failed: {out.getvalue()[-2000:]}")
            uploaded.extend(codes)

        def cleanup() -> None:
            if uploaded:
                client.delete(uploaded)
                uploaded.clear()

        paired = interleave(
            {
                "one at a time": lambda: magic("--no-convert --parallel 1"),
                "default": lambda: magic("--no-convert"),
            },
            repeats,
            between=cleanup,
        )
        shell.run_line_magic("unload_ext", "sv_widgets")
    InteractiveShell.clear_instance()
    ratio = paired.ratio("default", "one at a time")
    t = paired.times
    return [
        Row(
            f"bulk upload: %%sv_upload of {count} files, {LATENCY_MS} ms latency",
            fmt_seconds(paired.median("default")),
            f"--parallel 1 {fmt_seconds(paired.median('one at a time'))}",
            ratio,
            f"<= {1 / SPEEDUP:.2f}x ({SPEEDUP}x faster)",
            None if smoke else ratio <= 1 / SPEEDUP,
            f"default parallel={parallel or '?'}; median of {repeats} interleaved trials after "
            f"1 warm-up; default {fmt_spread(t['default'])}, --parallel 1 "
            f"{fmt_spread(t['one at a time'])}; {FILE_BYTES // 1024} KiB files, --no-convert",
            {"times": t},
        )
    ]


def main(argv: list[str] | None = None) -> int:
    """Run alone and print the rows."""
    return standalone(
        run, argv, doc=__doc__ or "", smoke_help="6 files, one trial, no verdict", default_repeats=5
    )


if __name__ == "__main__":
    sys.exit(main())
