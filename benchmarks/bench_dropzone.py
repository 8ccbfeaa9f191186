"""Upload area benchmark: files chosen in headless Chromium, relayed or sent directly.

Everything runs for real: the emulator in its own process (``--no-cors`` never; data on
tmpfs when there is room), JupyterLab 4 from this interpreter (the browser tests' server
helper), Debian's Chromium driven by Playwright (``set_input_files`` on the area's real
``<input type=file>``), one notebook whose kernel holds three areas:

* **relay**: ``UploadDropzone(client, transport="relay")``: the page sends ``File.slice``
  chunks over the widget's channel, the kernel streams them into its POST to the emulator;
* **bare** (the relay's reference): the same widget and page code, with a client that only
  drains the relay stream, acknowledging each chunk and throwing it away: the channel alone;
* **direct**: ``transport="direct"``: the page POSTs the file to the ticket URL itself;
  its reference is ``curl -F file=@...`` to a fresh ticket URL of the same emulator.

Times are the transfers only, on every side: ``UploadState.rate`` is the file's bytes over
the transfer's seconds (from the transfer's start to the server's answer, in the kernel),
and curl's own ``%{time_total}``. Trials interleave in rounds, order rotating; medians are
compared, and the direct upload's POST against the page's XHR by the median of the ratios
within a round (each pair timed back to back, so the machine's drifts cancel).
Around each trial of the direct upload and its references, the CPU seconds of Chromium's
network service (the process that reads the chosen file and writes it to the socket), of the
emulator and of curl are read from ``/proc``: where sender and server share a few cores,
they say how much of the page's extra time is the browser's own cost of sending.

Before the timed runs, each chunking of the relay (1, 2 and 4 MiB chunks; 2, 4 and 8 in
flight) is measured against the bare transport with the same chunking, on a smaller file,
and the best is named (the chunk size fastest on average, then its smallest window within
10% of its best: as fast, less memory held). The timed and memory runs use the area's own
default (4 MiB chunks, 4 in flight), which is what people get: repeated sweeps here put
4 MiB chunks first, with 4 and 8 in flight equal within the noise.

Memory, for both transports at 64 MiB, 1 GiB and 4 GiB, each size in a freshly restarted
kernel (relay first, then direct): the kernel's peak RSS over its idle level (its ``VmHWM``
reset through ``/proc/PID/clear_refs`` just before the upload, read after it, minus the
``VmRSS`` of that moment), and the page's JS heap (``JSHeapUsedSize`` from the Chrome
DevTools Protocol's ``Performance.getMetrics``, sampled every 250 ms through the upload).
The timed trials are not sampled: the probes would cost them time.

Targets: relay >= 0.95x the bare transport's rate; the direct upload's POST <= 1.1x the
page's own bare ``XMLHttpRequest`` of the same file (both timed by the browser's Resource
Timing); kernel peak over idle < 100 MB at every size and flat (4 GiB within 16 MB of
64 MiB); JS heap < 100 MB. The kernel's whole transfer and curl are shown beside them: what
the widget adds around the POST, and what the browser costs against a command-line sender.

Usage::

    python benchmarks/bench_dropzone.py [--smoke] [--repeats N]
"""

from __future__ import annotations

import functools
import json
import os
import resource
import shutil
import signal
import statistics
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from _common import (
    GIB,
    MIB,
    PRIVATE,
    PUBLIC,
    BenchEmulator,
    Row,
    data_dir,
    fast_tmp,
    fmt_seconds,
    fmt_spread,
    free_bytes,
    run_child,
    standalone,
)

from sv_widgets.widgets.dropzone import UploadDropzone

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

NAME = "dropzone"
RELAY_TARGET = 0.95
DIRECT_TARGET = 1.10
FAST_REPEATS = 31  # rounds of the direct upload, the page's XHR and curl: see _timed
MEMORY_TARGET_MB = 100
FLAT_SLACK_MB = 16
HEAP_TARGET_MB = 100
CHUNKINGS = [(c * MIB, w) for c in (1, 2, 4) for w in (2, 4, 8)]
#: The area's own chunking (``UploadDropzone.relay_chunk_size``, ``relay_window``).
DEFAULT = (UploadDropzone.relay_chunk_size, UploadDropzone.relay_window)
AREAS = ("relay", "bare", "direct")

