"""File browser benchmark: the first page of rows, thumbnails shown, against one info request.

An emulator with fast conversions runs in its own process and holds a page of
converted files (24, ``FileBrowser``'s default page). Info (``GET /me/file``) and thumbnail
requests get 100 ms of latency from the emulator's fault injection; the listing does not
(the target is about the rows). Trials alternate:

* **reference**: one ``client.file_info(code)``;
* **subject**: build ``FileBrowser(client)`` in this process and wait until every row of
  the page shows its thumbnail: an ``ipywidgets.Image`` with bytes and not hidden, found by
  walking the widget tree (what the front end would draw), for every file.

Target: within 2x one info request.

Usage::

    python benchmarks/bench_browser.py [--smoke] [--repeats N]
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

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

NAME = "browser"
TARGET = 2.0
LATENCY_MS = 100


def _walk(widget: Any) -> Iterator[Any]:
    yield widget
    for child in getattr(widget, "children", ()):
        yield from _walk(child)


def _shown(widget: Any) -> bool:
    return getattr(widget.layout, "display", None) != "none"


def visible_images(widget: Any) -> int:
    """How many non-empty ``ipywidgets.Image`` under ``widget`` are shown (all ancestors too)."""
    import ipywidgets

    if not _shown(widget):
        return 0
    if isinstance(widget, ipywidgets.Image):
        return 1 if widget.value else 0
    return sum(visible_images(child) for child in getattr(widget, "children", ()))


def _image_watch(browser: Any, expected: int) -> Callable[[], int]:
    """A cheap poll: the browser's ``Image`` widgets found once, then only their own state.

    Walking the whole tree (~800 widgets) every poll would take the GIL from the browser's
    own threads for milliseconds at a time and slow down what is measured. The rows are
    built once the first requests are out, so the tree is walked again until they exist.
    """
    import ipywidgets

    images: list[Any] = []

    def count() -> int:
        if len(images) < expected:
            images[:] = [w for w in _walk(browser) if isinstance(w, ipywidgets.Image)]
            if len(images) < expected:
                return 0
        return sum(1 for w in images if w.value and _shown(w))

    return count


def run(*, smoke: bool = False, repeats: int | None = None) -> list[Row]:
    """Time the first page with thumbnails against one info request; return the row."""
    from sv_widgets.widgets import FileBrowser

    files = 6 if smoke else 24
    repeats = repeats or (2 if smoke else 15)
    with (
        data_dir("sv-bench-browser-", fast=True) as data,
        BenchEmulator(data, fake_media=True) as emu,
    ):
        client = emu.client()
        codes = converted_files(emu, files)
        emu.latency(["file_get", "thumbnail"], LATENCY_MS)

        def one_info() -> None:
            client.file_info(codes[0])

        def browser() -> float:
            start = time.perf_counter()
            widget = FileBrowser(client, page_size=files)
            try:
                shown = _image_watch(widget, files)
                wait_until(lambda: shown() >= files, 60, poll=0.002)
                seconds = time.perf_counter() - start
                if visible_images(widget) != files:  # the full walk, once, outside the timing
                    raise RuntimeError(f"{visible_images(widget)} of {files} thumbnails shown")
            finally:
                widget.close()
            return seconds

        paired = interleave({"one info": one_info, "browser": browser}, repeats)
    ratio = paired.ratio("browser", "one info")
    t = paired.times
    return [
        Row(
            f"file browser: {files} rows with thumbnails, {LATENCY_MS} ms latency",
            fmt_seconds(paired.median("browser")),
            f"1 info {fmt_seconds(paired.median('one info'))}",
            ratio,
            f"<= {TARGET:.1f}x",
            None if smoke else ratio <= TARGET,
            f"median of {repeats} interleaved trials after 1 warm-up; browser "
            f"{fmt_spread(t['browser'])}, info {fmt_spread(t['one info'])}; "
            f"latency on info and thumbnail routes, none on the listing",
            {"times": t},
        )
    ]


def main(argv: list[str] | None = None) -> int:
    """Run alone and print the rows."""
    return standalone(
        run,
        argv,
        doc=__doc__ or "",
        smoke_help="6 rows, two trials, no verdict",
        default_repeats=15,
    )


if __name__ == "__main__":
    sys.exit(main())
