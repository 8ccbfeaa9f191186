"""Cancel benchmark: how long a cancel takes when the upload server holds the request back.

The emulator runs in its own process; its ``upload:stall`` fault holds the upload's request
and reads none of its body, so the sender's socket fills and its send blocks (a server that
stopped reading, as a stalled uplink looks too). Each trial uploads a sparse 1 GiB file, waits
until the server holds the request and bytes have gone out, cancels, and times the cancel to
the end the person sees. Four subjects, each in this process as in a kernel:

* **client**: ``Client.upload(path, cancel=event)``; ``event.set()`` to the call raising;
* **UploadProgress**: its ``cancel()`` (what the Cancel button calls) to the upload's end;
* **%sv_upload**: a real ``InteractiveShell`` running ``%sv_upload PATH --no-convert`` (text
  progress, as in a terminal), interrupted with SIGINT (Ctrl-C, a kernel interrupt, or the
  Cancel button while the cell waits) to the cell's end;
* **upload area**: ``UploadDropzone`` relaying the file from the browser tests' Python page
  (``tests/helpers/dropzone_page.py``, what the page does), its row's Cancel to the row's end.

Reference, side by side: the same cancel while the server reads (no fault), once 8 MiB went.
Every cancel must store nothing; a trial that stores a file fails the benchmark. The page's
own direct upload is aborted by the browser; the browser tests report its figure.

Target: the stalled cancel's median under one second for every subject (the ratio to the
flowing reference is information).

Usage::

    python benchmarks/bench_cancel.py [--smoke] [--repeats N]
"""

from __future__ import annotations

import contextlib
import functools
import io
import signal
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import requests
from _common import (
    HERE,
    MIB,
    BenchEmulator,
    Row,
    data_dir,
    fmt_seconds,
    fmt_spread,
    interleave,
    magics_environment,
    standalone,
    wait_until,
)

from sv_widgets.emulator import EmulatorProcess

NAME = "cancel"
TARGET_SECONDS = 1.0
FLOWING_BYTES = 8 * MIB  # the reference cancels once this much went out
WAIT = 60.0


class Bench:
    """One emulator, a sparse file, and how to hold the upload server back."""

    def __init__(self, emu: EmulatorProcess, path: Path) -> None:
        self.emu = emu
        self.path = path
        self.client = emu.client(timeout=(120, 120))  # no socket timeout ends a trial

    def faults(self) -> dict[str, Any]:
        answer: dict[str, Any] = requests.get(
            f"{self.emu.base_url}/_emulator/faults", timeout=10
        ).json()
        return answer

    def holding(self) -> bool:
        return any(r["holding"] for r in self.faults()["rules"])

    def prepare(self, stalled: bool) -> None:
        self.emu.set_faults(["upload:stall"] if stalled else [])

    def ready(self, stalled: bool, sent: Callable[[], int]) -> None:
        """Until the server holds the request (stalled) or enough bytes went (flowing)."""
        if stalled:
            wait_until(lambda: self.holding() and sent() > 0, WAIT, poll=0.005)
        else:
            wait_until(lambda: sent() >= FLOWING_BYTES, WAIT)

    def settle(self) -> None:
        """Let the server go, wait until the held request is answered; nothing was stored."""
        self.emu.set_faults([])
        wait_until(lambda: self.faults()["stalled"] == 0, WAIT, poll=0.01)
        stored = self.client.list_files().codes
        if stored:
            raise RuntimeError(f"a cancelled upload stored {stored}")


def _client(bench: Bench, stalled: bool) -> float:
    bench.prepare(stalled)
    cancel = threading.Event()
    sent = [0]
    ended: list[float] = []

    def upload() -> None:
        try:
            bench.client.upload(bench.path, on_progress=lambda s, _t: sent.__setitem__(0, s),
                                cancel=cancel)  # fmt: skip
        except Exception:  # the cancel's UploadCancelled: what is timed
            ended.append(time.perf_counter())

    thread = threading.Thread(target=upload, daemon=True)
    thread.start()
    bench.ready(stalled, lambda: sent[0])
    start = time.perf_counter()
    cancel.set()
    thread.join(WAIT)
    bench.settle()
    return ended[0] - start


def _widget(bench: Bench, stalled: bool) -> float:
    from sv_widgets.widgets import UploadProgress

    bench.prepare(stalled)
    up = UploadProgress(bench.client, bench.path, convert=False)
    ended: list[float] = []
    up.upload.on_finish(lambda _u: ended.append(time.perf_counter()))
    bench.ready(stalled, lambda: up.sent)
    start = time.perf_counter()
    up.cancel()
    up.upload.done(WAIT)
    up.close()
    bench.settle()
    return ended[0] - start