# Shown in the notebook's first cell: the three areas, and the bare transport's client.
_SETUP = textwrap.dedent(
    '''
    from sv_widgets import Client, UploadDropzone
    from sv_widgets.client._multipart import ProgressThrottle
    from sv_widgets.models import UploadTicket


    class Drain:
        """A client that takes the relayed bytes and throws them away: the channel alone."""

        def initiate_upload(self, *, cancel=None):
            return UploadTicket("http://bare.invalid/upload", "bare", "bare")

        def upload(self, source, *, ticket=None, on_progress=None, cancel=None):
            throttle = ProgressThrottle(on_progress, source.declared_size)  # as the client
            taken = 0
            while piece := source.read(1 << 20):
                taken += len(piece)
                throttle.update(taken)
            throttle.finish()
            return "1700000000-Bare00"


    client = Client.from_env(timeout=(10, 3600))
    areas = {
        "relay": UploadDropzone(client, convert=False, transport="relay"),
        "bare": UploadDropzone(Drain(), convert=False, transport="relay"),
        "direct": UploadDropzone(client, convert=False, transport="direct"),
    }
    '''
).strip()


# Whether the area's row ``id`` has ended (a cheap query, run in the page).
_ROW_ENDED = """([zone, id]) => {
  const row = zone.querySelector(`.sv-dz-row[data-id="${id}"]`);
  return Boolean(row) && ["ready", "failed", "cancelled"].includes(row.dataset.phase);
}"""
# The same test, awaited in the page: it runs when the area's DOM changes, not on a timer, so
# the wait costs the upload it waits for no more than the bare XHR's awaited promise does.
_ROW_END = f"""([zone, id]) => new Promise((resolve) => {{
  const ended = {_ROW_ENDED};
  if (ended([zone, id])) return resolve(true);
  const watch = new MutationObserver(() => {{
    if (ended([zone, id])) {{
      watch.disconnect();
      resolve(true);
    }}
  }});
  watch.observe(zone, {{ subtree: true, childList: true, attributes: true }});
}})"""


def _sparse(folder: Path, size: int) -> Path:
    path = folder / f"file-{size // MIB}MiB.bin"
    if not path.exists():
        with path.open("wb") as f:
            f.truncate(size)
    return path


def _ticket_url(ticket: Any) -> str:
    """``{server}?ref=..&token=..``: where curl and a page POST a file."""
    return f"{ticket.server}?ref={quote(ticket.ref, safe='')}&token={quote(ticket.token, safe='')}"


def _kb(pid: int, field_name: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field_name}:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field_name} for {pid}")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds process ``pid`` has used so far (all its threads)."""
    after_name = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(after_name[11]) + int(after_name[12])) / os.sysconf("SC_CLK_TCK")


def _reaped_children_cpu() -> float:
    """CPU seconds of this process's children that have ended (here: each curl)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _network_process() -> int:
    """The pid of Chromium's network service: the process that reads a page's upload from
    disk and writes it to the socket (a descendant of this one; there is one browser)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    me = os.getpid()
    for pid in parents:
        ancestor = parents.get(pid)
        while ancestor and ancestor != me:
            ancestor = parents.get(ancestor)
        if ancestor != me:
            continue
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"--utility-sub-type=network.mojom.NetworkService" in cmdline:
            return pid
    raise RuntimeError("Chromium's network service process was not found")


@dataclass
class Upload:
    """One upload's figures."""

    area: str
    size: int
    seconds: float
    kernel_peak_over_idle: int
    kernel_idle: int
    heap_max: int
    code: str
    post_seconds: float = 0.0  # the page's POST alone, by the browser's Resource Timing


