"""Gallery benchmark: ``ThumbnailGallery`` loading 15 thumbnails against one image request.

An emulator with fast conversions runs in its own process and holds one converted
file with 15 thumbnails (3 heights x 5). Every thumbnail request (list and images) is given
100 ms of latency by the emulator's fault injection. Trials alternate:

* **reference**: one ``client.thumbnail_image(code, name, size=260)`` call;
* **subject**: build ``ThumbnailGallery(client, code)`` in this process (the shared
  thumbnail cache cleared first) and wait until ``status == "ready"`` with all 15 images
  in its ``images`` trait, i.e. what the front end is sent.

Target: at most 3x one request (sequential loading would be about 16x: the
list, then 15 images).

Usage::

    python benchmarks/bench_gallery.py [--smoke] [--repeats N]
"""

from __future__ import annotations

import sys

from _common import (
    BenchEmulator,
    Row,
    converted_files,
    data_dir,
    fmt_seconds,
    fmt_spread,
    interleave,
    standalone,
    wait_until,
)

NAME = "gallery"
TARGET = 3.0
LATENCY_MS = 100


def run(*, smoke: bool = False, repeats: int | None = None) -> list[Row]:
    """Time the gallery's full load against one thumbnail request; return the row."""
    from sv_widgets.widgets import ThumbnailGallery
    from sv_widgets.widgets._cache import thumbnail_cache

    repeats = repeats or (2 if smoke else 15)
    with (
        data_dir("sv-bench-gallery-", fast=True) as data,
        BenchEmulator(data, fake_media=True) as emu,
    ):
        client = emu.client()
        (code,) = converted_files(emu, 1)
        thumbs = client.thumbnails(code)
        count = len(thumbs)
        emu.latency(["thumbnail"], LATENCY_MS)

        def one_request() -> None:
            client.thumbnail_image(code, thumbs[0].file_name, size=260)

        def gallery() -> None:
            thumbnail_cache.clear()
            widget = ThumbnailGallery(client, code)
            try:
                wait_until(
                    lambda: widget.status != "loading" and len(widget.images) == count, 60, 0.002
                )
                if widget.status != "ready":
                    raise RuntimeError(f"gallery ended {widget.status}: {widget.message}")
            finally:
                widget.close()

        paired = interleave({"one request": one_request, "gallery": gallery}, repeats)
    ratio = paired.ratio("gallery", "one request")
    t = paired.times
    return [
        Row(
            f"gallery: {count} thumbnails, {LATENCY_MS} ms latency",
            fmt_seconds(paired.median("gallery")),
            f"1 request {fmt_seconds(paired.median('one request'))}",
            ratio,
            f"<= {TARGET:.1f}x",
            None if smoke else ratio <= TARGET,
            f"median of {repeats} interleaved trials after 1 warm-up; gallery "
            f"{fmt_spread(t['gallery'])}, request {fmt_spread(t['one request'])}; "
            f"sequential would be {count + 1}x",
            {"times": t},
        )
    ]


def main(argv: list[str] | None = None) -> int:
    """Run alone and print the rows."""
    return standalone(
        run, argv, doc=__doc__ or "", smoke_help="two trials, no verdict", default_repeats=15
    )


if __name__ == "__main__":
    sys.exit(main())
