"""UploadDropzone, the kernel's side, without a browser: a Python page feeds its messages.

Every upload runs for real against the emulator (fast conversions unless a test needs a
real one); the page is :class:`tests.helpers.dropzone_page.FakePage`, which answers as
``dropzone.js`` does, or a test hand-crafts what a hostile page would send. Each refusal is
checked for its row message, for a kernel that still serves the next upload, and for nothing
stored.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from traitlets import TraitError

from sv_widgets.client import Client
from sv_widgets.emulator import Emulator
from sv_widgets.uploads import UploadState
from sv_widgets.widgets import UploadDropzone
from sv_widgets.widgets import dropzone as dropzone_module
from tests.helpers.dropzone_page import WAIT, FakePage

pytestmark = pytest.mark.sv_emulator(conversions="fast")

CHUNK = 1000
DATA = bytes(range(256)) * 50  # 12,800 bytes: thirteen chunks of 1000, the last one short


@pytest.fixture(autouse=True)
def _no_spooling(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing a page sends is ever written to the kernel's disk: spooling would fail."""

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a browser upload was spooled to a temporary file")

    monkeypatch.setattr("sv_widgets.client._sources.tempfile.SpooledTemporaryFile", refuse)


def make_zone(client: Client, **kwargs: Any) -> UploadDropzone:
    kwargs.setdefault("poll_interval", 0.05)
    zone = UploadDropzone(client, **kwargs)
    zone.relay_chunk_size = CHUNK
    zone.relay_window = 2
    return zone


@pytest.fixture
def zones() -> Iterator[list[UploadDropzone]]:
    made: list[UploadDropzone] = []
    yield made
    for zone in made:
        zone.close()


def open_page(
    client: Client, zones: list[UploadDropzone], *, direct: str = "post", **kwargs: Any
) -> FakePage:
    zone = make_zone(client, **kwargs)
    zones.append(zone)
    page = FakePage(zone, direct=direct)
    page.hello()
    return page


def stored_bytes(emu: Emulator, code: str) -> bytes:
    assert emu.data_dir is not None
    (source,) = (emu.data_dir / "files" / code).glob("source.*")
    return source.read_bytes()


def assert_nothing_stored(emu: Emulator, client: Client) -> None:
    assert list(client.iter_files()) == []
    assert emu.data_dir is not None
    assert list((emu.data_dir / "tmp").iterdir()) == []


def wait_phase(zone: UploadDropzone, index: int, phase: str) -> None:
    done = threading.Event()

    def check(_change: Any = None) -> None:
        if len(zone._rows) > index and zone._rows[index].state.phase == phase:
            done.set()

    zone.observe(check, names="rows")
    check()
    zone._publish.flush_now()
    assert done.wait(WAIT), f"row {index} never reached {phase}: {zone.files}"


def direct_held(client: Client, zones: list[UploadDropzone]) -> tuple[FakePage, dict[str, Any]]:
    """A page that will POST DATA directly only when told; it and the kernel's direct request."""
    page = open_page(client, zones, direct="manual")
    page.add("clip.mp4", DATA)
    page.wait_for(lambda: bool(page.messages("direct")), "the direct request")
    return page, page.messages("direct")[0]


# ------------------------------------------------------------------------------ the transports
@pytest.mark.parametrize("window", [1, 2])
def test_relay_stores_exactly_the_pages_bytes_and_converts(
    emu: Emulator, client: Client, zones: list[UploadDropzone], window: int
) -> None:
    page = open_page(client, zones, transport="relay")
    page.zone.relay_window = window
    page.add("clip.mp4", DATA)
    (code,) = page.zone.wait(WAIT)

    assert stored_bytes(emu, code) == DATA
    assert page.zone.files == [
        {
            "name": "clip.mp4",
            "size": len(DATA),
            "phase": "ready",
            "progress": 1.0,
            "file_code": code,
            "error": "",
        }
    ]
    assert page.zone.codes == [code]
    row = page.zone.rows[0]
    assert (row["transport"], row["note"], row["duration"]) == ("relay", "", "0:01")
    assert row["message"] == f"converted: {code} is ready to play"
    assert page.zone.thumbnails[row["id"]][:2] == b"\xff\xd8"
    (relay,) = page.messages("relay")
    assert (relay["chunk"], relay["window"], relay["size"]) == (CHUNK, window, len(DATA))
    # acknowledged chunk by chunk, once each is in the request body, up to the whole file
    acks = [m["offset"] for m in page.messages("ack")]
    assert acks == [*range(CHUNK, len(DATA), CHUNK), len(DATA)]
    assert page.files["k1"].sent_chunks == list(range(0, len(DATA), CHUNK))