@dataclass
class Session:
    """JupyterLab, Chromium, the notebook with the three areas, and the emulator."""

    emu: BenchEmulator
    page: Any
    cdp: Any
    work: Path
    kernel_pid: int = 0
    codes: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=lambda: dict.fromkeys(AREAS, 0))
    network_pid: int = 0

    def cpu_now(self) -> dict[str, float]:
        """CPU seconds so far of Chromium's network service, the emulator and ended curls."""
        if not self.network_pid:
            self.network_pid = _network_process()
        return {
            "browser": _cpu_seconds(self.network_pid),
            "emulator": _cpu_seconds(self.emu.pid),
            "curl": _reaped_children_cpu(),
        }

    def ask(self, expression: str) -> Any:
        """The JSON value of ``expression`` in the kernel (through a file, no cell)."""
        from tests.browser.harness import kernel_execute

        out = self.work / "answer.json"
        out.unlink(missing_ok=True)
        kernel_execute(
            self.page,
            f"import json as _json\nopen({str(out)!r}, 'w').write(_json.dumps({expression}))",
        )
        return json.loads(out.read_text())

    def set_chunking(self, chunk: int, window: int) -> None:
        from tests.browser.harness import kernel_execute

        kernel_execute(
            self.page,
            "for _a in areas.values():\n"
            f"    _a.relay_chunk_size, _a.relay_window = {chunk}, {window}",
        )

    def fresh_kernel(self, chunking: tuple[int, int]) -> None:
        """Restart the kernel and show the areas again: the next upload starts from a kernel
        that has uploaded nothing yet, so its memory is measured from a true idle level."""
        from tests.browser.harness import restart_kernel

        restart_kernel(self.page)
        # execution counts start again at 1: clear the old ones, which the harness waits past
        self.page.evaluate(
            "() => window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')"
        )
        self._start_areas()
        self.set_chunking(*chunking)

    def _start_areas(self) -> None:
        from tests.browser.harness import kernel_execute, run_cell, wait_for_widget

        env = {
            "SV_PUBLIC_KEY": PUBLIC,
            "SV_PRIVATE_KEY": PRIVATE,
            "SV_API_URL": self.emu.api_url,
            "SV_THUMBNAIL_URL": f"{self.emu.base_url}/thumbnail",
        }
        kernel_execute(self.page, f"import os\nos.environ.update({env!r})")
        for index in range(len(AREAS) + 1):
            run_cell(self.page, index)
        for index in range(1, len(AREAS) + 1):
            wait_for_widget(self.page, ".sv-dropzone", cell_index=index)
        self.kernel_pid = int(self.ask("__import__('os').getpid()"))
        self.rows = dict.fromkeys(AREAS, 0)

    def heap(self) -> int:
        metrics = self.cdp.send("Performance.getMetrics")["metrics"]
        return int(next(m["value"] for m in metrics if m["name"] == "JSHeapUsedSize"))

    def upload(self, area: str, path: Path, *, sample_heap: bool = False) -> Upload:
        """Choose ``path`` in ``area`` and wait for its row to end; return its figures.

        With ``sample_heap`` the page's JS heap is read every 250 ms meanwhile (the memory
        runs); the timed runs leave the page alone, so that the probe costs them nothing.
        """
        index = AREAS.index(area) + 1  # cell 0 is the set-up
        zone = self.page.locator(".jp-Notebook .jp-Cell").nth(index).locator(".sv-dropzone")
        self.rows[area] += 1
        row_id = f"f{self.rows[area]}"  # the kernel numbers an area's rows f1, f2, ...
        idle = _kb(self.kernel_pid, "VmRSS")
        Path(f"/proc/{self.kernel_pid}/clear_refs").write_text("5")  # VmHWM := VmRSS now
        self.page.evaluate(_CLEAR_TIMINGS)
        zone.locator("input[type=file]").set_input_files(str(path))
        heap = self.heap() if sample_heap else 0
        where = [zone.element_handle(), row_id]
        if sample_heap:
            deadline = time.monotonic() + 3600
            while not self.page.evaluate(_ROW_ENDED, where):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{area} upload of {path.name} did not end")
                heap = max(heap, self.heap())
                time.sleep(0.25)
        else:
            self.page.evaluate(_ROW_END, where)
        peak = _kb(self.kernel_pid, "VmHWM")
        state = self.ask(
            f"(lambda s: [s.phase, s.error, s.rate, s.total, s.file_code])"
            f"(areas[{area!r}]._rows[-1].state)"
        )
        phase, error, rate, total, code = state
        if phase != "ready" or not rate:
            raise RuntimeError(f"{area} upload failed: {phase} {error}")
        if area != "bare":
            self.codes.append(code)
        post = float(self.page.evaluate(_POST_SECONDS)) if area == "direct" else 0.0
        return Upload(area, total, total / rate, max(0, peak - idle), idle, heap, code, post)

    def curl(self, path: Path) -> float:
        """``curl -F file=@PATH`` to a fresh ticket; its own transfer time."""
        client = self.emu.client()
        ticket = client.initiate_upload()
        url = _ticket_url(ticket)
        curl = shutil.which("curl") or "/usr/bin/curl"
        out, _, _ = run_child([curl, "-sS", "-w", "\\n%{time_total}", "-F", f"file=@{path}", url])
        body, _, total = out.rpartition("\n")
        reply = json.loads(body)
        if reply.get("status") != "success":
            raise RuntimeError(f"curl upload failed: {reply}")
        self.codes.append(reply["code"])
        return float(total)

    def cleanup(self) -> None:
        if self.codes:
            self.emu.client().delete(self.codes)
            self.codes.clear()


