"""UploadProgress against the real emulator and client: phases, cancel, failure, retry, remote."""

from __future__ import annotations

import http.server
import io
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sv_widgets.client import Client
from sv_widgets.emulator import Emulator
from sv_widgets.errors import FileserverError
from sv_widgets.uploads import RateMeter, Upload, UploadOptions
from sv_widgets.widgets import UploadCancelled, UploadProgress

JPEG = b"\xff\xd8"


def record_phases(upload: UploadProgress) -> list[str]:
    phases: list[str] = []
    upload.observe(lambda change: phases.append(change["new"]), names="phase")
    return phases


@pytest.mark.slow
def test_local_upload_reaches_ready_with_code(client: Client, sample_clip: Path) -> None:
    up = UploadProgress(client, sample_clip, autostart=False, poll_interval=0.1)
    phases = record_phases(up)
    converting: list[float] = []
    up.observe(
        lambda c: converting.append(c["new"]) if up.phase == "converting" else None, "progress"
    )
    up.start()
    code = up.wait(timeout=120)

    assert code == up.file_code
    assert code in set(client.iter_files())
    assert phases == ["initiating", "uploading", "converting", "ready"]
    assert any(0 < p < 1 for p in converting), converting  # the server's percent, as 0..1
    assert up.progress == 1.0
    assert up.error == ""
    assert up.error_code is None
    assert up.sent == up.total == sample_clip.stat().st_size
    assert "uploaded at" in up._detail.value
    assert "MB/s" in up._detail.value
    assert up.info is not None
    assert up.info.playtime == pytest.approx(3.0, abs=0.5)
    # the finished view: code and duration shown, the selected thumbnail as bytes
    assert code in up._result.value
    assert "0:03" in up._result.value
    assert bytes(up._thumbnail.value).startswith(JPEG)
    assert up._cancel_button.layout.display == "none"
    assert up._retry_button.layout.display == "none"
    assert sample_clip.name in up._title.value
    # the bar a screen reader reads: named, full, and its live region saying how it ended
    assert up._bar.description == f"Upload of {sample_clip.name}"
    assert (up._bar.value, up._bar.bar_style) == (1.0, "success")
    assert up._bar.status == f"{sample_clip.name}: done, file code {code}"


def test_upload_without_conversion_stops_after_upload(client: Client, sample_clip: Path) -> None:
    up = UploadProgress(client, sample_clip, convert=False)
    code = up.wait(timeout=60)
    assert up.phase == "ready"
    assert "not converted" in up.state
    assert code in set(client.iter_files())
    with pytest.raises(Exception, match=r"100030|not converted"):
        client.file_info(code)


class SlowFile(io.FileIO):
    """A real file that reads slowly, so a cancel lands while the body is still streaming."""

    def read(self, size: int = -1) -> bytes:
        time.sleep(0.02)
        return super().read(size)