def test_direct_the_page_posts_to_the_ticket_url_and_no_byte_goes_through_the_kernel(
    emu: Emulator, client: Client, zones: list[UploadDropzone]
) -> None:
    page = open_page(client, zones, transport="direct")
    page.add("clip.mp4", DATA)
    (code,) = page.zone.wait(WAIT)

    assert stored_bytes(emu, code) == DATA
    (direct,) = page.messages("direct")
    assert direct["url"].startswith(f"{emu.upload_url}?ref=")
    assert "&token=" in direct["url"]
    assert (direct["name"], direct["size"], direct["fallback"]) == ("clip.mp4", len(DATA), False)
    assert page.messages("relay") == []
    assert page.messages("ack") == []
    assert page.zone.rows[0]["transport"] == "direct"
    # The ticket went to the page in that one custom message: no synced trait holds it.
    token = direct["url"].split("&token=")[1]
    state = json.dumps(page.zone.get_state(), default=lambda b: "<bytes>")
    assert token not in state
    assert "token" not in state
    assert token not in repr(page.zone)


@pytest.mark.parametrize(
    ("direct", "note"),
    [
        ("cors", "could not be reached from this page"),
        ("unreachable", "on the kernel's own machine"),
    ],
)
def test_auto_relays_when_the_direct_upload_cannot_start(
    emu: Emulator, client: Client, zones: list[UploadDropzone], direct: str, note: str
) -> None:
    page = open_page(client, zones, direct=direct)
    page.add("clip.mp4", DATA)
    (code,) = page.zone.wait(WAIT)

    assert stored_bytes(emu, code) == DATA
    (first,) = page.messages("direct")
    assert first["fallback"] is True
    (relay,) = page.messages("relay")
    assert relay["tid"] != first["tid"]
    row = page.zone.rows[0]
    assert row["transport"] == "relay"
    assert row["note"].startswith("direct upload not possible: ")
    assert note in row["note"]


def test_auto_goes_direct_when_the_page_can(
    emu: Emulator, client: Client, zones: list[UploadDropzone]
) -> None:
    page = open_page(client, zones)
    page.add("clip.mp4", DATA)
    (code,) = page.zone.wait(WAIT)
    assert stored_bytes(emu, code) == DATA
    assert page.messages("relay") == []
    assert (page.zone.rows[0]["transport"], page.zone.rows[0]["note"]) == ("direct", "")


def test_direct_failing_after_bytes_went_out_does_not_fall_back(
    emu: Emulator, client: Client, zones: list[UploadDropzone]
) -> None:
    page, direct = direct_held(client, zones)
    tid = direct["tid"]
    page.deliver({"type": "progress", "tid": tid, "sent": 4000})
    page.deliver(
        {"type": "failed", "tid": tid, "sent": 4000, "reason": "network", "message": "reset"}
    )
    assert page.zone.wait(WAIT) == []
    assert page.messages("relay") == []
    (entry,) = page.zone.files
    assert entry["phase"] == "failed"
    assert entry["error"] == "the upload from the page failed: reset; nothing was stored"
    assert_nothing_stored(emu, client)


def test_parallel_uploads_queue_and_keep_the_order_chosen(
    emu: Emulator, client: Client, zones: list[UploadDropzone]
) -> None:
    page = open_page(client, zones, transport="relay", parallel=1)
    gate = page.hold_relay_at(3000)
    page.add("one.mp4", DATA)
    page.add("two.mp4", DATA[::-1])
    assert page.paused.wait(WAIT)
    page.zone._publish.flush_now()
    assert [f["phase"] for f in page.zone.files] == ["uploading", "queued"]
    assert len(page.messages("relay")) == 1  # the second waits its turn
    page.gate = None
    gate.set()
    codes = page.zone.wait(WAIT)
    assert [stored_bytes(emu, c) for c in codes] == [DATA, DATA[::-1]]
    assert [f["name"] for f in page.zone.files] == ["one.mp4", "two.mp4"]


# ------------------------------------------------------------------------------ cancel, retry
def test_cancel_midway_relay_stops_the_page_and_stores_nothing_then_retry_works(
    emu: Emulator, client: Client, zones: list[UploadDropzone]
) -> None:
    page = open_page(client, zones, transport="relay")
    _tid, gate = hold_relay(page, 5000)
    row_id = page.zone.rows[0]["id"] if page.zone.rows else "f1"
    page.deliver({"type": "cancel", "row": row_id, "page": page.page})  # the row's Cancel button
    assert page.zone.wait(WAIT) == []
    (entry,) = page.zone.files
    assert entry["phase"] == "cancelled"
    assert page.zone._rows[0].state.state == "cancelled: nothing was stored"
    assert 0 < entry["progress"] < 1
    tid = page.messages("relay")[0]["tid"]
    assert tid in page.stopped
    gate.set()
    page.join()
    assert_nothing_stored(emu, client)

    page.gate = None
    page.deliver({"type": "retry", "row": row_id, "page": page.page})
    (code,) = page.zone.wait(WAIT)
    assert stored_bytes(emu, code) == DATA
    assert page.zone.files[0]["phase"] == "ready"