@contextmanager
def session(tmp: Path, *, data_on_tmpfs: bool) -> Iterator[Session]:
    """Start everything; yield the session; stop everything."""
    from playwright.sync_api import sync_playwright

    from tests.browser.harness import CHROMIUM, CHROMIUM_ARGS, open_notebook, write_notebook
    from tests.browser.server import start_jupyter

    with ExitStack() as stack:
        data = stack.enter_context(data_dir("sv-bench-dropzone-", fast=data_on_tmpfs))
        emu = stack.enter_context(BenchEmulator(data))
        jupyter = start_jupyter("lab", tmp / "jupyter")
        stack.callback(jupyter.stop)
        playwright = stack.enter_context(sync_playwright())
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=list(CHROMIUM_ARGS)
        )
        stack.callback(browser.close)
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(120_000)
        cells = [_SETUP, *(f"areas[{a!r}]" for a in AREAS)]
        write_notebook(jupyter.root_dir, "bench.ipynb", cells)
        open_notebook(page, jupyter, "bench.ipynb")
        cdp = page.context.new_cdp_session(page)
        cdp.send("Performance.enable")
        work = tmp / "work"
        work.mkdir()
        bench = Session(emu, page, cdp, work)
        bench._start_areas()
        try:
            yield bench
        finally:
            bench.cleanup()


def _sweep(bench: Session, path: Path, chunkings: list[tuple[int, int]]) -> dict[Any, Any]:
    """Relay and bare for each chunking, back to back; their rates (bytes per second)."""
    rates: dict[tuple[int, int], dict[str, float]] = {}
    for chunk, window in chunkings:
        bench.set_chunking(chunk, window)
        figures = {}
        for area in ("bare", "relay"):
            done = bench.upload(area, path)
            figures[area] = done.size / done.seconds
            bench.cleanup()
        rates[(chunk, window)] = figures
        print(
            f"  chunk {chunk // MIB} MiB, {window} in flight: relay "
            f"{figures['relay'] / 1e6:.1f} MB/s, bare {figures['bare'] / 1e6:.1f} MB/s",
            flush=True,
        )
    return rates


# The browser's own measure of a POST to the upload server (its Resource Timing entry: from
# the request's start to the response's end), the same for the area's upload and the bare
# XHR. A ticket URL is the only one the page requests with a ``ref`` in its query.
_CLEAR_TIMINGS = """() => {
  performance.setResourceTimingBufferSize(10000);
  performance.clearResourceTimings();
}"""
_POST_SECONDS = """() => {
  const posts = performance
    .getEntriesByType("resource")
    .filter((e) => new URL(e.name).searchParams.has("ref"));
  if (posts.length !== 1) throw new Error(`${posts.length} uploads timed, not one`);
  return posts[0].duration / 1000;
}"""

