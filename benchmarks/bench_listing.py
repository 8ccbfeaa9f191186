"""Listing benchmark: ``Client.iter_files`` over 25 pages against one page request.

The emulator's store is seeded before the emulator starts, through the store's public
methods (``Store.add_ticket`` + ``Store.add_file``: one spent ticket per file, exactly the
rows a real upload leaves), with 50,000 codes for one account on tmpfs when there is one;
then ``python -m sv_widgets.emulator`` serves it in its own process with 100 ms of latency
on ``GET /me/files``. Trials alternate:

* **reference**: one ``client.list_files(1)`` (2000 codes);
* **subject**: ``list(client.iter_files())``, checked once to be all 50,000 codes in order.

Target: at most 6x one page (sequential paging would be 25x).

Usage::

    python benchmarks/bench_listing.py [--smoke] [--repeats N]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from _common import (
    PRIVATE,
    PUBLIC,
    BenchEmulator,
    Row,
    data_dir,
    fmt_seconds,
    fmt_spread,
    interleave,
    standalone,
)

NAME = "listing"
TARGET = 6.0
LATENCY_MS = 100
PAGES = 25


def seed(directory: Path, count: int, *, owner: str = PUBLIC) -> list[str]:
    """Create ``count`` file records for ``owner`` in a (stopped) emulator's data dir."""
    from sv_widgets.emulator.domain.store import Store

    store = Store(directory)
    try:
        store.put_account(PUBLIC, PRIVATE)
        now = int(time.time())
        codes = [f"{now - count + i}-{i:06d}" for i in range(count)]
        for i, code in enumerate(codes):
            ref = f"bench-seed-{i}"
            store.add_ticket(ref, owner, now + 3600)
            store.add_file(
                ref=ref, code=code, owner=owner, created=now - count + i, extension="mp4", size=1
            )
    finally:
        store.close()
    return codes


def run(*, smoke: bool = False, repeats: int | None = None) -> list[Row]:
    """Time the whole listing against one page; return the row."""
    page_size = 100 if smoke else 2000
    total = PAGES * page_size
    repeats = repeats or (2 if smoke else 9)
    with data_dir("sv-bench-listing-", fast=True) as data:
        started = time.perf_counter()
        codes = seed(data, total)
        seeding = time.perf_counter() - started
        with BenchEmulator(data, extra=["--page-size", str(page_size)]) as emu:
            client = emu.client()
            emu.latency(["files_get"], LATENCY_MS)
            listed = list(client.iter_files())
            if listed != codes:
                raise RuntimeError(f"iter_files gave {len(listed)} codes, not the {total} seeded")

            def one_page() -> None:
                client.list_files(1)

            def everything() -> None:
                n = sum(1 for _ in client.iter_files())
                if n != total:
                    raise RuntimeError(f"iter_files gave {n} codes, expected {total}")

            paired = interleave({"one page": one_page, "iter_files": everything}, repeats)
    ratio = paired.ratio("iter_files", "one page")
    t = paired.times
    return [
        Row(
            f"listing: {total:,} codes ({PAGES} pages), {LATENCY_MS} ms latency",
            fmt_seconds(paired.median("iter_files")),
            f"1 page {fmt_seconds(paired.median('one page'))}",
            ratio,
            f"<= {TARGET:.1f}x",
            None if smoke else ratio <= TARGET,
            f"median of {repeats} interleaved trials after 1 warm-up; iter_files "
            f"{fmt_spread(t['iter_files'])}, page {fmt_spread(t['one page'])}; "
            f"sequential would be {PAGES}x; seeded {total:,} records in {seeding:.1f} s",
            {"times": t},
        )
    ]


def main(argv: list[str] | None = None) -> int:
    """Run alone and print the rows."""
    return standalone(
        run, argv, doc=__doc__ or "", smoke_help="pages of 100 codes, no verdict", default_repeats=9
    )


if __name__ == "__main__":
    sys.exit(main())