def stalls_holding(emu: Emulator) -> int:
    """Requests the emulator's ``stall`` rules hold now."""
    return sum(r["holding"] for r in emu.faults.to_json() if r["kind"] == "stall")


def wait_until(condition: Any, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        assert time.monotonic() < deadline, f"not true within {WAIT:.0f} s: {what}"
        time.sleep(0.01)


def test_cancel_ends_a_relay_the_upload_server_holds_back(
    emu: Emulator, zones: list[UploadDropzone]
) -> None:
    """The upload server holds the kernel's POST, body unread (``upload:stall``), so the
    kernel's send is blocked in the socket: the row's Cancel closes the connection under it,
    and the row ends while the server still holds the request. Long timeouts: no socket
    timeout could end it instead."""
    client = emu.client(timeout=(120, 120))
    page = open_page(client, zones, transport="relay")
    page.zone.relay_chunk_size = 1024 * 1024
    page.zone.relay_window = 4
    emu.set_faults(["upload:stall"])
    data = bytes(24 * 1024 * 1024)  # far more than the socket buffers take in
    page.add("big.mp4", data)
    page.wait_for(lambda: bool(page.messages("relay")), "the relay request")
    tid = page.messages("relay")[0]["tid"]
    wait_until(lambda: stalls_holding(emu) == 1, "the upload server holds the POST")
    page.wait_for(lambda: page.acked.get(tid, 0) >= 2 * 1024 * 1024, "the body moving")
    page.deliver({"type": "cancel", "row": page.zone.rows[0]["id"], "page": page.page})
    wait_phase(page.zone, 0, "cancelled")
    assert stalls_holding(emu) == 1  # ended while the server still holds the request
    assert page.zone._rows[0].state.state == "cancelled: nothing was stored"
    assert tid in page.stopped  # the page was told to stop sending
    assert list(client.iter_files()) == []
    emu.clear_faults()  # the server reads again: what reached it is a cut-off body
    wait_until(lambda: emu.faults.stalled == 0, "the held request answered")
    page.join()
    assert_nothing_stored(emu, client)
    client.close()


def test_cancel_midway_direct_aborts_the_pages_post(
    emu: Emulator, client: Client, zones: list[UploadDropzone]
) -> None:
    page, direct = direct_held(client, zones)
    tid = direct["tid"]
    page.deliver({"type": "progress", "tid": tid, "sent": 6000})
    page.zone.cancel(0)
    page.wait_for(lambda: tid in page.stopped, "a stop for the page")
    page.deliver({"type": "stopped", "tid": tid})  # the page aborted its XHR
    assert page.zone.wait(WAIT) == []
    assert page.zone._rows[0].state.state == "cancelled: nothing was stored"
    assert_nothing_stored(emu, client)


def test_a_cancel_that_crosses_a_finished_direct_upload_deletes_the_file(
    emu: Emulator, client: Client, zones: list[UploadDropzone]
) -> None:
    page, direct = direct_held(client, zones)
    page.zone.cancel(0)
    page.wait_for(lambda: direct["tid"] in page.stopped, "a stop for the page")
    # Too late to abort: the POST had finished; the page reports the server's answer.
    reply = requests.post(direct["url"], files={"file": ("clip.mp4", DATA)}, timeout=30)
    page.deliver({"type": "result", "tid": direct["tid"], "status": 200, "body": reply.text})
    assert page.zone.wait(WAIT) == []
    code = reply.json()["code"]
    assert page.zone._rows[0].state.state == (
        f"cancelled: the upload completed as {code} and was deleted"
    )
    assert list(client.iter_files()) == []


def test_cancel_while_queued_sends_nothing(
    emu: Emulator, client: Client, zones: list[UploadDropzone]
) -> None:
    page = open_page(client, zones, transport="relay", parallel=1)
    gate = page.hold_relay_at(0)
    page.add("one.mp4", DATA)
    page.add("two.mp4", DATA)
    assert page.paused.wait(WAIT)
    page.zone.cancel(1)
    page.zone.cancel(0)
    gate.set()
    assert page.zone.wait(WAIT) == []
    assert [f["phase"] for f in page.zone.files] == ["cancelled", "cancelled"]
    assert len(page.messages("relay")) == 1
    assert_nothing_stored(emu, client)


# ------------------------------------------------------------------------------ pages that go
def test_a_page_reloaded_mid_upload_ends_its_rows_clearly(
    emu: Emulator, client: Client, zones: list[UploadDropzone]
) -> None:
    page = open_page(client, zones, transport="relay")
    _tid, gate = hold_relay(page, 4000)
    page.deliver({"type": "bye", "page": page.page})  # pagehide, on reload
    assert page.zone.wait(WAIT) == []
    (entry,) = page.zone.files
    assert entry["phase"] == "failed"
    assert (
        "reloaded or closed mid-upload; nothing was stored: choose the file again"
        in (entry["error"])
    )
    gate.set()
    page.join()
    assert_nothing_stored(emu, client)

    # The reloaded page shows the row but holds no file: Retry says so instead of hanging.
    reloaded = FakePage(page.zone, "page2")
    reloaded.hello()
    reloaded.deliver({"type": "retry", "row": page.zone.rows[0]["id"], "page": "page2"})
    assert "this page does not hold the file" in page.zone._rows[0].state.state
    assert page.zone.files[0]["phase"] == "failed"


def test_a_silent_page_is_given_up_but_not_while_a_cell_runs(
    emu: Emulator, client: Client, zones: list[UploadDropzone], monkeypatch: pytest.MonkeyPatch
) -> None:
    page = open_page(client, zones, transport="relay")
    page.zone.page_timeout = 0.5
    gate = page.hold_relay_at(2000)
    monkeypatch.setattr(dropzone_module.CELLS, "running", True)
    page.add("clip.mp4", DATA)
    assert page.paused.wait(WAIT)
    # A cell runs: the kernel reads no message, so the page's silence proves nothing.
    page.wait_for(lambda: len([m for m in page.messages("tick") if m["busy"]]) >= 3, "ticks")
    assert page.zone._rows[0].state.phase == "uploading"
    monkeypatch.setattr(dropzone_module.CELLS, "running", False)  # the cell ends
    assert page.zone.wait(WAIT) == []
    assert page.zone.files[0]["error"].startswith("no word from the page for 0 s: the page ")
    gate.set()
    page.join()
    assert_nothing_stored(emu, client)


def test_closing_the_area_cancels_its_uploads(
    emu: Emulator, client: Client, zones: list[UploadDropzone]
) -> None:
    page = open_page(client, zones, transport="relay")
    _tid, gate = hold_relay(page, 3000)
    upload = page.zone._rows[0].upload
    assert upload is not None
    page.zone.close()
    assert upload.done(WAIT)
    assert upload.state.state == "cancelled: nothing was stored"
    gate.set()
    page.join()
    assert_nothing_stored(emu, client)


# ------------------------------------------------------------------------------ the service says no
@pytest.mark.parametrize("transport", ["relay", "direct"])
def test_an_expired_ticket_is_a_row_error_and_nothing_is_stored(
    emu: Emulator,
    client: Client,
    zones: list[UploadDropzone],
    monkeypatch: pytest.MonkeyPatch,
    transport: str,
) -> None:
    page = open_page(client, zones, transport=transport, direct="post")
    gate = page.hold_relay_at(0)
    ticket_made = threading.Event()
    page.zone.observe(lambda _c: ticket_made.set(), names="rows")
    if transport == "direct":  # the page will POST only after the clock moved
        page.direct = "manual"
    page.add("clip.mp4", DATA)
    page.wait_for(lambda: bool(page.messages(transport)), "the transfer request")
    service = emu._running_service()
    monkeypatch.setattr(service, "clock", lambda: 4_000_000_000.0)  # two hours became decades
    if transport == "direct":
        direct = page.messages("direct")[0]
        reply = requests.post(direct["url"], files={"file": ("c.mp4", DATA)}, timeout=30)
        page.deliver(
            {
                "type": "result",
                "tid": direct["tid"],
                "status": reply.status_code,
                "body": reply.text,
            }
        )
    gate.set()
    assert page.zone.wait(WAIT) == []
    (entry,) = page.zone.files
    assert entry["error"].startswith("[401] Not authorized: upload ticket expired")
    assert page.zone._rows[0].state.state == "failed: nothing was stored"
    monkeypatch.undo()
    assert_nothing_stored(emu, client)


@pytest.mark.sv_emulator(conversions="fast", max_upload_bytes=5000)
@pytest.mark.parametrize("transport", ["relay", "direct"])
def test_a_file_too_large_for_the_service_is_10006(
    emu: Emulator, client: Client, zones: list[UploadDropzone], transport: str
) -> None:
    page = open_page(client, zones, transport=transport)
    page.add("clip.mp4", DATA)
    assert page.zone.wait(WAIT) == []
    (entry,) = page.zone.files
    assert entry["error"].startswith("[10006] Service limits exceeded")
    assert_nothing_stored(emu, client)


@pytest.mark.slow
@pytest.mark.sv_emulator(conversions="real")
def test_a_non_video_shows_the_conversion_failure_and_keeps_its_code(
    emu: Emulator, client: Client, zones: list[UploadDropzone]
) -> None:
    page = open_page(client, zones)
    page.add("notes.mp4", b"this is not a video, just text\n" * 200)
    codes = page.zone.wait(120)
    (entry,) = page.zone.files
    assert entry["phase"] == "failed"
    assert entry["error"].startswith("[10001] ")
    assert entry["file_code"]
    assert codes == [entry["file_code"]]
    assert codes == list(client.iter_files())
    # Retry would send the same bytes to the same end: it is not offered, nor done if asked.
    assert page.zone.rows[0]["can_retry"] is False
    page.deliver({"type": "retry", "row": page.zone.rows[0]["id"], "page": page.page})
    assert page.zone._rows[0].state.phase == "failed"
    assert page.messages("relay") + page.messages("direct") != []
    assert len(page.messages("relay") + page.messages("direct")) == 1


# ------------------------------------------------------------------------------ a hostile page
def test_an_empty_file_is_refused_before_anything_is_sent(
    emu: Emulator, client: Client, zones: list[UploadDropzone]
) -> None:
    page = open_page(client, zones)
    page.add("empty.mp4", b"")
    (entry,) = page.zone.files
    assert entry["phase"] == "failed"
    assert entry["error"] == "refused: the file is empty: there is nothing to upload"
    assert page.zone._rows[0].state.state == "failed: nothing was sent"
    assert page.messages("direct") == []
    assert page.messages("relay") == []
    assert page.zone.rows[0]["can_retry"] is False
    # The row carries the page's own key, so the page stops waiting for that file.
    assert page.zone.rows[0]["key"] == "k1"
    assert page.zone.rows[0]["page"] == page.page
    assert_nothing_stored(emu, client)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("../../etc/passwd", "the file name contains a path separator"),
        ("C:\\Users\\me\\clip.mp4", "the file name contains a path separator"),
        ("clip\x00.mp4", "the file name contains control characters"),
        ("\x1b[31mred.mp4", "the file name contains control characters"),
        ("clip\ud800.mp4", "the file name is not valid Unicode"),
        ("x" * 10_000 + ".mp4", "the file name is 10,004 characters long (at most 255)"),
        ("", "the file name is empty once cleaned"),
        ("..", "the file name is empty once cleaned"),
        ("\u200b", "the file name is empty once cleaned"),
        (12, "the file name is not text"),
    ],
)
def test_hostile_file_names_are_refused_in_their_row(
    emu: Emulator, client: Client, zones: list[UploadDropzone], name: Any, reason: str
) -> None:
    page = open_page(client, zones)
    page.deliver(
        {"type": "add", "page": page.page, "files": [{"key": "k1", "name": name, "size": 10}]}
    )
    (entry,) = page.zone.files
    assert (entry["phase"], entry["error"]) == ("failed", f"refused: {reason}")
    assert len(entry["name"]) <= 81
    assert entry["name"].isprintable()
    assert page.messages("direct") == []
    assert page.messages("relay") == []
    assert_kernel_still_serves(emu, page)