_RAW_XHR = """
async ([url]) => {
  const file = document.getElementById("sv-bench-raw").files[0];
  await new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.upload.addEventListener("progress", () => {});  // as the area does: a preflight
    xhr.onload = () => (xhr.status === 200 ? resolve() : reject(new Error(xhr.responseText)));
    xhr.onerror = () => reject(new Error("network"));
    const form = new FormData();
    form.append("file", file, file.name);
    xhr.send(form);
  });
}
"""


def _raw_xhr(bench: Session, path: Path) -> float:
    """The page's own XHR of the same file to a fresh ticket URL, without the widget."""
    if bench.page.locator("#sv-bench-raw").count() == 0:
        bench.page.evaluate(
            "() => { const i = document.createElement('input'); i.type = 'file';"
            " i.id = 'sv-bench-raw'; i.hidden = true; document.body.appendChild(i); }"
        )
    bench.page.locator("#sv-bench-raw").set_input_files(str(path))
    client = bench.emu.client()
    ticket = client.initiate_upload()
    url = _ticket_url(ticket)
    bench.page.evaluate(_CLEAR_TIMINGS)
    bench.page.evaluate(_RAW_XHR, [url])
    seconds = float(bench.page.evaluate(_POST_SECONDS))
    bench.codes.extend(client.iter_files())
    return seconds


def _size_name(size: int) -> str:
    return f"{size // GIB} GiB" if size >= GIB else f"{size // MIB} MiB"


def _timed(
    bench: Session, path: Path, repeats: int, fast_repeats: int
) -> tuple[dict[str, list[Any]], dict[str, list[dict[str, float]]]]:
    """Interleaved trials of every contender on ``path``: their seconds (and uploads), and
    for the direct upload and its references the CPU seconds each process spent. With
    ``repeats`` 0 the relays are left out (``--direct-only``)."""
    relays: dict[str, Callable[[], Any]] = {
        "bare": lambda: bench.upload("bare", path),
        "relay": lambda: bench.upload("relay", path),
    }
    contenders: dict[str, Callable[[], Any]] = {
        **(relays if repeats else {}),
        "direct": lambda: bench.upload("direct", path),
        "xhr": lambda: _raw_xhr(bench, path),
        "curl": lambda: bench.curl(path),
    }
    for name in ("direct", "xhr", "curl"):
        contenders[name]()  # untimed warm-up: the browser's and the server's first upload
        bench.cleanup()
    cpu: dict[str, list[dict[str, float]]] = {name: [] for name in ("direct", "xhr", "curl")}
    for name, plain in list(contenders.items()):
        if name in cpu:
            contenders[name] = functools.partial(_counting, bench, plain, cpu[name])
    results: dict[str, list[Any]] = {name: [] for name in contenders}
    # The direct upload and its references take seconds, the relays a minute: they get more
    # trials (interleaved the same way). On a shared machine the rounds' ratios spread wide,
    # and the median of n of them wanders by about 1.25 * IQR / 1.35 / sqrt(n): enough rounds
    # that this stays well inside the target's margin (docs/benchmarks.md has the figures).
    for trial in range(max(repeats, fast_repeats)):
        names = list(contenders) if trial < repeats else ["direct", "xhr", "curl"]
        shift = trial % len(names)
        for name in names[shift:] + names[:shift]:
            results[name].append(contenders[name]())
            bench.cleanup()
    return results, cpu


def _counting(bench: Session, run_once: Callable[[], Any], into: list[dict[str, float]]) -> Any:
    """``run_once()``, adding the CPU seconds each process spent meanwhile to ``into``."""
    before = bench.cpu_now()
    value = run_once()
    after = bench.cpu_now()
    into.append({name: after[name] - before[name] for name in after})
    return value


def _seconds(values: list[Any]) -> list[float]:
    return [v.seconds if isinstance(v, Upload) else float(v) for v in values]


