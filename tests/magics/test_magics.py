"""The %sv_* magics, driven in a real InteractiveShell against a real emulator.

The emulator here has its own account whose private key is a marker string: every test that
touches the service checks that the marker shows up in no output, error, repr or history.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from IPython.core.error import UsageError
from IPython.core.interactiveshell import InteractiveShell
from IPython.utils.capture import capture_output
from traitlets.config import Config

from sv_widgets.client import Client
from sv_widgets.emulator import Emulator
from sv_widgets.errors import FileNotConverted, FileserverError
from sv_widgets.magics._demo import demo_service
from sv_widgets.models import FileInfo
from sv_widgets.uploads import TransferProgress, Upload

MARKER = "SVMARKER-PRIVATE-magics-5f1c0a7e"
PUBLIC = "magics-public"
MAGICS = ("sv_login", "sv_logout", "sv_status", "sv_upload", "sv_info", "sv_thumbnails")
MAGICS += ("sv_files", "sv_play", "sv_delete")


@pytest.fixture(scope="module")
def ip() -> InteractiveShell:
    """The process's InteractiveShell (history in memory)."""
    if InteractiveShell.initialized():
        return InteractiveShell.instance()
    config = Config()
    config.HistoryManager.hist_file = ":memory:"
    return InteractiveShell.instance(config=config)


# The emulator behind ``emu``: a clean listing (reset before every test) and an account with
# the marker key.
pytestmark = pytest.mark.sv_emulator(accounts={PUBLIC: MARKER, "someone-else": "other-secret-1"})
#: ``manual_env``'s emulator: conversions wait to be told ("converting" is a state, not a race).
MANUAL = pytest.mark.sv_emulator(accounts={PUBLIC: MARKER}, conversions="manual")


@pytest.fixture
def sv(ip: InteractiveShell, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """``%load_ext sv_widgets`` with no credentials anywhere; unloaded afterwards."""
    monkeypatch.setenv("SV_CONFIG_DIR", str(tmp_path / "no-config"))
    ip.config.pop("SpareVideos", None)  # %config merges into the shell's config: start clean
    ip.run_line_magic("load_ext", "sv_widgets")
    yield ip.magics_manager.registry["SpareVideosMagics"]
    ip.run_line_magic("unload_ext", "sv_widgets")
    ip.config.pop("SpareVideos", None)


@pytest.fixture
def env(sv: Any, emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    """Credentials from the environment, pointing at ``emu``."""
    monkeypatch.setenv("SV_PUBLIC_KEY", PUBLIC)
    monkeypatch.setenv("SV_PRIVATE_KEY", MARKER)
    monkeypatch.setenv("SV_API_URL", emu.api_url)
    monkeypatch.setenv("SV_THUMBNAIL_URL", emu.thumbnail_url)
    return emu


@pytest.fixture
def small_file(tmp_path: Path) -> Path:
    """A few bytes to upload with ``--no-convert`` (no transcoding needed)."""
    path = tmp_path / "small.mp4"
    path.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)))
    return path


def assert_no_marker(ip: InteractiveShell, *things: Any) -> None:
    """The marker key is in none of ``things`` nor in the shell's input or output history."""
    texts = [t if isinstance(t, str) else repr(t) for t in things]
    texts += ip.history_manager.input_hist_raw
    texts += [repr(v) for v in ip.history_manager.output_hist.values()]
    for text in texts:
        assert MARKER not in text


def run(ip: InteractiveShell, cell: str) -> tuple[Any, Any]:
    """Run ``cell`` as a user would (history, ``$var`` expansion); return (result, capture)."""
    with capture_output() as cap:
        result = ip.run_cell(cell, store_history=True)
    return result, cap


# -- loading ----------------------------------------------------------------------------------
def test_load_registers_everything_and_unload_removes_it(ip: InteractiveShell) -> None:
    ip.run_line_magic("load_ext", "sv_widgets")
    try:
        for name in MAGICS:
            assert name in ip.magics_manager.magics["line"]
        assert "sv_upload" in ip.magics_manager.magics["cell"]
        assert any(type(c).__name__ == "SpareVideos" for c in ip.configurables)
    finally:
        ip.run_line_magic("unload_ext", "sv_widgets")
    for name in MAGICS:
        assert name not in ip.magics_manager.magics["line"]
    assert "sv_upload" not in ip.magics_manager.magics["cell"]
    assert not any(type(c).__name__ == "SpareVideos" for c in ip.configurables)
    assert "SpareVideosMagics" not in ip.magics_manager.registry