@pytest.mark.parametrize(
    ("size", "reason"),
    [
        (-1, "the file size -1 is out of range"),
        (2**60, f"the file size {2**60} is out of range"),
        (1.5, "the file size 1.5 is not a whole number of bytes"),
        (True, "the file size True is not a whole number of bytes"),
        ("12", "the file size '12' is not a whole number of bytes"),
    ],
)
def test_hostile_sizes_are_refused_in_their_row(
    emu: Emulator, client: Client, zones: list[UploadDropzone], size: Any, reason: str
) -> None:
    page = open_page(client, zones)
    page.deliver(
        {"type": "add", "page": page.page, "files": [{"key": "k1", "name": "a.mp4", "size": size}]}
    )
    assert page.zone.files[0]["error"] == f"refused: {reason}"
    assert_kernel_still_serves(emu, page)


@pytest.mark.parametrize("listed", ["x", 7, None, ["k1", "a.mp4", 10]])
def test_a_listed_file_that_is_not_an_object_is_refused_in_its_row(
    emu: Emulator, client: Client, zones: list[UploadDropzone], listed: Any
) -> None:
    page = open_page(client, zones, transport="relay")
    page.deliver({"type": "add", "page": page.page, "files": [listed]})
    (entry,) = page.zone.files
    assert entry["phase"] == "failed"
    assert entry["error"].startswith("refused: the file ")
    assert entry["error"].endswith(" is not an object of key, name, size, mime")
    assert page.messages("relay") == []
    page.add("clip.mp4", DATA)
    assert len(page.zone.wait(WAIT)) == 1
    assert_kernel_still_serves(emu, page)


