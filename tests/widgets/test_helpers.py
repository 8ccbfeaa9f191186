"""The widgets' private helpers: formatting, background runner, coalescer, cache, text output."""

from __future__ import annotations

import io
import threading
import time

import ipywidgets
import pytest

from sv_widgets.display import (
    format_bytes,
    format_duration,
    format_eta,
    format_rate,
    format_renditions,
)
from sv_widgets.uploads import TextProgress, UploadState, _text
from sv_widgets.widgets import _tasks
from sv_widgets.widgets._cache import ThumbnailCache
from sv_widgets.widgets._tasks import Coalescer, Quiet, Runner, set_traits
from tests.helpers.clock import FakeClock


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0 B"),
        (999, "999 B"),
        (1000, "1.0 kB"),
        (1536, "1.5 kB"),
        (123_456_789, "123 MB"),
        (5 * 10**12, "5.0 TB"),
        (-1, "?"),
        (float("nan"), "?"),
    ],
)
def test_format_bytes(size: float, text: str) -> None:
    assert format_bytes(size) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0:00"), (59.6, "1:00"), (75, "1:15"), (3600, "1:00:00"), (None, "-"), (-3, "-")],
)
def test_format_duration(seconds: float | None, text: str) -> None:
    assert format_duration(seconds) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.2, "1 s left"),
        (59, "59 s left"),
        (61, "1 min 1 s left"),
        (7260, "2 h 1 min left"),
        (None, ""),
        (float("inf"), ""),
    ],
)
def test_format_eta(seconds: float | None, text: str) -> None:
    assert format_eta(seconds) == text


def test_format_rate_and_renditions() -> None:
    assert format_rate(2_345_678) == "2.35 MB/s"
    assert format_rate(123_000_000) == "123.0 MB/s"
    assert format_rate(-1) == "- MB/s"
    assert format_renditions(("360", "1080", "720")) == "1080p 720p 360p"
    assert format_renditions(("auto", "480")) == "480p auto"


def test_runner_reports_errors_and_waits_for_nested_tasks() -> None:
    errors: list[BaseException] = []
    runner = Runner(2, "test", on_error=errors.append)
    done: list[int] = []

    def nested(n: int) -> None:
        time.sleep(0.05)
        done.append(n)
        if n < 3:
            runner.submit(nested, n + 1)

    runner.submit(nested, 0)
    failing = runner.submit(lambda: 1 / 0)
    assert runner.wait_idle(5)
    assert done == [0, 1, 2, 3]
    assert len(errors) == 1
    assert isinstance(errors[0], ZeroDivisionError)
    assert isinstance(failing.exception(), ZeroDivisionError)
    runner.shutdown()
    with pytest.raises(RuntimeError, match="closed"):
        runner.submit(print)


def test_runner_wait_idle_times_out() -> None:
    runner = Runner(1, "test")
    release = threading.Event()
    runner.submit(release.wait, 5)
    assert runner.wait_idle(0.05) is False
    release.set()
    assert runner.wait_idle(5) is True
    runner.shutdown()


def test_runner_calls_on_idle_when_its_last_task_ends_and_wait_idle_waits_for_it() -> None:
    calls: list[bool] = []
    release = threading.Event()
    runner: Runner

    def on_idle() -> None:
        release.wait(10)  # wait_idle must not return before this has run
        calls.append(runner.idle)

    runner = Runner(2, "test", on_idle=on_idle)
    gate = threading.Event()
    runner.submit(gate.wait, 10)
    runner.submit(gate.wait, 10)
    assert not runner.idle
    gate.set()
    assert runner.wait_idle(0.05) is False  # the tasks ended, the callback is still running
    release.set()
    assert runner.wait_idle(10) is True
    assert calls == [True]  # once, for the last of the two, and it saw the runner idle
    runner.shutdown()