def _memory_rows(
    uploads: dict[tuple[str, int], Upload], heap: int, count: int, smoke: bool
) -> list[Row]:
    rows: list[Row] = []
    sizes = sorted({size for _, size in uploads})
    for area in ("relay", "direct"):
        for size in sizes:
            done = uploads[(area, size)]
            mb = done.kernel_peak_over_idle / 1e6
            rows.append(
                Row(
                    f"upload area {area} {_size_name(size)}: kernel peak over idle",
                    f"{mb:.1f} MB",
                    f"idle {done.kernel_idle / 1e6:.0f} MB",
                    None,
                    f"< {MEMORY_TARGET_MB} MB",
                    None if smoke else mb < MEMORY_TARGET_MB,
                    "kernel VmHWM (reset by clear_refs at the start) minus its VmRSS then; "
                    f"page JS heap at most {done.heap_max / 1e6:.1f} MB",
                )
            )
        small, big = uploads[(area, sizes[0])], uploads[(area, sizes[-1])]
        grow = (big.kernel_peak_over_idle - small.kernel_peak_over_idle) / 1e6
        rows.append(
            Row(
                f"upload area {area}: kernel peak flat ({_size_name(sizes[-1])} vs "
                f"{_size_name(sizes[0])})",
                f"{big.kernel_peak_over_idle / 1e6:.1f} MB",
                f"{small.kernel_peak_over_idle / 1e6:.1f} MB",
                None,
                f"within {FLAT_SLACK_MB} MB",
                None if smoke else grow <= FLAT_SLACK_MB,
                f"{sizes[-1] // sizes[0]}x the bytes, {grow:+.1f} MB of peak",
            )
        )
    rows.append(
        Row(
            "upload area: page JS heap, every upload",
            f"{heap / 1e6:.1f} MB",
            "-",
            None,
            f"< {HEAP_TARGET_MB} MB",
            None if smoke else heap / 1e6 < HEAP_TARGET_MB,
            "largest JSHeapUsedSize sampled every 250 ms (CDP Performance.getMetrics) "
            f"through each of the {count} uploads of the memory runs",
        )
    )
    return rows


def _choose(rates: dict[tuple[int, int], dict[str, float]]) -> tuple[int, int]:
    """The chunking to use: the chunk size whose relay is fastest on average over the windows,
    then the smallest window within 10% of that size's best (as fast, less memory held)."""
    sizes = {chunk for chunk, _ in rates}

    def mean(chunk: int) -> float:
        return statistics.mean(r["relay"] for (c, _), r in rates.items() if c == chunk)

    chunk = max(sizes, key=mean)
    windows = sorted((w, r["relay"]) for (c, w), r in rates.items() if c == chunk)
    fastest = max(rate for _, rate in windows)
    return chunk, next(w for w, rate in windows if rate >= 0.9 * fastest)


def _sweep_row(rates: dict[tuple[int, int], dict[str, float]], best: tuple[int, int]) -> Row:
    mine = rates.get(DEFAULT, rates[best])
    spread = "; ".join(
        f"{c // MIB} MiB x{w}: relay {r['relay'] / 1e6:.1f} / bare {r['bare'] / 1e6:.1f} MB/s"
        for (c, w), r in rates.items()
    )
    return Row(
        "upload area relay: chunking sweep (info)",
        f"default {DEFAULT[0] // MIB} MiB x{DEFAULT[1]}: {mine['relay'] / 1e6:.1f} MB/s",
        f"best {best[0] // MIB} MiB x{best[1]}: {rates[best]['relay'] / 1e6:.1f} MB/s",
        mine["relay"] / rates[best]["relay"],
        "(the default is among the best)",
        None,
        "best: the chunk size fastest on average, then its smallest window within 10% of its "
        f"best; each chunking, relay then bare, one upload each: {spread}",
    )