@pytest.mark.parametrize("mime", [["video/mp4"], None, 7, "x" * 300])
def test_a_media_type_that_is_not_short_text_is_refused_in_its_row(
    emu: Emulator, client: Client, zones: list[UploadDropzone], mime: Any
) -> None:
    page = open_page(client, zones)
    file = {"key": "k1", "name": "a.mp4", "size": 10, "mime": mime}
    page.deliver({"type": "add", "page": page.page, "files": [file]})
    (entry,) = page.zone.files
    assert entry["error"].startswith("refused: the file's media type ")
    assert page.messages("direct") == []
    assert_kernel_still_serves(emu, page)


def test_names_are_cleaned_before_they_reach_the_service(
    emu: Emulator, client: Client, zones: list[UploadDropzone]
) -> None:
    page = open_page(client, zones, transport="relay")
    page.add("  my\u202e  holiday\u200b.mp4. ", DATA)
    (code,) = page.zone.wait(WAIT)
    assert page.messages("relay")[0]["name"] == "my holiday.mp4"
    assert page.zone.files[0]["name"] == "my holiday.mp4"
    assert stored_bytes(emu, code) == DATA


def hold_relay(page: FakePage, at: int = 3000) -> tuple[str, threading.Event]:
    """Start a relay of DATA and hold it before the chunk at ``at``; return its id and gate."""
    gate = page.hold_relay_at(at)
    page.add("clip.mp4", DATA)
    assert page.paused.wait(WAIT)
    return page.messages("relay")[0]["tid"], gate