def test_loading_imports_nothing_heavy() -> None:
    """Through the load benchmark's smoke run: fresh subprocesses, sys.modules inspected."""
    bench = Path(__file__).parents[2] / "benchmarks" / "bench_load.py"
    out = subprocess.run(
        [sys.executable, str(bench), "--smoke", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    result = json.loads(out.stdout)
    assert out.returncode == 0, out.stderr
    assert result["forbidden_loaded"] == []  # av, starlette, uvicorn
    assert result["deferred_loaded"] == []  # ipywidgets, requests, the client, the widgets
    assert result["seconds"] > 0


@pytest.mark.parametrize("name", MAGICS)
def test_every_magic_has_help(sv: Any, ip: InteractiveShell, name: str) -> None:
    with capture_output() as cap:
        value = ip.run_line_magic(name, "--help")
    assert value in (None, [])
    assert cap.stdout.lstrip().startswith(f"%{name} [-h]")
    assert "--help" in cap.stdout
    assert not demo_service().running  # help never reaches for the service


# -- settings ---------------------------------------------------------------------------------
def test_config_changes_settings_and_clients(
    env: Emulator, sv: Any, ip: InteractiveShell, caplog: pytest.LogCaptureFixture
) -> None:
    ip.run_line_magic("config", "SpareVideos.parallel = 7")
    ip.run_line_magic("config", "SpareVideos.call_expires = 99")
    assert sv.settings.parallel == 7
    assert sv.session.client().expires_in == 99
    ip.run_line_magic("config", "SpareVideos.parallel = 0")  # refused, logged by %config
    assert sv.settings.parallel == 7
    assert "should not be less than 1" in caplog.text
    with capture_output() as cap:
        ip.run_line_magic("config", "SpareVideos")
    assert "SpareVideos.upload_expires" in cap.stdout
    assert "private" not in cap.stdout.lower()

    # The refused value sits in the shell's config now; reloading keeps the good ones.
    with capture_output() as cap:
        ip.run_line_magic("reload_ext", "sv_widgets")
    settings = ip.magics_manager.registry["SpareVideosMagics"].settings
    assert (settings.parallel, settings.call_expires) == (4, 99)
    assert "ignoring SpareVideos.parallel" in cap.stderr


# -- uploads and files, credentials from the environment --------------------------------------
def test_upload_info_thumbnails_files_play_delete(
    env: Emulator, sv: Any, ip: InteractiveShell, sample_clip: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ip.user_ns["clip"] = str(sample_clip)
    result, cap = run(ip, "code = %sv_upload $clip")
    assert result.error_in_exec is None, cap.stderr
    code = ip.user_ns["code"]
    assert code in env.client(PUBLIC).iter_files()
    last = cap.stdout.splitlines()[-1]  # text progress, no widgets here
    assert last == f"{sample_clip.name}: converted: {code} is ready to play"
    assert "demo" not in cap.stdout

    result, cap = run(ip, "info = %sv_info $code")
    info = ip.user_ns["info"]
    assert isinstance(info, FileInfo)
    assert (info.code, info.extension) == (code, "mp4")
    assert info.playtime == pytest.approx(3.0, abs=0.5)
    # the card embeds the selected thumbnail's bytes, small: on Binder the URL is the kernel's
    # localhost, and a saved notebook shows the card with no service at all
    assert info.thumbnail_jpeg == env.client(PUBLIC).thumbnail_image(code, size=260)
    assert 'src="data:image/jpeg;base64,' in info._repr_html_()
    raw = ip.run_line_magic("sv_info", f"{code} --json")
    assert raw["status"] == "success"
    assert raw["streams"]["mp4"]

    ip.run_line_magic("config", "SpareVideos.display = 'widget'")
    gallery = ip.run_line_magic("sv_thumbnails", code)
    browser = ip.run_line_magic("sv_files", "--page-size 5")
    player = ip.run_line_magic("sv_play", f"{code} --format mp4 --rendition 360")
    for widget in (gallery, browser, player):
        assert widget.wait_idle(60)
    assert type(gallery).__name__ == "ThumbnailGallery"
    assert gallery.value == f"{code}_360_03.jpg"  # the service's default selection
    assert type(browser).__name__ == "FileBrowser"
    assert code in browser.codes
    assert (type(player).__name__, player.file_code) == ("Player", code)
    assert (player.format, player.rendition, player.src) == ("mp4", "360", info.streams.mp4[0].file)
    assert (gallery.error, browser.error, player.error) == ("", "", "")

    answers = iter(["n", "y"])
    monkeypatch.setattr("builtins.input", lambda _prompt="": next(answers))
    with capture_output() as cap:
        assert ip.run_line_magic("sv_delete", code) == []
    assert "Nothing deleted" in cap.stdout
    assert code in env.client(PUBLIC).iter_files()
    assert ip.run_line_magic("sv_delete", code) == [code]
    assert code not in env.client(PUBLIC).iter_files()
    with pytest.raises(UsageError, match=r"^\[404\] "):
        ip.run_line_magic("sv_info", code)
    assert_no_marker(ip, cap.stdout, cap.stderr, info, gallery, browser, player, sv.session)


def test_flags_reach_the_service(
    env: Emulator, sv: Any, ip: InteractiveShell, sample_clip: Path
) -> None:
    code = ip.run_line_magic("sv_upload", f"{sample_clip} --no-convert")
    with capture_output() as cap:
        assert ip.run_line_magic("sv_info", code) is None
    assert cap.stdout.startswith(f"{code}: ")
    assert "not converted" in cap.stdout.lower()

    code = ip.run_line_magic("sv_upload", f"{sample_clip} --sd-only --mp4-only")
    info = ip.run_line_magic("sv_info", code)
    assert info.streams.webm == ()
    assert info.streams.hls is None
    assert all((r.height or 0) <= 480 for r in info.streams.mp4)

    code = ip.run_line_magic("sv_upload", f"{sample_clip} --no-wait")
    deadline = time.monotonic() + 120
    while (info := ip.run_line_magic("sv_info", code)) is None:
        assert time.monotonic() < deadline
        time.sleep(0.5)
    assert isinstance(info, FileInfo)


def test_conversion_timeout_returns_the_code_with_a_note(
    env: Emulator,
    sv: Any,
    ip: InteractiveShell,
    sample_clip: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ip.run_line_magic("config", "SpareVideos.conversion_timeout = 1.0")
    ip.run_line_magic("config", "SpareVideos.poll_interval = 0.05")

    def still_converting(self: Client, file_code: str, abort: object) -> FileInfo:
        raise FileNotConverted("File not converted: conversion in progress", progress=40.0)

    monkeypatch.setattr(Client, "_file_info", still_converting)  # what the polls call
    with capture_output() as cap:
        code = ip.run_line_magic("sv_upload", str(sample_clip))
    assert code in env.client(PUBLIC).iter_files()
    assert f"{code} still converting after 1 s; check later with %sv_info {code}" in cap.stdout


@pytest.mark.parametrize(
    ("magic", "line", "match"),
    [
        ("sv_upload", "", "what to upload"),
        ("sv_upload", "/no/such/clip.mp4", "no such file: /no/such/clip.mp4"),
        ("sv_upload", ".", "not a file"),
        ("sv_upload", "ftp://example.org/a.mp4", "only http:// and https://"),
        ("sv_upload", "a.mp4 --no-convert --sd-only", "need conversion"),
        ("sv_upload", "a.mp4 --parallel 2", "cell form"),
        ("sv_upload", "a.mp4 --bogus", "unrecognized arguments"),
        ("sv_info", "not-a-code", "not a file code: 'not-a-code'"),
        ("sv_info", "", "required: code"),
        ("sv_thumbnails", "1488633857-11PY", "not a file code"),
        ("sv_play", "x y", "unrecognized arguments"),
        ("sv_play", "1488633857-11PYNC --format flv", "invalid choice: 'flv'"),
        ("sv_delete", "", "required: CODE"),
        ("sv_delete", "1488633857-11PYNC ../etc", "not a file code: '../etc'"),
        ("sv_files", "--page-size 0", "at least 1"),
        ("sv_files", "--page-size x", "invalid int value"),
    ],
)
def test_bad_input_is_a_one_line_usage_error_before_any_request(
    sv: Any,
    ip: InteractiveShell,
    monkeypatch: pytest.MonkeyPatch,
    magic: str,
    line: str,
    match: str,
) -> None:
    # Keys that would fail on any request (nothing listens on port 9): the error we get must
    # be the local one, found before any request was made.
    monkeypatch.setenv("SV_PUBLIC_KEY", PUBLIC)
    monkeypatch.setenv("SV_PRIVATE_KEY", MARKER)
    monkeypatch.setenv("SV_API_URL", "http://127.0.0.1:9/api/v1")
    with pytest.raises(UsageError, match=match) as info:
        ip.run_line_magic(magic, line)
    assert "\n" not in str(info.value)
    assert MARKER not in str(info.value)


def test_api_errors_carry_code_and_message(
    env: Emulator, sv: Any, ip: InteractiveShell, sample_clip: Path
) -> None:
    other = env.client("someone-else").upload(sample_clip)
    for magic, line, code in [
        ("sv_info", "1000000000-ZZZZZZ", 404),
        ("sv_info", other, 403),
        ("sv_delete", f"{other} --yes", 403),
    ]:
        result, cap = run(ip, f"%{magic} {line}")
        error = result.error_in_exec
        assert isinstance(error, UsageError)
        assert str(error).startswith(f"[{code}] ")
        assert f"UsageError: [{code}]" in cap.stderr + cap.stdout
        assert "Traceback" not in cap.stderr + cap.stdout
    assert other in env.client("someone-else").iter_files()
    assert_no_marker(ip)


# -- bulk uploads -----------------------------------------------------------------------------
def test_cell_upload_keeps_order_reports_failures_and_continues(
    env: Emulator, sv: Any, ip: InteractiveShell, small_file: Path
) -> None:
    ip.user_ns["clip"] = str(small_file)
    cell = f"# a comment\n$clip\n\nhttp://127.0.0.1:9/nothing-here.mp4\n  {small_file}  \n"
    result, cap = run(ip, f"%%sv_upload --parallel 3 --no-convert\n{cell}")
    assert result.error_in_exec is None, cap.stderr
    first, failed, last = result.result  # in input order; None where the row failed
    assert failed is None
    assert {first, last} <= set(env.client(PUBLIC).iter_files())
    assert first != last
    assert "2 of 3 uploaded:" in cap.stdout
    assert "line 4 " in cap.stdout  # the failing row, with its line number and error code
    assert_no_marker(ip, cap.stdout, cap.stderr)


@pytest.mark.slow
def test_cell_upload_returns_the_code_of_a_file_whose_conversion_failed(
    env: Emulator, sv: Any, ip: InteractiveShell, sample_clip: Path, tmp_path: Path
) -> None:
    not_video = tmp_path / "notes.mp4"
    not_video.write_bytes(b"this is not a video\n" * 100)
    result, cap = run(ip, f"%%sv_upload --parallel 2\n{sample_clip}\n{not_video}\n")
    assert result.error_in_exec is None, cap.stderr
    good, bad = result.result
    assert good
    assert bad
    assert {good, bad} <= set(env.client(PUBLIC).iter_files())
    assert "1 of 2 uploaded:" in cap.stdout
    assert "[10001]" in cap.stdout
    assert f"(file {bad} kept)" in cap.stdout
    env.client(PUBLIC).delete([good, bad])


def test_cell_upload_checks_every_file_before_sending_any(
    env: Emulator, sv: Any, ip: InteractiveShell, small_file: Path
) -> None:
    before = set(env.client(PUBLIC).iter_files())
    cell = f"{small_file}\n/missing/one.mp4\n{small_file}\n/missing/two.mp4\n"
    with pytest.raises(UsageError, match=r"nothing uploaded; line 2: .*one\.mp4; line 4: .*two"):
        ip.run_cell_magic("sv_upload", "", cell)
    with pytest.raises(UsageError, match="no files to upload"):
        ip.run_cell_magic("sv_upload", "", "# only a comment\n\n")
    with pytest.raises(UsageError, match="cell body"):
        ip.run_cell_magic("sv_upload", str(small_file), str(small_file))
    assert set(env.client(PUBLIC).iter_files()) == before


def test_cell_upload_survives_surprises(
    env: Emulator,
    sv: Any,
    ip: InteractiveShell,
    small_file: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An unexpected error is that row's failure, in one line; the other rows go on."""

    def result(self: Upload) -> str:
        raise RuntimeError("boom")

    monkeypatch.setattr(Upload, "result", result)
    with capture_output() as cap:
        codes = ip.run_cell_magic("sv_upload", "--no-convert", f"{small_file}\n{small_file}")
    assert set(codes) <= set(env.client(PUBLIC).iter_files())  # stored files keep their codes
    assert "0 of 2 uploaded:" in cap.stdout
    assert f"line 1 small.mp4: RuntimeError: boom (file {codes[0]} kept)" in cap.stdout


def _interrupt_when_uploading(monkeypatch: pytest.MonkeyPatch) -> None:
    """Send this process a real SIGINT (what a kernel interrupt is, and what Cancel does while
    the cell waits) as soon as an upload has sent its first bytes."""
    sent = TransferProgress.sent
    fired = threading.Event()

    def sending(self: TransferProgress, done: int, total: int) -> None:
        if not fired.is_set():
            fired.set()
            signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)
        sent(self, done, total)

    monkeypatch.setattr(TransferProgress, "sent", sending)


def test_an_interrupt_ends_an_upload_in_one_line(
    env: Emulator, sv: Any, ip: InteractiveShell, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    big = tmp_path / "big clip.mp4"
    with big.open("wb") as f:
        f.truncate(512 * 2**20)  # sparse: 512 MiB that take no disk
    before = set(env.client(PUBLIC).iter_files())
    _interrupt_when_uploading(monkeypatch)
    result, cap = run(ip, 'code = %sv_upload "$big" --no-convert'.replace("$big", str(big)))
    assert result.error_in_exec is None, cap.stderr  # no KeyboardInterrupt, no traceback
    assert "Traceback" not in cap.stdout + cap.stderr
    lines = cap.stdout.splitlines()
    assert lines[-1] == "big clip.mp4: cancelled: nothing was stored"
    assert lines.count(lines[-1]) == 1  # said once
    assert ip.user_ns["code"] is None
    monkeypatch.undo()
    assert set(env.client(PUBLIC).iter_files()) == before


def test_an_interrupt_cancels_every_row_of_a_cell_and_says_where_each_stands(
    env: Emulator, sv: Any, ip: InteractiveShell, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    big = tmp_path / "big.mp4"
    with big.open("wb") as f:
        f.truncate(512 * 2**20)
    _interrupt_when_uploading(monkeypatch)
    with capture_output() as cap:
        codes = ip.run_cell_magic("sv_upload", "--no-convert --parallel 1", f"{big}\n{big}")
    assert codes == [None, None]
    assert "0 of 2 uploaded:" in cap.stdout
    assert "line 1 big.mp4: cancelled: nothing was stored" in cap.stdout
    assert "line 2 big.mp4: cancelled: nothing was stored" in cap.stdout


def stalls_holding(emulator: Emulator) -> int:
    """Requests the emulator's ``stall`` rules hold now."""
    return sum(r["holding"] for r in emulator.faults.to_json() if r["kind"] == "stall")


def test_an_interrupt_ends_an_upload_the_upload_server_holds_back(
    env: Emulator, sv: Any, ip: InteractiveShell, tmp_path: Path
) -> None:
    """The upload server holds the request, body unread (``upload:stall``), so the upload's
    send is blocked in the socket: Ctrl-C (a kernel interrupt, or Cancel while the cell waits)
    ends the cell while the server still holds it, in one line, with nothing stored."""
    big = tmp_path / "big clip.mp4"
    with big.open("wb") as f:
        f.truncate(512 * 2**20)  # sparse: far more than the socket buffers take in
    before = set(env.client(PUBLIC).iter_files())
    client = sv.session.client()
    client._transport.timeout = (120.0, 120.0)  # no socket timeout could end it instead
    env.set_faults(["upload:stall"])
    stalled = threading.Event()

    def interrupt_once_held() -> None:
        deadline = time.monotonic() + 60
        while stalls_holding(env) < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        stalled.set()
        signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)

    threading.Thread(target=interrupt_once_held, daemon=True).start()
    try:
        result, cap = run(ip, f'code = %sv_upload "{big}" --no-convert')
        held = stalls_holding(env)
    finally:
        env.clear_faults()
        client._transport.timeout = (10.0, 120.0)
    assert stalled.is_set()
    assert held == 1  # the cell ended while the server still held the request
    assert result.error_in_exec is None, cap.stderr
    assert "Traceback" not in cap.stdout + cap.stderr
    assert cap.stdout.splitlines()[-1] == "big clip.mp4: cancelled: nothing was stored"
    assert ip.user_ns["code"] is None
    assert set(env.client(PUBLIC).iter_files()) == before
    deadline = time.monotonic() + 30
    while env.faults.stalled and time.monotonic() < deadline:  # the server reads again...
        time.sleep(0.01)
    assert env.faults.stalled == 0
    assert set(env.client(PUBLIC).iter_files()) == before  # ...a cut-off body: nothing


def test_widget_display_mode(
    env: Emulator, sv: Any, ip: InteractiveShell, small_file: Path
) -> None:
    ip.run_line_magic("config", "SpareVideos.display = 'widget'")
    with capture_output() as cap:
        code = ip.run_line_magic("sv_upload", f"{small_file} --no-convert")
    assert code in env.client(PUBLIC).iter_files()
    bundles = [output.data for output in cap.outputs]
    assert any("application/vnd.jupyter.widget-view+json" in data for data in bundles)
    assert "uploading" not in cap.stdout  # no text progress alongside the widget


def test_bulk_upload_runs_parallel_uploads_at_once(
    env: Emulator, sv: Any, ip: InteractiveShell, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--parallel 4 has four uploads in flight together: each initiation waits at a barrier
    that opens only when four have arrived (one at a time, it would break). Speed lives in
    benchmarks/bench_bulk.py."""
    for i in range(8):
        (tmp_path / f"small-{i:02d}.mp4").write_bytes(b"\x00" * 2048 + bytes([i]))
    cell = "\n".join(str(p) for p in sorted(tmp_path.glob("small-*.mp4")))
    client = sv.session.client()
    barrier = threading.Barrier(4, timeout=60)
    initiate = client.initiate_upload

    def gathered(**kwargs: Any) -> Any:
        barrier.wait()
        return initiate(**kwargs)

    monkeypatch.setattr(client, "initiate_upload", gathered)
    with capture_output():
        codes = ip.run_cell_magic("sv_upload", "--no-convert --parallel 4", cell)
    assert not barrier.broken
    assert len(codes) == 8
    assert all(codes)
    assert len(set(codes)) == 8


# -- demo mode --------------------------------------------------------------------------------
def demo_notices(stdout: str) -> list[str]:
    """Each demo-mode notice in ``stdout``, its lines joined; every line fits 78 columns."""
    notices: list[list[str]] = []
    for line in stdout.splitlines():
        if line.startswith("sv_widgets demo mode"):
            notices.append([line])
        elif notices and line.startswith("  ") and len(notices[-1]) < 10:
            notices[-1].append(line)
    for lines in notices:
        assert all(len(line) <= 78 for line in lines), lines
    return [" ".join(" ".join(lines).split()) for lines in notices]


@pytest.mark.parametrize(
    ("shell", "session"),
    [(None, "this IPython session"), (type("Kernel", (), {"kernel": object()})(), "the kernel")],
    ids=["terminal", "kernel"],
)
def test_the_demo_notice_is_wrapped_and_names_what_the_data_lives_as_long_as(
    shell: Any, session: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Printed once when demo mode starts: short lines, and "this IPython session" where
    there is no kernel (a terminal) instead of a kernel that is not there."""
    from sv_widgets.credentials import Credentials
    from sv_widgets.magics._demo import DemoService
    from sv_widgets.magics._session import MagicSession
    from sv_widgets.settings import SpareVideos

    demo = DemoService()
    creds = Credentials("demo", MARKER, source="demo", origin="http://127.0.0.1:40123")

    def start(data_dir: str = "") -> tuple[Credentials, bool]:
        demo._credentials = creds
        return creds, True

    monkeypatch.setattr(demo, "credentials", start)
    monkeypatch.setattr("sv_widgets.magics._session.demo_service", lambda: demo)
    monkeypatch.setenv("SV_CONFIG_DIR", "/nonexistent-sv-config")
    for name in ("SV_PUBLIC_KEY", "SV_PRIVATE_KEY"):
        monkeypatch.delenv(name, raising=False)
    assert MagicSession(SpareVideos(), shell).credentials() is creds
    (notice,) = demo_notices(capsys.readouterr().out)
    assert notice == (
        "sv_widgets demo mode: no credentials found, so the magics use a local emulator at "
        f"http://127.0.0.1:40123 (temporary data, deleted when {session} exits). For a real "
        "account: %sv_login --save, or set SV_PUBLIC_KEY and SV_PRIVATE_KEY (and SV_API_URL "
        "and SV_THUMBNAIL_URL for a service other than sparevideos.com)."
    )


def test_demo_mode_end_to_end(sv: Any, ip: InteractiveShell, sample_clip: Path) -> None:
    """Nothing configured: %sv_upload clip.mp4, then %sv_info $code."""
    status = ip.run_line_magic("sv_status", "")
    assert status.source == "demo"
    assert not demo_service().running

    ip.user_ns["clip"] = str(sample_clip)
    result, cap = run(ip, "code = %sv_upload $clip")
    assert result.error_in_exec is None, cap.stderr
    (notice,) = demo_notices(cap.stdout)
    assert "%sv_login --save" in notice
    assert "SV_PUBLIC_KEY" in notice
    # no kernel here (a terminal, a plain shell): the data lives as long as this session
    assert "temporary data, deleted when this IPython session exits" in notice
    assert "kernel" not in notice

    result, cap = run(ip, "info = %sv_info $code")
    assert result.error_in_exec is None, cap.stderr
    assert isinstance(ip.user_ns["info"], FileInfo)
    assert ip.user_ns["info"].code == ip.user_ns["code"]
    assert "demo mode" not in cap.stdout  # said once per kernel, not per magic

    status = ip.run_line_magic("sv_status", "")
    assert (status.source, status.public_key) == ("demo", "demo")
    demo_key = demo_service().credentials()[0].private_key
    texts = [repr(status), cap.stdout, repr(sv.session), *ip.history_manager.input_hist_raw]
    assert not any(demo_key in text for text in texts)

    # the service's work happens in a child process, which got the key through a pipe
    child = demo_service()._emulator
    assert child is not None
    assert child.pid != os.getpid()
    assert demo_key not in Path(f"/proc/{child.pid}/cmdline").read_bytes().decode()

    ip.run_line_magic("unload_ext", "sv_widgets")
    assert not demo_service().running  # unloading stops the emulator
    assert not child.running
    ip.run_line_magic("load_ext", "sv_widgets")


# -- as a person uses them ----------------------------------------------------------------------
@pytest.fixture
def manual_env(sv: Any, emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    """Credentials from the environment, pointing at ``emu`` (mark the test ``@MANUAL``)."""
    assert emu.conversions == "manual", "a test that takes manual_env is marked @MANUAL"
    for name, value in (
        ("SV_PUBLIC_KEY", PUBLIC),
        ("SV_PRIVATE_KEY", MARKER),
        ("SV_API_URL", emu.api_url),
        ("SV_THUMBNAIL_URL", emu.thumbnail_url),
    ):
        monkeypatch.setenv(name, value)
    return emu


@pytest.mark.parametrize(
    "line",
    [
        '"$folder/my clip.mp4"',
        "'{folder}/my clip.mp4'",
        "{folder}/my\\ clip.mp4",
        "$p",
        '"$p"',
        "{p}",
        "-- $p",
        "$folder/my\\ clip.mp4",
        "$p  # a comment",
    ],
)
def test_names_with_spaces_in_every_form(
    env: Emulator, sv: Any, ip: InteractiveShell, tmp_path: Path, line: str
) -> None:
    clip = tmp_path / "my clip.mp4"
    clip.write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(64))
    ip.user_ns.update(p=str(clip), folder=str(tmp_path))
    line = line.replace("'{folder}", f"'{tmp_path}").replace("{folder}/my\\", f"{tmp_path}/my\\")
    with capture_output() as cap:
        code = ip.run_line_magic("sv_upload", f"--no-convert {line}")
    assert code in env.client(PUBLIC).iter_files(), cap.stdout
    assert cap.stdout.splitlines()[-1].startswith("my clip.mp4: uploaded as ")


def test_a_cell_line_may_be_quoted_or_hold_spaces(
    env: Emulator, sv: Any, ip: InteractiveShell, tmp_path: Path
) -> None:
    clip = tmp_path / "my clip.mp4"
    clip.write_bytes(b"\x00" * 64)
    cell = f'{clip}\n"{clip}"\n{str(clip).replace(" ", chr(92) + " ")}\n'
    with capture_output() as cap:
        codes = ip.run_cell_magic("sv_upload", "--no-convert", cell)
    assert len(codes) == 3
    assert all(codes), cap.stdout


@pytest.mark.parametrize(
    "line",
    [
        "sv_info 1488633857-ZZZZZZ",
        "sv_thumbnails 1488633857-ZZZZZZ",
        "sv_play 1488633857-ZZZZZZ",
        "sv_convert 1488633857-ZZZZZZ",
        "sv_delete 1488633857-ZZZZZZ --yes",
    ],
)
def test_an_unknown_code_is_one_line_on_every_magic_and_draws_nothing(
    env: Emulator, sv: Any, ip: InteractiveShell, line: str
) -> None:
    ip.run_line_magic("config", "SpareVideos.display = 'widget'")
    magic, rest = line.split(" ", 1)
    with capture_output() as cap, pytest.raises(UsageError) as e:
        ip.run_line_magic(magic, rest)
    assert str(e.value).startswith("[404] "), e.value
    assert "\n" not in str(e.value)
    assert cap.outputs == []  # nothing drawn before the error


@MANUAL
@pytest.mark.parametrize("magic", ["sv_thumbnails", "sv_play"])
def test_an_unconverted_code_says_what_to_do(
    manual_env: Emulator, sv: Any, ip: InteractiveShell, small_file: Path, magic: str
) -> None:
    ip.run_line_magic("config", "SpareVideos.display = 'widget'")
    code = ip.run_line_magic("sv_upload", f"{small_file} --no-convert")
    with capture_output() as cap, pytest.raises(UsageError, match=rf"%sv_convert {code}"):
        ip.run_line_magic(magic, code)
    assert cap.outputs == []
    manual_env.client(PUBLIC).convert(code)
    manual_env.set_conversion(code, progress=40)
    with pytest.raises(UsageError, match=r"still converting \(40% done\)"):
        ip.run_line_magic(magic, code)


@MANUAL
def test_sv_convert_follows_the_conversion_like_an_upload(
    manual_env: Emulator, sv: Any, ip: InteractiveShell, small_file: Path
) -> None:
    code = ip.run_line_magic("sv_upload", f"{small_file} --no-convert")
    with capture_output() as cap:
        assert ip.run_line_magic("sv_convert", f"{code} --no-wait") == code
    assert f"{code}: uploaded as {code}; conversion requested" in cap.stdout
    manual_env.set_conversion(code, state="ready")
    with pytest.raises(UsageError, match=r"^\[100031\] "):
        ip.run_line_magic("sv_convert", code)


@MANUAL
def test_sv_convert_waits_and_reports_ready(
    manual_env: Emulator, sv: Any, ip: InteractiveShell, small_file: Path
) -> None:
    code = ip.run_line_magic("sv_upload", f"{small_file} --no-convert")
    ip.run_line_magic("config", "SpareVideos.poll_interval = 0.05")

    def finish_when_converting() -> None:
        client = manual_env.client(PUBLIC)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                client.file_info(code)
            except FileNotConverted as e:
                if "progress" in e.message.lower() or e.progress is not None:
                    manual_env.set_conversion(code, state="ready")
                    return
            time.sleep(0.05)

    helper = threading.Thread(target=finish_when_converting)
    helper.start()
    with capture_output() as cap:
        assert ip.run_line_magic("sv_convert", code) == code
    helper.join()
    assert cap.stdout.splitlines()[-1] == f"{code}: converted: {code} is ready to play"


@MANUAL
def test_an_interrupt_while_converting_returns_the_stored_files_code(
    manual_env: Emulator, sv: Any, ip: InteractiveShell, small_file: Path
) -> None:
    """Ctrl-C while the conversion is waited for (it never ends here): the file is stored and
    keeps converting, so the magic returns its code and says, once, where it is and what to
    do with it; no traceback."""
    converting = threading.Event()
    before = len(manual_env.list_conversions())

    def interrupt_once_converting() -> None:
        deadline = time.monotonic() + 60
        while len(manual_env.list_conversions()) == before and time.monotonic() < deadline:
            time.sleep(0.01)
        converting.set()
        signal.pthread_kill(threading.main_thread().ident or 0, signal.SIGINT)

    threading.Thread(target=interrupt_once_converting, daemon=True).start()
    result, cap = run(ip, f"code = %sv_upload {small_file}")
    assert converting.is_set()
    assert result.error_in_exec is None, cap.stderr
    assert "Traceback" not in cap.stdout + cap.stderr
    code = ip.user_ns["code"]
    assert code in manual_env.client(PUBLIC).iter_files()  # stored, kept
    state = (
        f"small.mp4: cancelled: uploaded as {code}, conversion requested, "
        "still converting on the service"
    )
    lines = cap.stdout.splitlines()
    assert lines.count(state) == 1  # said once (the text progress), not twice
    assert lines[-1] == (
        f"{code} is kept: %sv_info {code} tells when it is converted, %sv_delete {code} removes it"
    )


def test_sv_client_is_the_client_the_magics_use(sv: Any, ip: InteractiveShell) -> None:
    client = ip.run_line_magic("sv_client", "")
    assert client is sv.session.client()
    assert client.public_key == "demo"  # nothing configured: the demo emulator
    demo_key = demo_service().credentials()[0].private_key
    assert demo_key not in repr(client)
    assert client.list_files().codes == ()


@MANUAL
def test_text_mode_prints_finished_results(
    manual_env: Emulator, sv: Any, ip: InteractiveShell, small_file: Path
) -> None:
    ip.run_line_magic("config", "SpareVideos.display = 'text'")
    done = ip.run_line_magic("sv_upload", f"{small_file} --no-convert")
    ip.run_line_magic("sv_convert", f"{done} --no-wait")
    manual_env.set_conversion(done, state="ready")
    waiting = ip.run_line_magic("sv_upload", f"{small_file} --no-convert")

    files = ip.run_line_magic("sv_files", "")
    assert done in files
    assert waiting in files
    table = repr(files)
    assert "<FileBrowser" not in table
    assert re.search(rf"{done}\s+\d+:\d\d\s+mp4\s+\d+p", table), table
    assert re.search(rf"{waiting}\s+not converted", table), table
    assert re.search(r"\(\d+ files\)", table)

    thumbs = ip.run_line_magic("sv_thumbnails", done)
    assert len(thumbs) >= 5
    assert "(selected)" in repr(thumbs)

    links = ip.run_line_magic("sv_play", done)
    assert any(kind == "mp4" for kind, _label, _url in links)
    assert "http://" in repr(links)


@MANUAL
def test_finished_widgets_read_finished(
    manual_env: Emulator, sv: Any, ip: InteractiveShell, small_file: Path
) -> None:
    from sv_widgets.widgets import UploadProgress

    client = manual_env.client(PUBLIC)
    no_convert = UploadProgress(client, small_file, convert=False)
    no_convert.wait(60)
    assert "Not converted: no conversion was requested" in no_convert._result.value
    assert "Duration" not in no_convert._result.value
    assert "MB/s" not in no_convert._detail.value  # a few bytes: a rate would be noise
    assert "convert=False" not in no_convert.state
    no_wait = UploadProgress(client, small_file, wait=False)
    no_wait.wait(60)
    assert (no_wait._bar.value, no_wait._bar.bar_style) == (1.0, "success")
    assert "Converting on the service" in no_wait._result.value


def conversion_requested(emu: Emulator, upload: Any, not_this: str = "") -> str:
    """The code of ``upload``'s file once the service has been asked to convert it: the
    service's side, not the upload's phase (which is set just before the request)."""
    deadline = time.monotonic() + 60
    while True:
        code = upload.state.file_code
        waiting = {
            c["code"] for c in emu.list_conversions() if c["state"] in ("queued", "converting")
        }
        if code and code != not_this and code in waiting:
            return str(code)
        assert time.monotonic() < deadline, f"no conversion requested: {upload.state.phase}"
        time.sleep(0.02)


@MANUAL
def test_retry_replaces_a_file_whose_conversion_failed(
    manual_env: Emulator, sv: Any, ip: InteractiveShell, small_file: Path
) -> None:
    from sv_widgets.uploads import Upload, UploadOptions

    client = manual_env.client(PUBLIC)
    upload = Upload(client, small_file, UploadOptions(poll_interval=0.05))
    upload.start()
    first = conversion_requested(manual_env, upload)
    manual_env.set_conversion(first, state="failed", reason="not a video")
    with pytest.raises(FileserverError):
        upload.wait(60)
    upload.retry()
    second = conversion_requested(manual_env, upload, not_this=first)
    manual_env.set_conversion(second, state="ready")
    assert upload.wait(60) == second
    codes = set(client.iter_files())
    assert second in codes
    assert first not in codes  # replaced, not kept beside the new one


@pytest.mark.parametrize(
    ("api_url", "expected"),
    [
        ("http://127.0.0.1:9/api/v1", "cannot reach 127.0.0.1:9: the connection was refused"),
        ("https://devs.sparevideos.invalid/api/v1", "the name does not resolve"),
    ],
)
def test_connection_errors_in_plain_words(
    sv: Any, ip: InteractiveShell, monkeypatch: pytest.MonkeyPatch, api_url: str, expected: str
) -> None:
    monkeypatch.setenv("SV_PUBLIC_KEY", PUBLIC)
    monkeypatch.setenv("SV_PRIVATE_KEY", MARKER)
    monkeypatch.setenv("SV_API_URL", api_url)
    with pytest.raises(UsageError) as e:
        ip.run_line_magic("sv_info", "1488633857-11PYNC")
    message = str(e.value)
    assert expected in message
    assert "%sv_status" in message
    assert "SV_API_URL" in message
    assert "Max retries" not in message
    assert "HTTPSConnectionPool" not in message
    assert MARKER not in message


def test_help_is_plain_and_returns_nothing(sv: Any, ip: InteractiveShell) -> None:
    for name in MAGICS:
        with capture_output() as cap:
            assert ip.run_line_magic(name, "--help") is None
        assert "``" not in cap.stdout
    with capture_output() as cap:
        ip.run_line_magic("sv_upload", "-h")
    assert "no path" in cap.stdout.lower() or "my clip.mp4" in cap.stdout


@MANUAL
def test_an_unknown_rendition_is_refused_naming_those_there_are(
    manual_env: Emulator, sv: Any, ip: InteractiveShell, small_file: Path
) -> None:
    code = ip.run_line_magic("sv_upload", f"{small_file} --no-convert")
    ip.run_line_magic("sv_convert", f"{code} --no-wait")
    manual_env.set_conversion(code, state="ready")
    with pytest.raises(UsageError, match=r"no '999' rendition; it has \d+"):
        ip.run_line_magic("sv_play", f"{code} --rendition 999")


@MANUAL
def test_a_format_the_file_lacks_is_refused_naming_those_it_has(
    manual_env: Emulator, sv: Any, ip: InteractiveShell, small_file: Path
) -> None:
    code = ip.run_line_magic("sv_upload", f"{small_file} --no-convert")
    ip.run_line_magic("sv_convert", f"{code} --mp4-only --no-wait")
    manual_env.set_conversion(code, state="ready")
    with pytest.raises(UsageError, match=rf"^{code} has no dash stream; it has mp4$"):
        ip.run_line_magic("sv_play", f"{code} --format dash")


def test_the_banner_and_the_status_name_all_four_settings(
    sv: Any, ip: InteractiveShell, small_file: Path
) -> None:
    status = repr(ip.run_line_magic("sv_status", ""))
    with capture_output() as cap:
        ip.run_line_magic("sv_upload", f"{small_file} --no-convert")
    for name in ("SV_PUBLIC_KEY", "SV_PRIVATE_KEY", "SV_API_URL", "SV_THUMBNAIL_URL"):
        assert name in status
        assert name in cap.stdout


def test_a_demo_emulator_that_died_is_replaced_and_the_kernel_is_told(
    sv: Any, ip: InteractiveShell, small_file: Path
) -> None:
    first = ip.run_line_magic("sv_upload", f"{small_file} --no-convert")
    child = demo_service()._emulator
    assert child is not None
    os.kill(child.pid, signal.SIGKILL)  # as the out-of-memory killer would
    assert child.proc is not None
    child.proc.wait(30)
    assert not demo_service().running
    with capture_output() as cap:
        second = ip.run_line_magic("sv_upload", f"{small_file} --no-convert")
    (said,) = demo_notices(cap.stdout)
    assert "the demo emulator had stopped (killed by signal 9); started a new one" in said
    assert "its uploads went with it" in said
    assert demo_service().running
    creds, started = demo_service().credentials()
    assert not started
    urls = {"api_url": creds.api_url, "thumbnail_url": creds.thumbnail_url}
    with Client(creds.public_key, creds.private_key, **urls) as client:
        assert list(client.iter_files()) == [second]  # a fresh emulator, and the magics use it
    assert first != second


def test_demo_mode_without_the_emulator_extra_says_what_to_install(
    sv: Any, ip: InteractiveShell, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib.util

    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "uvicorn" else find_spec(name, *a),
    )
    with pytest.raises(UsageError) as e:
        ip.run_line_magic("sv_files", "")
    message = str(e.value)
    assert 'pip install "sv-widgets[emulator]"' in message
    assert "uvicorn" in message
    assert "%sv_login" in message
    assert not demo_service().running


@pytest.mark.slow
def test_retry_in_a_bulk_row_replaces_the_failed_file_and_the_returned_list(
    env: Emulator,
    sv: Any,
    ip: InteractiveShell,
    tmp_path: Path,
    sample_clip: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A row whose file is not a video fails to convert; the person fixes the file and clicks
    Retry after the cell ended: the new file is stored, the failed one deleted, and the list
    the cell returned names the new code."""
    import IPython.display

    from sv_widgets.widgets import UploadProgress

    shown: list[Any] = []
    monkeypatch.setattr(IPython.display, "display", lambda *objs, **kw: shown.extend(objs))

    good, bad = tmp_path / "good.mp4", tmp_path / "bad.mp4"
    good.write_bytes(sample_clip.read_bytes())
    bad.write_text("these are notes, not a video\n")
    ip.run_line_magic("config", "SpareVideos.display = 'widget'")
    ip.run_line_magic("config", "SpareVideos.poll_interval = 0.1")
    with capture_output():
        results = ip.run_cell_magic("sv_upload", "--parallel 2", f"{good}\n{bad}")
    failed = results[1]
    assert results[0] is not None
    assert failed is not None  # a failed conversion keeps its code, so it can be deleted
    (box,) = shown
    rows = [w for w in box.children if isinstance(w, UploadProgress)]
    (row,) = [w for w in rows if w.upload.state.file_code == failed]
    assert "sv-upload-row" in row._dom_classes  # bulk uploads: one compact row per file

    bad.write_bytes(sample_clip.read_bytes())  # fixed
    row._retry_button.click()
    assert row.upload.done(300)
    assert row.phase == "ready", row.error
    assert results[1] == row.file_code != failed
    codes = set(env.client(PUBLIC).iter_files())
    assert results[1] in codes
    assert failed not in codes


# -- the upload area (no path) ----------------------------------------------------------------
def test_sv_upload_with_no_path_shows_an_upload_area_once_and_returns_it(
    env: Emulator, sv: Any, ip: InteractiveShell
) -> None:
    from sv_widgets.widgets import UploadDropzone

    ip.run_line_magic("config", "SpareVideos.display = 'widget'")
    result, cap = run(ip, "%sv_upload --no-convert --transport relay --parallel 3")
    zone = result.result
    assert isinstance(zone, UploadDropzone)
    views = [o for o in cap.outputs if "application/vnd.jupyter.widget-view+json" in o.data]
    assert len(views) == 1  # the magic shows it; IPython does not show the returned value again
    assert views[0].data["application/vnd.jupyter.widget-view+json"]["model_id"] == zone.model_id
    assert (zone.options.convert, zone.transport, zone._runner._pool._max_workers) == (
        False,
        "relay",
        3,
    )
    assert_no_marker(ip, zone, repr(zone.get_state()))
    zone.close()

    result, cap = run(ip, "zone = %sv_upload --sd-only --mp4-only")  # assigned: still shown
    zone = ip.user_ns["zone"]
    assert len([o for o in cap.outputs if "text/plain" in o.data]) == 1
    assert (zone.options.sd_only, zone.options.mp4_only, zone.transport) == (True, True, "auto")
    zone.close()


@pytest.mark.parametrize(
    ("line", "match"),
    [
        ("a.mp4 --transport relay", "--transport is for the upload area"),
        ("--no-wait", "--no-wait is for a path or URL"),
        ("--parallel 0", "--parallel must be at least 1, not 0"),
        ("--transport pigeon", "invalid choice: 'pigeon'"),
    ],
)
def test_the_upload_area_options_are_checked(
    env: Emulator, sv: Any, ip: InteractiveShell, line: str, match: str
) -> None:
    ip.run_line_magic("config", "SpareVideos.display = 'widget'")
    with pytest.raises(UsageError, match=match):
        ip.run_line_magic("sv_upload", line)


def test_without_widgets_sv_upload_with_no_path_says_what_to_give(
    sv: Any, ip: InteractiveShell
) -> None:
    ip.run_line_magic("config", "SpareVideos.display = 'text'")
    with pytest.raises(UsageError, match="choose or drop files from your own computer"):
        ip.run_line_magic("sv_upload", "")


def test_sv_upload_help_tells_of_the_upload_area(sv: Any, ip: InteractiveShell) -> None:
    with capture_output() as cap:
        ip.run_line_magic("sv_upload", "--help")
    text = " ".join(cap.stdout.split())
    assert "With no path, in a notebook: shows an UploadDropzone and returns it" in text
    assert "--transport {auto,direct,relay}" in text
    assert "it uploads 2 at once unless --parallel says otherwise" in text
    # --parallel says both defaults: the cell form's setting, the upload area's own
    assert (
        "--parallel N uploads at once: in %%sv_upload, default %config SpareVideos.parallel "
        "(4 unless changed); with no path (the upload area), default 2"
    ) in text
    assert "default %config SpareVideos.parallel, which is 4 unless changed" in text


def test_help_continuation_lines_sit_under_the_first_argument(
    sv: Any, ip: InteractiveShell
) -> None:
    """The usage wraps as argparse's does, aligned under the magic's first argument (not
    indented for the ``usage:`` prefix that is not printed)."""
    with capture_output() as cap:
        ip.run_line_magic("sv_upload", "--help")
    usage = cap.stdout.split("\n\n", 1)[0].splitlines()
    assert usage[0].startswith("%sv_upload [-h] ")
    assert len(usage) > 1  # it wraps: the test means something
    indent = " " * len("%sv_upload ")
    for line in usage[1:]:
        assert line.startswith(indent + "[")
        assert not line.startswith(indent + " ")


# -- terminal IPython, for real: a pty, the ipython command, Ctrl-C as the terminal sends it ----
PROMPT = r"In \[(\d+)\]: "


class Terminal:
    """``ipython`` in a pseudo-terminal (80 columns), the magics loaded, driven line by line."""

    def __init__(self, tmp_path: Path, env: dict[str, str]) -> None:
        import pexpect

        self.pexpect = pexpect
        self.child = pexpect.spawn(
            sys.executable,
            [
                "-m",
                "IPython",
                "--no-banner",
                "--colors=NoColor",
                "--simple-prompt",
                "--HistoryManager.hist_file=:memory:",
            ],
            env={**env, "IPYTHONDIR": str(tmp_path / "ipython"), "TERM": "dumb"},
            cwd=str(tmp_path),
            encoding="utf-8",
            timeout=90,
            dimensions=(40, 80),
        )
        self.child.expect(PROMPT)
        self.run("%load_ext sv_widgets")

    def run(self, line: str) -> str:
        """Type ``line``, wait for the next prompt; what the terminal showed in between."""
        self.child.sendline(line)
        self.child.expect(PROMPT)
        return self._text()

    def start(self, line: str, until: str) -> None:
        self.child.sendline(line)
        self.child.expect(until)

    def interrupt(self) -> str:
        """Ctrl-C as the terminal sends it (SIGINT to the foreground process group)."""
        self.child.sendintr()
        self.child.expect(PROMPT)
        return self._text()

    def _text(self) -> str:
        # the redrawn progress line ends in "\r\x1b[2K" before each redraw: keep the last
        text = (self.child.before or "").replace("\r\n", "\n")
        return "\n".join(line.split("\r")[-1].replace("\x1b[2K", "") for line in text.split("\n"))

    def close(self) -> None:
        self.child.sendline("exit")
        self.child.expect(self.pexpect.EOF)


@pytest.fixture
def terminal_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SV_")}
    env["SV_CONFIG_DIR"] = str(tmp_path / "no-config")
    return env


@pytest.mark.slow
def test_terminal_ipython_help_demo_notice_and_logout(
    tmp_path: Path, terminal_env: dict[str, str]
) -> None:
    """No credentials: demo mode in a real terminal IPython."""
    term = Terminal(tmp_path, terminal_env)
    try:
        usage = term.run("%sv_upload --help").split("\n\n", 1)[0].splitlines()[1:]
        assert usage[0].startswith("%sv_upload [-h]")
        assert all(line.startswith(" " * 11 + "[") for line in usage[1:]), usage
        logout = term.run("%sv_logout").splitlines()[1:]
        assert logout[0] == (
            "Nothing to log out of: there is no %sv_login in this session (the magics use "
            "demo mode)."
        )
        shown = term.run("%sv_files").splitlines()[1:]
        notice = shown[: next(i for i, line in enumerate(shown) if "For a real" in line) + 2]
        assert notice[0].startswith("sv_widgets demo mode: no credentials found")
        assert all(len(line) <= 78 for line in notice), notice
        said = " ".join(" ".join(notice).split())
        assert "deleted when this IPython session exits" in said
        assert "kernel" not in said
    finally:
        term.close()


@pytest.mark.slow
@MANUAL
def test_terminal_ipython_ctrl_c_info_and_renditions(
    tmp_path: Path, terminal_env: dict[str, str], emu: Emulator, small_file: Path
) -> None:
    """Ctrl-C in a real terminal while an upload converts: said once, the code returned;
    %sv_info lists each rendition with its URL, the highest first."""
    env = {
        **terminal_env,
        "SV_PUBLIC_KEY": PUBLIC,
        "SV_PRIVATE_KEY": MARKER,
        "SV_API_URL": emu.api_url,
        "SV_THUMBNAIL_URL": emu.thumbnail_url,
    }
    term = Terminal(tmp_path, env)
    try:
        term.start(f"code = %sv_upload {small_file}", "converting")
        shown = term.interrupt()
        code = term.run("print(code)").split()[-1]
        assert code in emu.client(PUBLIC).iter_files()
        state = f"small.mp4: cancelled: uploaded as {code}, conversion requested, still"
        assert shown.count(state) == 1, shown  # once, not twice
        assert f"{code} is kept: %sv_info {code} tells when it is converted" in shown
        assert "Traceback" not in shown
        emu.set_conversion(code, state="ready")
        info = term.run(f"%sv_info {code}")
        urls = re.findall(r"^ +(\d+): '(http[^']+)',$", info, re.MULTILINE)
        assert [label for label, _ in urls[:3]] == ["720", "480", "360"], info
        assert all(url.endswith(f"_{label}.mp4") for label, url in urls[:3]), info
        assert MARKER not in shown + info
    finally:
        term.close()


def test_the_transport_choices_are_the_upload_areas_modes() -> None:
    from sv_widgets.magics import SpareVideosMagics
    from sv_widgets.uploads import MODES

    assert f"--transport {{{','.join(MODES)}}}" in (SpareVideosMagics.sv_upload.__doc__ or "")