def _cpu_row(size: int, cpu: dict[str, list[dict[str, float]]], wall: dict[str, float]) -> Row:
    """Who spent the CPU: the browser's sending against curl's, and the emulator's share."""

    def med(contender: str, process: str) -> float:
        return statistics.median(trial[process] for trial in cpu[contender])

    page, curl = med("xhr", "browser"), med("curl", "curl")
    emu_page, emu_curl = med("xhr", "emulator"), med("curl", "emulator")
    cores = len(os.sched_getaffinity(0))
    return Row(
        f"upload area direct {_size_name(size)}: CPU to send it (info)",
        f"browser {page:.2f} s",
        f"curl {curl:.2f} s",
        page / curl if curl else None,
        "(why)",
        None,
        f"CPU seconds per upload, medians: Chromium's network service {page:.2f} s for the "
        f"page's bare XHR ({med('direct', 'browser'):.2f} s for the area's), curl {curl:.2f} s; "
        f"the emulator {emu_page:.2f} s receiving the page's, {emu_curl:.2f} s receiving "
        f"curl's. Sender and emulator kept {(page + emu_page) / wall['xhr']:.1f} of the "
        f"{cores} cores busy through the page's upload, {(curl + emu_curl) / wall['curl']:.1f} "
        "through curl's",
    )


def _timed_rows(
    size: int,
    results: dict[str, list[Any]],
    cpu: dict[str, list[dict[str, float]]],
    best: tuple[int, int],
    smoke: bool,
) -> list[Row]:
    t = {name: _seconds(values) for name, values in results.items()}
    t["post"] = [upload.post_seconds for upload in results["direct"]]
    med = {name: statistics.median(values) for name, values in t.items()}
    # Each round times the area's POST and the bare XHR back to back: the ratio within a round
    # is free of the machine's slower drifts (other work, heat), which move both alike.
    paired = [post / xhr for post, xhr in zip(t["post"], t["xhr"], strict=True)]
    post_ratio = statistics.median(paired)
    quartiles = statistics.quantiles(paired, n=4) if len(paired) > 1 else paired * 3
    spread = ", ".join(f"{name} {fmt_spread(values)}" for name, values in t.items())
    chunking = f"{best[0] // MIB} MiB chunks, {best[1]} in flight"
    name = _size_name(size)
    rows: list[Row] = []
    if "relay" in med:
        relay_ratio = med["bare"] / med["relay"]  # rates: bytes / seconds, same bytes
        rows.append(
            Row(
                f"upload area relay {name}: rate vs bare transport",
                f"{size / med['relay'] / 1e6:.1f} MB/s",
                f"bare {size / med['bare'] / 1e6:.1f} MB/s",
                relay_ratio,
                f">= {RELAY_TARGET:.2f}x",
                None if smoke else relay_ratio >= RELAY_TARGET,
                f"{chunking}; median of {len(t['relay'])} interleaved trials (the direct "
                f"upload, the page's XHR and curl: {len(t['direct'])}); {spread}",
            )
        )
    rows += [
        Row(
            f"upload area direct {name}: its POST vs the page's own XHR",
            fmt_seconds(med["post"]),
            f"XHR {fmt_seconds(med['xhr'])}",
            post_ratio,
            f"<= {DIRECT_TARGET:.2f}x",
            None if smoke else post_ratio <= DIRECT_TARGET,
            "the same page POSTing the same file to a fresh ticket with a bare "
            "XMLHttpRequest (no widget); both timed by the browser's Resource Timing, from "
            "the request's start to the response's end; the median of the ratios of "
            f"{len(paired)} interleaved rounds (quartiles {quartiles[0]:.2f}x-"
            f"{quartiles[2]:.2f}x; the ratio of the two medians is "
            f"{med['post'] / med['xhr']:.2f}x)",
        ),
        Row(
            f"upload area direct {name}: kernel's whole transfer vs XHR (info)",
            fmt_seconds(med["direct"]),
            f"XHR {fmt_seconds(med['xhr'])}",
            med["direct"] / med["xhr"],
            "(the widget's part)",
            None,
            "the kernel's transfer time: the ticket sent to the page, its POST, the answer "
            "read and the file confirmed with the service",
        ),
        Row(
            f"upload area direct {name}: vs curl (info)",
            fmt_seconds(med["direct"]),
            f"curl {fmt_seconds(med['curl'])}",
            med["direct"] / med["curl"],
            "(the browser's part)",
            None,
            f"curl's own time_total, fresh tickets, same emulator; the browser's bare XHR "
            f"is {med['xhr'] / med['curl']:.2f}x curl's time",
        ),
        _cpu_row(size, cpu, med),
    ]
    return rows