def test_coalescer_flushes_bursts_once_per_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    """Stated on a clock the test moves: the first mark flushes at once, a burst inside the
    interval becomes one flush at the interval's end, a mark after a quiet interval is
    flushed at once again."""
    clock = FakeClock()
    monkeypatch.setattr(_tasks, "time", clock.module())
    flushes: list[float] = []
    flushed = threading.Event()

    def flush() -> None:
        flushes.append(clock.now)
        flushed.set()

    c = Coalescer(0.1, flush)
    c.mark()  # first mark after quiet: immediate, in the caller's thread
    assert flushes == [1000.0]
    clock.advance(0.025)
    flushed.clear()
    for _ in range(50):
        c.mark()
    assert flushes == [1000.0]  # the burst waits for the interval's end
    assert c._timer is not None
    assert c._timer.interval == pytest.approx(0.075)  # scheduled for 1000.1, not later
    assert flushed.wait(10)  # the burst ends in one delayed flush
    assert len(flushes) == 2
    clock.advance(1.0)
    c.mark()  # quiet for longer than the interval: at once
    assert len(flushes) == 3
    assert c._timer is None


def test_set_traits_from_many_threads_keeps_every_update() -> None:
    box = ipywidgets.IntText(value=0)
    lock = threading.Lock()

    def bump() -> None:
        for _ in range(100):
            with lock:
                set_traits(box, value=box.value + 1, description=str(box.value + 1))

    threads = [threading.Thread(target=bump) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert box.value == 400
    assert box.description == "400"
    box.close()


def test_quiet_is_per_thread() -> None:
    quiet = Quiet()
    seen: list[bool] = []
    with quiet():
        t = threading.Thread(target=lambda: seen.append(quiet.active))
        t.start()
        t.join()
        assert quiet.active
    assert seen == [False]
    assert not quiet.active


def test_thumbnail_cache_evicts_least_recently_used() -> None:
    cache = ThumbnailCache(max_bytes=10)
    a, b, c = (("u", "code", n, 260) for n in "abc")
    cache.put(a, b"1234")
    cache.put(b, b"1234")
    assert cache.get(a) == b"1234"  # a is now the most recent
    cache.put(c, b"1234")
    assert cache.get(b) is None
    assert cache.get(a)
    assert cache.get(c)
    assert len(cache) == 2
    cache.put(("u", "code", "huge", None), b"x" * 11)
    assert len(cache) == 2
    cache.clear()
    assert len(cache) == 0


def test_text_progress_redraws_one_line_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """At most one redraw each 0.2 s while bytes go, on the clock the test moves."""
    clock = FakeClock()
    monkeypatch.setattr(_text, "time", clock.module())
    out = io.StringIO()
    state = UploadState(name="clip.mp4", total=2_000_000)
    text = TextProgress(state, out, interactive=True)
    state.apply(phase="uploading", sent=1_000_000, rate=4_000_000.0, eta=0.25)
    clock.advance(0.19)
    state.apply(progress=0.25)  # too soon after the last redraw: not drawn
    clock.advance(0.02)
    state.apply(progress=0.5)
    code = "1700000000-AbC123"
    state.apply(phase="ready", file_code=code, state=f"converted: {code} is ready to play")
    text.close()
    state.apply(phase="failed")  # after close: not written
    written = out.getvalue()
    assert written.count("\r") == 3
    assert written.endswith("\n")
    assert "50% (1.0 MB of 2.0 MB) 4.00 MB/s 1 s left" in written
    assert written.rstrip().endswith(f"clip.mp4: converted: {code} is ready to play")
    assert written.count(code) == 1  # the last line names the code once
    assert "failed" not in written


def test_text_progress_logs_quarters_when_not_a_terminal() -> None:
    out = io.StringIO()
    state = UploadState(name="clip.mp4")
    TextProgress(state, out)
    state.apply(phase="uploading")
    for i in range(1, 101):
        state.apply(progress=i / 100)
    lines = out.getvalue().splitlines()
    assert len(lines) == 4  # the phase, then 25%, 50%, 75%
    state.apply(error="[10001] bad", state="failed: nothing was stored", phase="failed")
    assert out.getvalue().splitlines()[-1] == "clip.mp4: failed: [10001] bad (nothing was stored)"


def test_exported_members() -> None:
    import sv_widgets
    import sv_widgets.widgets as widgets

    assert widgets.__all__ == [
        "FileBrowser",
        "Player",
        "TextProgress",
        "ThumbnailGallery",
        "UploadCancelled",
        "UploadDropzone",
        "UploadProgress",
    ]
    for name in ("FileBrowser", "Player", "ThumbnailGallery", "UploadDropzone", "UploadProgress"):
        assert getattr(sv_widgets, name) is getattr(widgets, name)