@contextlib.contextmanager
def _shell(emu: EmulatorProcess, config_dir: str) -> Iterator[Any]:
    """An ``InteractiveShell`` with the magics loaded, credentials from the environment."""
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.enabled = False
    with magics_environment(emu, config_dir):
        shell = InteractiveShell.instance(config=config)
        shell.run_line_magic("load_ext", "sv_widgets")
        client = shell.run_line_magic("sv_client", "")
        client._transport.timeout = (120.0, 120.0)  # no socket timeout ends a trial
        try:
            yield shell
        finally:
            shell.run_line_magic("unload_ext", "sv_widgets")


def _magic(bench: Bench, shell: Any, stalled: bool) -> float:
    from sv_widgets.uploads import TransferProgress

    bench.prepare(stalled)
    sent = [0]
    original = TransferProgress.sent

    def counting(self: TransferProgress, done: int, total: int) -> None:
        sent[0] = done
        original(self, done, total)

    started: list[float] = []

    def interrupt() -> None:
        bench.ready(stalled, lambda: sent[0])
        started.append(time.perf_counter())
        signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)

    TransferProgress.sent = counting  # type: ignore[method-assign, assignment]
    try:
        threading.Thread(target=interrupt, daemon=True).start()
        with contextlib.redirect_stdout(io.StringIO()) as out:
            shell.run_cell(f'%sv_upload "{bench.path}" --no-convert', store_history=False)
        ended = time.perf_counter()
    finally:
        TransferProgress.sent = original  # type: ignore[method-assign]
    if not out.getvalue().rstrip().endswith("cancelled: nothing was stored"):
        raise RuntimeError(f"%sv_upload did not end cancelled: {out.getvalue()[-500:]}")
    bench.settle()
    return ended - started[0]


def _zone(bench: Bench, stalled: bool) -> float:
    sys.path.insert(0, str(HERE.parent))
    from sv_widgets.widgets import UploadDropzone
    from tests.helpers.dropzone_page import FakePage

    bench.prepare(stalled)
    zone = UploadDropzone(bench.client, transport="relay", convert=False)
    page = FakePage(zone)
    page.hello()
    size = 256 * MIB  # the page holds the file in memory
    page.add(bench.path.name, bytes(size))
    page.wait_for(lambda: bool(zone._rows) and zone._rows[0].upload is not None, "the row")
    upload = zone._rows[0].upload
    assert upload is not None
    ended: list[float] = []
    upload.on_finish(lambda _u: ended.append(time.perf_counter()))
    bench.ready(stalled, lambda: upload.state.sent)
    start = time.perf_counter()
    page.deliver({"type": "cancel", "row": zone.rows[0]["id"], "page": page.page})
    upload.done(WAIT)
    page.join()
    zone.close()
    bench.settle()
    return ended[0] - start


def _row(label: str, stalled: list[float], flowing: list[float], smoke: bool) -> Row:
    s, f = statistics.median(stalled), statistics.median(flowing)
    return Row(
        f"cancel, upload server holding the request: {label}",
        fmt_seconds(s),
        f"server reading {fmt_seconds(f)}",
        s / f if f > 0 else None,
        f"< {TARGET_SECONDS:g} s",
        None if smoke else s < TARGET_SECONDS,
        f"stalled {fmt_spread(stalled)}; reading {fmt_spread(flowing)}",
        {"stalled": stalled, "flowing": flowing},
    )


def run(*, smoke: bool = False, repeats: int | None = None) -> list[Row]:
    """Time each subject's cancel with the upload server holding the request and reading."""
    repeats = repeats or (1 if smoke else 7)
    size = 256 * MIB if smoke else 1024 * MIB
    rows: list[Row] = []
    with (
        tempfile.TemporaryDirectory(prefix="sv-bench-cancel-") as tmp,
        data_dir("sv-bench-cancel-data-", fast=True) as data,
        BenchEmulator(data) as emu,
        _shell(emu, str(Path(tmp) / "config")) as shell,
    ):
        path = Path(tmp) / "big clip.mp4"
        with path.open("wb") as f:
            f.truncate(size)  # sparse: no disk used
        bench = Bench(emu, path)
        subjects: dict[str, Callable[[bool], float]] = {
            "Client.upload": lambda stalled: _client(bench, stalled),
            "UploadProgress": lambda stalled: _widget(bench, stalled),
            "%sv_upload": lambda stalled: _magic(bench, shell, stalled),
            "upload area (relay)": lambda stalled: _zone(bench, stalled),
        }
        for label, subject in subjects.items():
            contenders: dict[str, Callable[[], float | None]] = {
                "stalled": functools.partial(subject, True),
                "flowing": functools.partial(subject, False),
            }
            paired = interleave(contenders, repeats)
            rows.append(_row(label, paired.times["stalled"], paired.times["flowing"], smoke))
        bench.client.close()
    return rows


def main(argv: list[str] | None = None) -> int:
    return standalone(
        run,
        argv,
        doc=__doc__ or "",
        smoke_help="256 MiB and one trial, no verdicts",
        default_repeats=7,
    )


if __name__ == "__main__":
    sys.exit(main())