def run(*, smoke: bool = False, repeats: int | None = None, direct_only: bool = False) -> list[Row]:
    """Sweep the relay's chunking, time both transports, measure memory; return the rows.

    ``direct_only``: only the direct upload's trials and their references (the page's XHR,
    curl), a few minutes instead of half an hour.
    """
    from tests.browser.harness import CHROMIUM

    timed_size = 16 * MIB if smoke else GIB
    sweep_size = 8 * MIB if smoke else 256 * MIB
    memory_sizes = [4 * MIB, 16 * MIB] if smoke else [64 * MIB, GIB, 4 * GIB]
    chunkings = [(MIB, 4), (4 * MIB, 4)] if smoke else CHUNKINGS
    repeats = repeats or (1 if smoke else 3)
    if not CHROMIUM.exists() or shutil.which("curl") is None:
        why = f"skipped: needs {CHROMIUM} and curl"
        timed = _size_name(timed_size)
        names = [
            "upload area relay: chunking sweep (info)",
            f"upload area relay {timed}: rate vs bare transport",
            f"upload area direct {timed}: its POST vs the page's own XHR",
            f"upload area direct {timed}: kernel's whole transfer vs XHR (info)",
            f"upload area direct {timed}: vs curl (info)",
            f"upload area direct {timed}: CPU to send it (info)",
            *(
                f"upload area {area} {_size_name(size)}: kernel peak over idle"
                for area in ("relay", "direct")
                for size in memory_sizes
            ),
            "upload area: page JS heap, every upload",
        ]
        return [Row(name, "-", "-", None, "-", None, why) for name in names]
    shm = fast_tmp()
    on_tmpfs = shm is not None and free_bytes(Path(shm)) > 2 * max(memory_sizes) + GIB
    with tempfile.TemporaryDirectory(prefix="sv-bench-dropzone-") as tmp_name:
        tmp = Path(tmp_name)
        with session(tmp, data_on_tmpfs=on_tmpfs) as bench:
            if direct_only:
                path = _sparse(tmp, timed_size)
                results, cpu = _timed(bench, path, 0, FAST_REPEATS if not smoke else repeats)
                return _timed_rows(timed_size, results, cpu, DEFAULT, smoke)
            print(f"  sweep of the relay's chunking on {_size_name(sweep_size)}:", flush=True)
            rates = _sweep(bench, _sparse(tmp, sweep_size), chunkings)
            best = _choose(rates)
            bench.set_chunking(*DEFAULT)  # what people get: the figures below describe it
            fast_repeats = repeats if smoke else max(repeats, FAST_REPEATS)
            results, cpu = _timed(bench, _sparse(tmp, timed_size), repeats, fast_repeats)
            memory: dict[tuple[str, int], Upload] = {}
            for size in memory_sizes:
                bench.fresh_kernel(DEFAULT)
                for area in ("relay", "direct"):
                    done = bench.upload(area, _sparse(tmp, size), sample_heap=True)
                    memory[(area, size)] = done
                    bench.cleanup()
                    print(f"  {area} {_size_name(size)}, fresh kernel: {done}", flush=True)
    heap = max(u.heap_max for u in memory.values())
    rows = [_sweep_row(rates, best), *_timed_rows(timed_size, results, cpu, DEFAULT, smoke)]
    rows += _memory_rows(memory, heap, len(memory), smoke)
    place = "tmpfs" if on_tmpfs else "disk"
    rows[0].note += f"; emulator data on {place}"
    return rows


def main(argv: list[str] | None = None) -> int:
    """Run alone and print the rows."""
    # A stopped run still stops its Jupyter server, browser and emulator (the with blocks).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    return standalone(
        run,
        argv,
        doc=__doc__ or "",
        smoke_help="small files, two chunkings, one trial, no verdicts",
        default_repeats=3,
        flags={"--direct-only": "only the direct upload, the page's XHR and curl"},
    )


if __name__ == "__main__":
    sys.exit(main())
