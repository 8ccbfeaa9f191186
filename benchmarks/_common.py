"""Shared plumbing of the benchmarks: interleaved timing, child peak memory, emulators.

Every figure is a ratio against a reference measured side by side in the same run: each
trial runs the reference and the subject back to back (alternating which goes first, so a
drift in machine load hits both alike), and the medians of the trials are compared.
Emulators run in their own process (:class:`sv_widgets.emulator.EmulatorProcess`); those
that need converted files use its fast conversions (canned media in milliseconds).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sv_widgets.emulator import EmulatorProcess

PUBLIC, PRIVATE = "bench", "bench-secret"
MIB = 1024 * 1024
GIB = 1024 * MIB
HERE = Path(__file__).resolve().parent


# ---------------------------------------------------------------------- results
@dataclass
class Row:
    """One line of the results table.

    ``ratio`` is subject / reference (``None`` when the figure is absolute); ``met`` is
    ``None`` when the row is not judged (a smoke run, or a skipped size).
    """

    name: str
    subject: str
    reference: str
    ratio: float | None
    target: str
    met: bool | None
    note: str = ""
    data: dict[str, Any] = field(default_factory=dict)


def verdict(met: bool | None) -> str:
    """``yes``, ``NO`` or ``-`` (not judged)."""
    return "-" if met is None else ("yes" if met else "NO")


def standalone(
    run: Callable[..., list[Row]],
    argv: list[str] | None,
    *,
    doc: str,
    smoke_help: str,
    default_repeats: int,
    flags: dict[str, str] | None = None,
) -> int:
    """The ``main`` of a ``bench_*.py`` run alone: parse ``--smoke``/``--repeats``, print rows.

    ``flags`` are the benchmark's own switches (``{"--direct-only": "help"}``), passed to
    ``run`` as keyword arguments (``direct_only=True``). Exits 1 when a judged target is
    missed, as ``run.py`` does.
    """
    p = argparse.ArgumentParser(description=doc.splitlines()[0])
    p.add_argument("--smoke", action="store_true", help=smoke_help)
    p.add_argument("--repeats", type=int, help=f"timed trials (default {default_repeats})")
    for flag, about in (flags or {}).items():
        p.add_argument(flag, action="store_true", help=about)
    args = vars(p.parse_args(argv))
    rows = run(**args)
    for r in rows:
        ratio = "-" if r.ratio is None else f"{r.ratio:.2f}x"
        print(
            f"{r.name}: {r.subject} vs {r.reference} = {ratio} "
            f"(target {r.target}: {verdict(r.met)}) {r.note}"
        )
    return 0 if all(r.met is not False for r in rows) else 1


def fmt_seconds(seconds: float) -> str:
    """``123 ms`` below 10 s, else ``12.3 s``."""
    return f"{seconds * 1000:.0f} ms" if seconds < 10 else f"{seconds:.1f} s"


def fmt_spread(values: Sequence[float]) -> str:
    """``median [min-max] (n=N)`` of seconds, for the method notes."""
    return (
        f"{fmt_seconds(statistics.median(values))} "
        f"[{fmt_seconds(min(values))}-{fmt_seconds(max(values))}] (n={len(values)})"
    )


# ---------------------------------------------------------------------- timing
@dataclass
class Paired:
    """Interleaved trials of a reference and one or more subjects (seconds)."""

    times: dict[str, list[float]]

    def median(self, name: str) -> float:
        """Median seconds of ``name``."""
        return statistics.median(self.times[name])

    def ratio(self, subject: str, reference: str) -> float:
        """Median of ``subject`` over median of ``reference``."""
        return self.median(subject) / self.median(reference)


def interleave(
    contenders: dict[str, Callable[[], float | None]],
    repeats: int,
    *,
    warmup: int = 1,
    between: Callable[[], None] | None = None,
) -> Paired:
    """Run every contender ``repeats`` times, interleaved; return the seconds of each.

    A contender either returns its own measured seconds (when only part of what it does is
    timed, e.g. the upload inside a child process) or ``None`` (then the call is timed with
    ``perf_counter``). The order rotates every trial. ``warmup`` untimed rounds come first
    (connections, imports, the server's caches). ``between`` runs after every call, untimed.
    """
    names = list(contenders)
    times: dict[str, list[float]] = {n: [] for n in names}
    for trial in range(warmup + repeats):
        shift = trial % len(names)
        for name in names[shift:] + names[:shift]:
            start = time.perf_counter()
            own = contenders[name]()
            seconds = time.perf_counter() - start if own is None else own
            if between is not None:
                between()
            if trial >= warmup:
                times[name].append(seconds)
    return Paired(times)


def wait_until(predicate: Callable[[], bool], timeout: float, poll: float = 0.001) -> None:
    """Spin (1 ms steps) until ``predicate()``; ``TimeoutError`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not met within {timeout} s")
        time.sleep(poll)


# ---------------------------------------------------------------------- memory
def run_child(argv: Sequence[str], *, timeout: float = 3600) -> tuple[str, int, float]:
    """Run a child process; return its stdout, its own peak RSS (bytes) and CPU seconds.

    CPU is user + system time of the child, from ``getrusage(RUSAGE_CHILDREN)`` before and
    after it is reaped (CPU time, unlike ``maxrss``, is not inherited from the parent).

    The peak is the child's ``VmHWM`` (the kernel's high-water mark of its address space),
    read from ``/proc`` every 5 ms while it runs; the last reading before it exits is its
    peak unless the peak came in those final milliseconds. ``ru_maxrss`` from ``wait4``
    would be simpler but is wrong here: Linux carries the forked parent's footprint into
    the child's ``maxrss`` across ``exec``, so every child would look as big as this
    process. A Python child measures more exactly by printing its own ``VmHWM`` last.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        proc = subprocess.Popen(list(argv), stdout=out, stderr=err)
        deadline = time.monotonic() + timeout
        peak = -1
        while proc.poll() is None:
            peak = max(peak, vm_hwm(proc.pid))
            if time.monotonic() > deadline:
                proc.kill()
                proc.wait()
                raise TimeoutError(f"{argv[:3]} did not finish within {timeout} s")
            time.sleep(0.005)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
    if proc.returncode != 0:
        raise RuntimeError(f"child {argv[:3]} failed ({proc.returncode}): {stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return stdout, peak, cpu


def vm_hwm(pid: int | str = "self") -> int:
    """``VmHWM`` (peak RSS) of a live process, bytes; -1 when unknown."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return -1
    match = re.search(r"VmHWM:\s+(\d+) kB", text)
    return int(match.group(1)) * 1024 if match else -1


# ---------------------------------------------------------------------- files and disk
def write_random_file(path: Path, size: int) -> Path:
    """Write ``size`` incompressible bytes (4 MiB of urandom repeated)."""
    block = os.urandom(4 * MIB)
    with open(path, "wb") as f:
        for _ in range(size // len(block)):
            f.write(block)
        f.write(block[: size % len(block)])
    return path


def free_bytes(path: Path) -> int:
    """Free bytes on the filesystem holding ``path``."""
    return shutil.disk_usage(path).free


def fast_tmp() -> str | None:
    """``/dev/shm`` when it is a writable tmpfs (fsync is free there), else ``None``."""
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None


# ---------------------------------------------------------------------- emulators
#: Conversions in milliseconds (the emulator's canned media) and enough workers for a page.
FAST_MEDIA = ("--conversions", "fast", "--workers", "4")


class BenchEmulator(EmulatorProcess):
    """The emulator in its own process (so it never competes for our GIL), with the
    benchmark account.

    Parameters
    ----------
    data_dir
        State directory (pre-seed it with :class:`sv_widgets.emulator.domain.store.Store` first).
    fake_media
        ``--conversions fast``: converted files in milliseconds instead of PyAV's seconds.
    extra
        More command-line options (``--page-size``, ``--fault``...).
    """

    def __init__(self, data_dir: Path, *, fake_media: bool = False, extra: Sequence[str] = ()):
        options = [*(FAST_MEDIA if fake_media else ()), *extra]
        super().__init__(data_dir, accounts={PUBLIC: PRIVATE}, options=options)

    def latency(self, routes: Iterable[str], ms: int) -> None:
        """Add ``ms`` of latency to every request of each named route."""
        self.set_faults({"route": r, "kind": "latency", "latency_ms": ms} for r in routes)


@contextlib.contextmanager
def data_dir(prefix: str, *, fast: bool = False) -> Iterator[Path]:
    """A temporary data directory (on tmpfs when ``fast`` and available)."""
    with tempfile.TemporaryDirectory(prefix=prefix, dir=fast_tmp() if fast else None) as tmp:
        yield Path(tmp)


@contextlib.contextmanager
def magics_environment(emu: EmulatorProcess, config_dir: str) -> Iterator[None]:
    """``SV_*`` variables pointing the magics at ``emu``'s benchmark account, while the block
    runs (restored after)."""
    values = {
        "SV_PUBLIC_KEY": PUBLIC,
        "SV_PRIVATE_KEY": PRIVATE,
        "SV_API_URL": emu.api_url,
        "SV_THUMBNAIL_URL": f"{emu.base_url}/thumbnail",
        "SV_CONFIG_DIR": config_dir,  # never a developer's own credentials file
    }
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def converted_files(emu: BenchEmulator, count: int) -> list[str]:
    """Upload ``count`` tiny files and convert them (fast conversions); return their codes."""
    client = emu.client()
    codes = []
    for i in range(count):
        code = client.upload(io.BytesIO(b"\x00\x00\x00\x18ftypmp42" + bytes([i % 256]) * 64))
        client.convert(code)
        codes.append(code)
    for code in codes:
        client.wait_for_conversion(code, timeout=60, poll=0.05)
    return codes


def dumps(data: Any) -> str:
    """Compact JSON (for child processes' one-line answers)."""
    return json.dumps(data, separators=(",", ":"))