def test_cancel_during_upload_leaves_no_file(client: Client, tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    with big.open("wb") as f:
        f.truncate(32 * 1024 * 1024)
    source = SlowFile(big)
    up = UploadProgress(client, source, autostart=False)
    up.observe(lambda c: up.cancel() if c["new"] > 0 else None, names="progress")
    up.start()
    with pytest.raises(UploadCancelled, match="nothing was stored"):
        up.wait(timeout=60)
    assert up.phase == "cancelled"
    assert up.state == "cancelled: nothing was stored"
    assert 0 < up.progress < 1
    assert up.file_code == ""
    assert up._retry_button.layout.display == ""
    assert up._cancel_button.layout.display == "none"
    assert client.list_files().codes == ()
    source.close()


def wait_until(condition: Any, timeout: float = 30.0) -> bool:
    """Whether ``condition()`` came true within ``timeout`` seconds (looked at every 10 ms)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def stalls_holding(emulator: Emulator) -> int:
    """Requests the emulator's ``stall`` rules hold now."""
    return sum(r["holding"] for r in emulator.faults.to_json() if r["kind"] == "stall")


def test_cancel_ends_an_upload_the_upload_server_holds_back(emu: Emulator, tmp_path: Path) -> None:
    """The upload server holds the request and reads none of its body (``upload:stall``),
    so the client's send blocks: Cancel closes the connection under it, and the upload ends
    while the server still holds the request. Nothing is stored, then or once it lets go.
    Long timeouts: no socket timeout could end the upload instead."""
    client = emu.client(timeout=(120, 120))
    big = tmp_path / "big.mp4"
    with big.open("wb") as f:
        f.truncate(256 * 1024 * 1024)  # sparse, and far more than any socket buffer holds
    emu.set_faults(["upload:stall"])
    up = UploadProgress(client, big, convert=False)
    assert wait_until(lambda: stalls_holding(emu) == 1 and up.sent > 0)
    up._cancel_button.click()
    assert up.upload.done(30)
    assert stalls_holding(emu) == 1  # ended while the server still holds it
    assert (up.phase, up.state) == ("cancelled", "cancelled: nothing was stored")
    assert up.file_code == ""
    assert client.list_files().codes == ()
    with pytest.raises(UploadCancelled, match="nothing was stored"):
        up.wait(0)
    emu.clear_faults()  # the server reads again: what reached it is a cut-off body
    assert wait_until(lambda: emu.faults.stalled == 0)
    assert client.list_files().codes == ()
    assert emu.data_dir is not None
    assert list((emu.data_dir / "tmp").iterdir()) == []
    client.close()


@pytest.mark.parametrize("route", ["initiate", "file_get"])
def test_cancel_ends_an_upload_while_the_service_is_slow_to_answer(
    emu: Emulator, sample_clip: Path, route: str
) -> None:
    """The service holds the ticket request, or a poll of the conversion, unanswered (a
    ``stall``): Cancel cuts the wait, though the client would wait minutes for an answer."""
    client = emu.client(timeout=(120, 120))
    emu.set_faults([f"{route}:stall"])
    up = UploadProgress(client, sample_clip, convert=True)
    assert wait_until(lambda: stalls_holding(emu) == 1)
    phase = up.phase
    up.cancel()
    assert up.upload.done(30)
    assert stalls_holding(emu) == 1  # ended while the service still holds the request
    assert up.phase == "cancelled"
    if route == "initiate":
        assert phase == "initiating"
        assert up.state == "cancelled: nothing was stored"
        assert client.list_files().codes == ()
    else:
        assert phase == "converting"
        assert up.state.startswith(f"cancelled: uploaded as {up.file_code}, conversion requested")
    emu.clear_faults()
    assert wait_until(lambda: emu.faults.stalled == 0)
    client.close()


def test_a_cancel_after_the_whole_file_went_ends_at_once_and_deletes_what_is_stored(
    emu: Emulator, tmp_path: Path
) -> None:
    """A small file the stalled server's buffers took in whole: the service may still store
    it, so its connection is not cut; the upload ends at once all the same, saying so, and the
    file is deleted once the server lets go and names it."""
    client = emu.client(timeout=(120, 120))
    small = tmp_path / "small.mp4"
    small.write_bytes(b"\x00" * 200_000)
    emu.set_faults(["upload:stall"])
    up = UploadProgress(client, small, convert=False)
    assert wait_until(lambda: stalls_holding(emu) == 1 and up.sent == small.stat().st_size)
    up.cancel()
    assert up.upload.done(30)
    assert stalls_holding(emu) == 1  # ended while the server still holds it
    assert up.phase == "cancelled"
    assert up.state == (
        "cancelled: the whole file had been sent and the upload server had not answered; "
        "if it stores the file, the file is deleted"
    )
    emu.clear_faults()
    assert wait_until(lambda: "was deleted" in up.state), up.state
    assert up.state.startswith("cancelled: the upload completed as ")
    assert client.list_files().codes == ()
    client.close()


@pytest.mark.slow
def test_cancel_while_converting_says_where_the_file_is(client: Client, sample_clip: Path) -> None:
    up = UploadProgress(client, sample_clip, autostart=False, poll_interval=5)
    up.observe(lambda c: up.cancel() if c["new"] == "converting" else None, names="phase")
    up.start()
    with pytest.raises(UploadCancelled):
        up.wait(timeout=60)
    assert up.file_code
    assert up.state == (
        f"cancelled: uploaded as {up.file_code}, conversion requested, "
        "still converting on the service"
    )
    assert up.file_code in set(client.iter_files())  # kept: the user may still want it


@pytest.mark.slow
def test_non_video_fails_with_10001_and_retry_works(
    client: Client, sample_clip: Path, tmp_path: Path
) -> None:
    path = tmp_path / "notes.mp4"
    path.write_bytes(b"this is not a video, just text\n" * 200)
    up = UploadProgress(client, path, poll_interval=0.2)
    with pytest.raises(FileserverError) as caught:
        up.wait(timeout=120)
    assert caught.value.code == 10001
    assert up.phase == "failed"
    assert up.error_code == 10001
    assert up.error.startswith("[10001] ")
    assert "[10001]" in up._message.value
    assert up.file_code in up.state
    assert up._retry_button.layout.display == ""

    shutil.copyfile(sample_clip, path)  # fix the file, then Retry
    up._retry_button.click()
    code = up.wait(timeout=120)
    assert up.phase == "ready"
    assert up.error == ""
    assert up.error_code is None
    assert client.file_info(code).playtime == pytest.approx(3.0, abs=0.5)


def test_missing_file_fails_in_place(client: Client, tmp_path: Path) -> None:
    up = UploadProgress(client, tmp_path / "nope.mp4")
    with pytest.raises(Exception, match=r"nope\.mp4"):
        up.wait(timeout=30)
    assert up.phase == "failed"
    assert "nope.mp4" in up.error
    assert up.state == "failed: nothing was stored"


@pytest.fixture
def served(tmp_path: Path, sample_clip: Path) -> Iterator[str]:
    """The sample clip served over HTTP on 127.0.0.1 (the emulator allows loopback)."""
    shutil.copyfile(sample_clip, tmp_path / "remote.mp4")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a: Any, **kw: Any) -> None:
            super().__init__(*a, directory=str(tmp_path), **kw)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/remote.mp4"
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_remote_url_upload(client: Client, served: str) -> None:
    up = UploadProgress(client, served, convert=False, poll_interval=0.1)
    code = up.wait(timeout=60)
    assert up.phase == "ready"
    assert up.progress == 1.0
    assert code in set(client.iter_files())
    assert up.name == served
    assert served in up._title.value