@pytest.mark.parametrize(
    ("content", "buffers", "reason"),
    [
        (
            {"offset": 5000},
            [b"x" * 10],
            "a chunk at byte 5000 arrived where byte 3000 was expected",
        ),
        (
            {"offset": 2000},
            [b"x" * 10],
            "a chunk at byte 2000 arrived where byte 3000 was expected",
        ),
        ({"offset": 3000}, [b"x" * 1001], "a chunk of 1,001 bytes, larger than the agreed 1,000"),
        ({"offset": 3000}, [], "this front end does not send binary data from the page"),
        ({"offset": 3000}, [b"x", b"y"], "a chunk message with 2 binary buffers, not one"),
        ({"offset": "3000"}, [b"x"], "the chunk offset '3000' is not a whole number"),
        ({"offset": True}, [b"x"], "the chunk offset True is not a whole number"),
        ({"offset": 3000}, [b""], "an empty chunk"),
        (
            {"type": "progress", "sent": 10},
            [],
            "a progress report for an upload that is not direct",
        ),
        ({"type": "result", "status": 200, "body": "{}"}, [], "an upload server answer for an"),
        ({"type": "failed", "sent": 0, "reason": "boom"}, [], "an unknown failure reason 'boom'"),
    ],
)
def test_hostile_messages_stop_the_relay_with_a_row_error(
    emu: Emulator,
    client: Client,
    zones: list[UploadDropzone],
    content: dict[str, Any],
    buffers: list[bytes],
    reason: str,
) -> None:
    page = open_page(client, zones, transport="relay")
    tid, gate = hold_relay(page)
    page.deliver({"type": "chunk", "tid": tid, **content}, buffers)
    assert page.zone.wait(WAIT) == []
    (entry,) = page.zone.files
    assert entry["phase"] == "failed"
    assert entry["error"].startswith(f"refused from the page: {reason}")
    assert entry["error"].endswith("; nothing was stored")
    assert tid in page.stopped
    gate.set()
    page.join()
    assert_nothing_stored(emu, client)
    assert_kernel_still_serves(emu, page)


def test_more_bytes_than_declared_are_refused(
    emu: Emulator, client: Client, zones: list[UploadDropzone]
) -> None:
    page = open_page(client, zones, transport="relay")
    tid, gate = hold_relay(page, at=12_000)  # the last chunk declared is 800 bytes
    page.deliver({"type": "chunk", "tid": tid, "offset": 12_000}, [b"x" * 1000])
    assert page.zone.wait(WAIT) == []
    assert page.zone.files[0]["error"] == (
        "refused from the page: more bytes than the declared size (13,000 of 12,800); "
        "nothing was stored"
    )
    gate.set()
    page.join()
    assert_nothing_stored(emu, client)


def test_a_direct_upload_refuses_chunks_and_bad_answers(
    emu: Emulator, client: Client, zones: list[UploadDropzone]
) -> None:
    page, direct = direct_held(client, zones)
    tid = direct["tid"]
    page.deliver({"type": "progress", "tid": tid, "sent": len(DATA) + 1})
    assert page.zone.wait(WAIT) == []
    assert page.zone.files[0]["error"] == (
        "refused from the page: the bytes sent 12801 is out of range; nothing was stored"
    )
    assert tid in page.stopped
    assert_nothing_stored(emu, client)