def test_run_text_prints_progress_for_terminals(client: Client, sample_clip: Path) -> None:
    out = io.StringIO()
    code = UploadProgress.run_text(client, sample_clip, stream=out, convert=False)
    lines = out.getvalue().splitlines()
    assert lines[0] == f"{sample_clip.name}: initiating"
    assert lines[-1].startswith(f"{sample_clip.name}: uploaded as {code}")
    assert lines[-1].count(code) == 1
    assert "\r" not in out.getvalue()  # not a terminal: plain lines for logs


def test_run_text_raises_the_api_error(client: Client, tmp_path: Path) -> None:
    path = tmp_path / "bad.mp4"
    path.write_bytes(b"garbage" * 100)
    out = io.StringIO()
    with pytest.raises(FileserverError):
        UploadProgress.run_text(client, path, stream=out, poll_interval=0.2)
    assert "failed: [10001]" in out.getvalue().splitlines()[-1]


def test_start_twice_is_refused(client: Client, sample_clip: Path) -> None:
    up = UploadProgress(client, SlowFile(sample_clip), convert=False)
    with pytest.raises(RuntimeError, match="already running"):
        up.start()
    up.wait(timeout=60)


def test_rate_meter_window() -> None:
    meter = RateMeter(window=2.0)
    assert meter.rate() is None
    assert meter.eta(10) is None
    for second in range(6):
        meter.add(second * 1_000_000, now=float(second))
    assert meter.rate() == pytest.approx(1_000_000)
    assert meter.eta(10_000_000) == pytest.approx(5.0)


def test_wait_before_start_is_refused(client: Client, sample_clip: Path) -> None:
    up = UploadProgress(client, sample_clip, autostart=False)
    with pytest.raises(RuntimeError, match="start"):
        up.wait(timeout=1)
    assert up.phase == "idle"


def test_retry_sends_a_file_object_from_its_start_again(client: Client) -> None:
    data = io.BytesIO(b"0123456789" * 1000)
    up = UploadProgress(client, data, convert=False)
    first = up.wait(timeout=60)
    up.retry()
    second = up.wait(timeout=60)
    assert first != second
    assert up.sent == up.total == 10_000  # not 0: the stream was rewound


@pytest.fixture
def held_served(sample_clip: Path) -> Iterator[tuple[str, threading.Event]]:
    """The sample clip served all but its last bytes, the rest held until the test sets the
    event it is given with the URL: a cancel lands during the fetch, by construction."""
    body = sample_clip.read_bytes()
    release = threading.Event()

    class Held(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "video/mp4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[:-1000])
            self.wfile.flush()
            release.wait(30)
            self.wfile.write(body[-1000:])

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Held)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/held.mp4", release
    release.set()
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_cancel_remote_upload_returns_at_once_and_deletes_what_arrives(
    client: Client, held_served: tuple[str, threading.Event]
) -> None:
    url, release = held_served
    up = UploadProgress(client, url, convert=False, poll_interval=0.1)
    deadline = time.monotonic() + 10
    while up.phase != "uploading":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    up._cancel_button.click()
    with pytest.raises(UploadCancelled):
        up.wait(timeout=10)
    assert not release.is_set()  # it returned while the service's fetch was still held
    assert up.state == "cancelled: nothing was stored"
    # the service still stores the fetched file; the widget deletes it once it knows its code
    release.set()
    deadline = time.monotonic() + 20
    while "was deleted" not in up.state:
        assert time.monotonic() < deadline, up.state
        time.sleep(0.05)
    assert up.state.startswith("cancelled: the upload completed as ")
    assert client.list_files().codes == ()


def test_a_cancel_crossing_a_finished_transfer_says_the_file_was_deleted(client: Client) -> None:
    """The bytes were stored as the cancel arrived: the file is deleted and the state says so
    (the job used to overwrite that with "nothing was stored")."""
    holder: list[Upload] = []

    def transfer(ticket: Any, progress: Any) -> str:
        code = client.upload(io.BytesIO(b"late cancel"), ticket=ticket)
        holder[0].cancel()  # the person clicks Cancel as the server answers
        return code

    upload = Upload(client, None, UploadOptions(convert=False), transfer=transfer, name="x.bin")
    holder.append(upload)
    upload.start()
    with pytest.raises(UploadCancelled, match=r"the upload completed as \S+ and was deleted"):
        upload.wait(timeout=60)
    code = upload.state.state.split(" as ")[1].split()[0]
    assert upload.state.phase == "cancelled"
    assert code not in set(client.iter_files())