def test_a_direct_answer_that_is_not_the_services_is_refused(
    emu: Emulator, client: Client, zones: list[UploadDropzone]
) -> None:
    page, direct = direct_held(client, zones)
    token = direct["url"].split("&token=")[1]
    body = json.dumps({"status": "success", "code": "../../etc", "echo": token})
    page.deliver({"type": "result", "tid": direct["tid"], "status": 200, "body": body})
    assert page.zone.wait(WAIT) == []
    error = page.zone.files[0]["error"]
    assert error.startswith("HTTP 200: expected a JSON success with a file code")
    assert token not in error


@pytest.mark.parametrize(
    ("content", "notice"),
    [
        ({"type": "chunk", "tid": "t999", "offset": 0}, "refused a chunk message for an unknown"),
        (
            {"type": "progress", "tid": 7, "sent": 0},
            "refused a progress message from the page: the upload id 7 is not an id",
        ),
        ({"type": "launch"}, "refused a message from the page: its type 'launch' is not one"),
        ({"type": ["add"]}, "refused a message from the page: its type ['add'] is not one"),
        ({"type": {"x": 1}}, "refused a message from the page: its type {'x': 1} is not one"),
        (
            {"type": "cancel", "row": "f99", "page": "page1"},
            "refused a cancel for an unknown file 'f99'",
        ),
        ({"type": "add", "page": "p/1", "files": []}, "refused an add message from the page: page"),
        (
            {"type": "add", "page": "page1", "files": "x"},
            "refused an add message from the page: the files 'x' are not a list of files",
        ),
        ({"type": "alive", "page": None}, "refused an alive message from the page: page None"),
        ({"type": "alive"}, "refused an alive message from the page: its field 'page' is missing"),
        (
            {"type": "bye", "page": "page1", "secret": "forged"},
            "refused a bye message: it does not carry the secret of page 'page1'",
        ),
        (
            {"type": "bye", "page": "page2", "secret": "forged"},
            "refused a bye message: page 'page2' did not say hello to this upload area",
        ),
        ("not an object", "refused a message from the page: not a JSON object"),
    ],
)
def test_messages_naming_no_live_upload_are_refused_as_notices(
    emu: Emulator, client: Client, zones: list[UploadDropzone], content: Any, notice: str
) -> None:
    page = open_page(client, zones)
    page.deliver(content, [b"x" * 10])
    assert page.zone.notice.startswith(notice)
    assert page.zone.files == []
    assert_kernel_still_serves(emu, page)


def test_too_many_files_at_once_are_refused(
    emu: Emulator, client: Client, zones: list[UploadDropzone]
) -> None:
    page = open_page(client, zones)
    files = [{"key": f"k{i}", "name": "a.mp4", "size": 1} for i in range(1001)]
    page.deliver({"type": "add", "page": page.page, "files": files})
    assert page.zone.notice == (
        "refused an add message from the page: 1,001 files at once (at most 1,000)"
    )
    assert page.zone.files == []


def assert_kernel_still_serves(emu: Emulator, page: FakePage) -> None:
    """After whatever the page sent, the next file still goes up whole."""
    page.gate = None
    zone = page.zone
    before = len(zone.files)
    page.add("after.mp4", DATA, key="after")
    zone.wait(WAIT)
    entry = zone.files[before]
    assert (entry["name"], entry["phase"]) == ("after.mp4", "ready"), entry
    assert stored_bytes(emu, entry["file_code"]) == DATA


# ------------------------------------------------------------------------------ front ends
def test_a_front_end_without_binary_buffers_gets_a_clear_message(
    emu: Emulator, client: Client, zones: list[UploadDropzone]
) -> None:
    zone = make_zone(client, transport="relay")
    zones.append(zone)
    page = FakePage(zone)
    page.hello(buffers=False)
    assert zone.relay == "unavailable"
    (welcome,) = page.messages("welcome")
    assert (welcome["page"], welcome["buffers"]) == ("page1", False)
    page.add("clip.mp4", DATA)
    assert zone.wait(WAIT) == []
    assert zone.files[0]["error"].startswith(
        "this front end does not send binary data from the page to the kernel"
    )
    assert page.messages("relay") == []
    assert_nothing_stored(emu, client)

    zone.transport = "direct"  # a direct upload needs no buffers
    page.add("direct.mp4", DATA)
    zone.wait(WAIT)
    assert zone.files[1]["phase"] == "ready"

    other = FakePage(zone, "page2")  # another page whose buffers arrive still relays
    other.hello()
    zone.transport = "relay"
    other.add("other.mp4", DATA)
    code = zone.wait(WAIT)[-1]
    assert zone.files[2]["phase"] == "ready"
    assert stored_bytes(emu, code) == DATA


def test_hello_with_buffers_makes_the_relay_ready(
    client: Client, zones: list[UploadDropzone]
) -> None:
    page = open_page(client, zones)
    assert page.zone.relay == "ready"
    (welcome,) = page.messages("welcome")
    assert (welcome["page"], welcome["buffers"]) == ("page1", True)
    assert welcome["secret"] == page.secret
    assert page.secret not in json.dumps(page.zone.get_state(), default=lambda b: "<bytes>")


def test_transport_must_be_known(client: Client) -> None:
    with pytest.raises(ValueError, match="transport must be one of auto, direct, relay"):
        UploadDropzone(client, transport="carrier-pigeon")
    with pytest.raises(ValueError, match="parallel must be a whole number >= 1"):
        UploadDropzone(client, parallel=0)
    zone = UploadDropzone(client)
    with pytest.raises(TraitError, match="transport must be one of"):
        zone.transport = "pigeon"
    zone.close()


def test_wait_refuses_to_block_the_kernel_that_must_read_the_page(
    client: Client, zones: list[UploadDropzone], monkeypatch: pytest.MonkeyPatch
) -> None:
    zone = make_zone(client)
    zones.append(zone)
    monkeypatch.setattr(dropzone_module, "_serving_notebook", lambda: True)
    with pytest.raises(RuntimeError, match=r"look at \.codes or \.files in a later cell"):
        zone.wait(1)


def test_shown_once_per_cell(
    client: Client, zones: list[UploadDropzone], monkeypatch: pytest.MonkeyPatch
) -> None:
    zone = make_zone(client)
    zones.append(zone)
    shown: list[Any] = []

    class Shell:
        execution_count = 5

    monkeypatch.setattr("IPython.get_ipython", lambda: Shell)
    monkeypatch.setattr(
        "IPython.display.display", lambda obj, raw=False, metadata=None, **_: shown.append(obj)
    )
    zone._ipython_display_()
    zone._ipython_display_()  # IPython showing the magic's returned value: once is enough
    assert len(shown) == 1
    assert shown[0]["application/vnd.jupyter.widget-view+json"]["model_id"] == zone.model_id
    Shell.execution_count = 6  # ``zone`` on its own in a later cell
    zone._ipython_display_()
    assert len(shown) == 2


class _Handle:
    """What ``display(..., display_id=True)`` returns: it keeps every update it is given."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = [data]

    def update(self, data: dict[str, Any], metadata: Any = None, raw: bool = False) -> None:
        self.data.append(data)


@pytest.mark.sv_emulator(conversions="real")
def test_a_saved_notebook_shows_where_each_file_ended(
    emu: Emulator,
    client: Client,
    zones: list[UploadDropzone],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    from sv_widgets.emulator import make_sample_clip

    video = make_sample_clip(tmp_path / "clip.mp4", seconds=1, width=320, height=180)
    handles: list[_Handle] = []

    def display(obj: Any, raw: bool = False, metadata: Any = None, **_: Any) -> _Handle:
        handles.append(_Handle(obj))
        return handles[-1]

    monkeypatch.setattr("IPython.display.display", display)
    monkeypatch.setattr("IPython.get_ipython", lambda: None)
    page = open_page(client, zones, transport="relay")
    page.zone._ipython_display_()
    (handle,) = handles
    assert "no file chosen" in handle.data[0]["text/html"]
    assert handle.data[0]["application/vnd.jupyter.widget-view+json"]["model_id"]

    page.add("clip.mp4", video.read_bytes())
    page.add("notes.mp4", b"this is not a video, just text\n" * 200)
    clip, notes = page.zone.wait(120)
    page.zone._publish.flush_now()
    saved = handle.data[-1]["text/html"]
    assert len(handle.data) == 2  # updated once, when every file had ended
    assert "Upload area: 2 chosen, 2 stored" in saved
    assert clip in saved  # the ready file's card,
    assert "<img" in saved  # its thumbnail inlined
    assert "notes.mp4" in saved
    assert "[10001] " in saved  # the failed conversion, said,
    assert f"(file {notes} kept)" in saved  # and its code, to delete it
    assert "token=" not in saved
    assert "?ref=" not in saved  # no upload ticket


def test_the_row_figures_are_the_upload_progress_ones() -> None:
    state = UploadState(name="a.mp4", total=2_000_000)
    state.apply(phase="uploading", progress=0.5, sent=1_000_000, rate=500_000.0, eta=2.0)
    from sv_widgets.widgets._upload_view import detail_text

    assert detail_text(state) == "50% · 1.0 MB of 2.0 MB · 0.50 MB/s · 2 s left"
