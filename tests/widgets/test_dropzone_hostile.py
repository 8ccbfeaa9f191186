"""A hostile page: what it can send the kernel changes nothing the kernel believes.

A page that can send widget messages but cannot run code (a notebook served by Voilà as an
upload portal) is an adversary in fact. Each test feeds the kernel side what such a page
sent to a real kernel (forged state, ill-typed fields, another tab's page id, forged
answers) and asserts a refusal, a stopped upload, nothing stored and no traceback.
"""

from __future__ import annotations

import gc
import json
import logging
import weakref
from typing import Any

import pytest
import requests

from sv_widgets.client import Client
from sv_widgets.emulator import Emulator
from sv_widgets.uploads import PageLink
from sv_widgets.uploads._protocol import LIMITS
from sv_widgets.widgets import UploadDropzone
from sv_widgets.widgets.dropzone import STATE_REFUSED
from tests.helpers.dropzone_page import WAIT, FakePage
from tests.widgets.test_dropzone import (
    DATA,
    assert_kernel_still_serves,
    assert_nothing_stored,
    direct_held,
    hold_relay,
    make_zone,
    open_page,
    stored_bytes,
    wait_phase,
)

pytestmark = pytest.mark.sv_emulator(conversions="fast")

FORGED_CODE = "1700000001-FoRgE2"


@pytest.fixture
def zones() -> Any:
    made: list[UploadDropzone] = []
    yield made
    for zone in made:
        zone.close()


def comm_message(data: dict[str, Any], buffers: list[bytes] | None = None) -> dict[str, Any]:
    """A comm message from the front end, as the kernel's comm hands it to the widget."""
    return {"content": {"comm_id": "x", "data": data}, "buffers": buffers or []}


@pytest.fixture
def no_traceback(caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]) -> Any:
    caplog.set_level(logging.DEBUG)
    yield
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info] == []


# ------------------------------------------------------------------------------ forged state
FORGED_STATES = [
    {"transport": "direct"},
    {"transport": "bogus"},
    {"rows": [{"id": "f1", "phase": "ready", "file_code": FORGED_CODE}]},
    {"notice": "all good"},
    {"relay": "ready"},
    {"multiple": False},
    {"accept": "*"},
    {"thumbnails": {"f1": "x"}},
    {"_esm": "export default {}"},
    {"_css": "body { display: none }"},
    {"_uid": "someone-else"},
    {"files": [{"file_code": FORGED_CODE}], "codes": [FORGED_CODE]},
]


@pytest.mark.parametrize("state", FORGED_STATES, ids=lambda s: ",".join(s))
@pytest.mark.usefixtures("no_traceback")
def test_no_synced_trait_can_be_changed_from_the_page(
    client: Client, state: dict[str, Any]
) -> None:
    zone = UploadDropzone(client, transport="relay", convert=False)
    try:
        names = {*state, "transport", "codes"} - {"notice"}  # the notice says it was refused
        before = {name: getattr(zone, name) for name in names}
        zone.comm.handle_msg(comm_message({"method": "update", "state": state}))
        assert {name: getattr(zone, name) for name in before} == before
        assert zone.notice == STATE_REFUSED
    finally:
        zone.close()


@pytest.mark.parametrize(
    "data",
    [
        {"method": "update", "state": {"rows": None}, "buffer_paths": [["rows", 0, "x"]]},
        {"method": "update"},
        {"method": ["update"]},
        {"method": "echo_update", "state": {"transport": "direct"}},
        {"nothing": 1},
        "not an object",
    ],
    ids=repr,
)
@pytest.mark.usefixtures("no_traceback")
def test_malformed_comm_messages_are_refused_without_a_traceback(client: Client, data: Any) -> None:
    zone = UploadDropzone(client, transport="relay")
    try:
        zone.comm.handle_msg(comm_message(data))
        assert zone.transport == "relay"
        assert zone.notice.startswith("refused")
    finally:
        zone.close()


def test_a_relay_zone_forged_direct_still_relays_so_no_ticket_reaches_the_page(
    emu: Emulator, client: Client, zones: list[UploadDropzone]
) -> None:
    page = open_page(client, zones, transport="relay", convert=False)
    page.zone.comm.handle_msg(comm_message({"method": "update", "state": {"transport": "direct"}}))
    page.add("clip.mp4", DATA)
    (code,) = page.zone.wait(WAIT)
    assert page.messages("direct") == []
    assert stored_bytes(emu, code) == DATA


def test_custom_messages_still_reach_the_session_through_the_comm(
    client: Client, zones: list[UploadDropzone]
) -> None:
    zone = make_zone(client)
    zones.append(zone)
    page = FakePage(zone)
    zone.comm.handle_msg(
        comm_message({"method": "custom", "content": {"type": "hello", "page": "page1"}}, [b"svz!"])
    )
    assert zone.relay == "ready"
    assert page.secret


# ------------------------------------------------------------------------------ forged answers
def test_a_forged_direct_answer_is_not_taken_as_stored(
    emu: Emulator, client: Client, zones: list[UploadDropzone]
) -> None:
    page, direct = direct_held(client, zones)
    forged = json.dumps({"status": "success", "code": FORGED_CODE})
    page.deliver({"type": "result", "tid": direct["tid"], "status": 200, "body": forged})
    (code,) = page.zone.wait(WAIT)  # relayed instead: the page's real bytes, the kernel's POST
    assert code != FORGED_CODE
    assert FORGED_CODE not in page.zone.codes
    assert stored_bytes(emu, code) == DATA
    row = page.zone.rows[0]
    assert row["transport"] == "relay"
    assert f"the service does not list {FORGED_CODE} as a new file" in row["note"]


def test_a_direct_answer_naming_a_file_the_account_already_had_is_not_taken(
    emu: Emulator, client: Client, zones: list[UploadDropzone], tmp_path: Any
) -> None:
    old = tmp_path / "old.mp4"
    old.write_bytes(DATA[::-1])
    existing = client.upload(old, ticket=client.initiate_upload())
    page, direct = direct_held(client, zones)
    body = json.dumps({"status": "success", "code": existing})
    page.deliver({"type": "result", "tid": direct["tid"], "status": 200, "body": body})
    codes = page.zone.wait(WAIT)
    assert existing not in codes
    (code,) = codes
    assert stored_bytes(emu, code) == DATA


def test_one_stored_file_reported_for_two_uploads_counts_once(
    emu: Emulator, client: Client, zones: list[UploadDropzone]
) -> None:
    page = open_page(client, zones, direct="manual")
    page.add("a.mp4", DATA)
    page.add("b.mp4", DATA)
    page.wait_for(lambda: len(page.messages("direct")) == 2, "both direct requests")
    first, second = page.messages("direct")
    reply = requests.post(first["url"], files={"file": ("a.mp4", DATA)}, timeout=WAIT)
    code = reply.json()["code"]
    page.deliver({"type": "result", "tid": first["tid"], "status": 200, "body": reply.text})
    held = [row.key for row in page.zone._rows].index(first["key"])  # either may come first
    wait_phase(page.zone, held, "ready")
    # The page reports its one file for the second upload too.
    page.deliver({"type": "result", "tid": second["tid"], "status": 200, "body": reply.text})
    codes = page.zone.wait(WAIT)
    assert len(codes) == 2
    assert codes.count(code) == 1  # the second file was relayed: a file of its own
    assert [stored_bytes(emu, c) for c in codes] == [DATA, DATA]
    relayed = next(row for row in page.zone.rows if row["transport"] == "relay")
    assert f"{code} is the file of another upload" in relayed["note"]


# ------------------------------------------------------------------------------ ill-typed fields
@pytest.mark.parametrize(
    "fields",
    [
        {"reason": ["network"]},
        {"reason": {"network": 1}},
        {"message": ["reset"]},
        {"sent": [0]},
        {"sent": None},
    ],
    ids=repr,
)
@pytest.mark.usefixtures("no_traceback")
def test_an_ill_typed_failed_stops_the_direct_upload_it_names(
    emu: Emulator, client: Client, zones: list[UploadDropzone], fields: dict[str, Any]
) -> None:
    page, direct = direct_held(client, zones)
    failed = {"type": "failed", "tid": direct["tid"], "sent": 0, "reason": "network"}
    page.deliver({**failed, "message": "x", **fields})
    assert page.zone.wait(WAIT) == []
    (entry,) = page.zone.files
    assert entry["phase"] == "failed"
    assert entry["error"].startswith("refused from the page: ")
    assert direct["tid"] in page.stopped
    assert page.zone.notice == ""
    assert_nothing_stored(emu, client)


@pytest.mark.parametrize(
    "fields", [{"reason": ["read"]}, {"offset": {"at": 0}}, {"type": ["chunk"]}], ids=repr
)
@pytest.mark.usefixtures("no_traceback")
def test_ill_typed_messages_of_a_relay_refuse_or_stop_it(
    emu: Emulator, client: Client, zones: list[UploadDropzone], fields: dict[str, Any]
) -> None:
    page = open_page(client, zones, transport="relay")
    tid, gate = hold_relay(page)
    if "reason" in fields:
        page.deliver({"type": "failed", "tid": tid, "sent": 0, "message": "", **fields})
    else:
        page.deliver({"type": "chunk", "tid": tid, "offset": 3000, **fields}, [b"x"])
    if "type" in fields:  # names no type: a notice, and the upload goes on
        assert page.zone.notice.startswith("refused a message from the page: its type")
        gate.set()
        assert len(page.zone.wait(WAIT)) == 1
        return
    assert page.zone.wait(WAIT) == []
    assert page.zone.files[0]["error"].startswith("refused from the page: ")
    gate.set()
    page.join()
    assert_nothing_stored(emu, client)


# ------------------------------------------------------------------------------ per-tab secret
def test_a_bye_naming_another_tabs_page_does_nothing(
    emu: Emulator, client: Client, zones: list[UploadDropzone]
) -> None:
    page = open_page(client, zones, transport="relay")
    _tid, gate = hold_relay(page)
    other = FakePage(page.zone, "page2")
    other.hello()
    page.zone.send = page._receive  # type: ignore[method-assign]  # both tabs hear the kernel
    other.deliver({"type": "bye", "page": "page1"})  # page2's own secret
    assert page.zone.notice == "refused a bye message: it does not carry the secret of page 'page1'"
    other.deliver({"type": "bye", "page": "page1", "secret": ""})
    assert page.zone.notice.startswith("refused a bye message from the page: the secret ''")
    other.deliver({"type": "hello", "page": "page1"})  # greeting page1 anew hands out nothing
    assert page.zone.notice.startswith("refused a hello from page 'page1': that page already")
    assert len(page.messages("welcome")) == 1
    gate.set()
    (code,) = page.zone.wait(WAIT)
    assert stored_bytes(emu, code) == DATA
    assert_kernel_still_serves(emu, page)  # and later files of page1 still go up


def test_a_later_page_under_a_forgotten_id_cannot_retry_its_rows(
    emu: Emulator, client: Client, zones: list[UploadDropzone]
) -> None:
    page = open_page(client, zones, transport="relay")
    _tid, gate = hold_relay(page)
    page.deliver({"type": "cancel", "row": "f1", "page": page.page})
    assert page.zone.wait(WAIT) == []
    gate.set()
    page.join()
    page.zone._session.link._forget_quiet_pages(0)  # many pages later: page1 is forgotten
    impostor = FakePage(page.zone, page.page)  # greets under the forgotten id: a new secret
    impostor.hello()
    impostor.deliver({"type": "retry", "row": "f1", "page": page.page})
    page.zone._publish.flush_now()
    assert "this page does not hold the file" in page.zone._rows[0].state.state
    assert impostor.messages("relay") == []  # no relay was asked of the impostor
    assert page.zone.files[0]["phase"] == "cancelled"
    assert_nothing_stored(emu, client)


def test_transfer_messages_without_the_pages_secret_change_nothing(
    emu: Emulator, client: Client, zones: list[UploadDropzone]
) -> None:
    page, direct = direct_held(client, zones)
    tid = direct["tid"]
    forged = json.dumps({"status": "success", "code": FORGED_CODE})
    not_page1 = "does not carry the secret of page 'page1'"
    for content, notice in (
        ({"type": "result", "tid": tid, "status": 200, "body": forged}, not_page1),
        ({"type": "stopped", "tid": tid}, not_page1),
        ({"type": "cancel", "row": "f1", "page": "page1"}, not_page1),
        (  # ill-typed as well: refused, and the upload its sender does not hold goes on
            {"type": "failed", "tid": tid, "sent": 0, "reason": ["x"], "message": ""},
            "refused a failed message from the page: an unknown failure reason ['x']",
        ),
    ):
        page.deliver({**content, "secret": "not-the-secret"})
        assert notice in page.zone.notice, content
    page.zone._publish.flush_now()
    assert page.zone.files[0]["phase"] == "uploading"
    assert tid not in page.stopped


# ------------------------------------------------------------------------------ what is kept
class Chunk(bytearray):
    """A chunk whose life a test can watch (a weak reference dies with its last holder)."""


def test_a_failed_relay_releases_its_chunks_and_keeps_no_traceback(
    emu: Emulator, client: Client, zones: list[UploadDropzone]
) -> None:
    page = open_page(client, zones, transport="relay")
    page.zone.relay_window = 4
    tid, gate = hold_relay(page, at=2000)
    chunks = [Chunk(b"x" * 1000) for _ in range(2)]
    watched = [weakref.ref(c) for c in chunks]
    for n, chunk in enumerate(chunks):
        page.deliver({"type": "chunk", "tid": tid, "offset": 2000 + 1000 * n}, [memoryview(chunk)])
    page.deliver({"type": "chunk", "tid": tid, "offset": 99}, [b"y"])  # out of order: fails
    assert page.zone.wait(WAIT) == []
    gate.set()
    page.join()
    del chunks, chunk  # the test's own references
    gc.collect()
    assert [ref() for ref in watched] == [None, None]
    upload = page.zone._rows[0].upload
    assert upload is not None
    job = upload._job  # the kept error, before anything raises it again
    assert job is not None
    assert job.exception is not None
    assert job.exception.__traceback__ is None
    assert_nothing_stored(emu, client)


def test_the_pages_a_zone_remembers_are_bounded() -> None:
    link = PageLink(lambda content, buffers: None)
    secrets = [link.greet(f"p{i}", True) for i in range(LIMITS.pages + 50)]
    assert all(secrets)
    assert link.pages == LIMITS.pages
    assert link.is_gone("p0")  # forgotten: a page gone
    assert not link.is_gone(f"p{LIMITS.pages + 49}")
    link.page_seen("p60")  # heard lately: kept over quieter ones
    link.greet("another", True)
    assert not link.is_gone("p60")
    assert link.is_gone("p50")


def test_hellos_from_many_pages_leave_the_kernel_serving(
    emu: Emulator, client: Client, zones: list[UploadDropzone]
) -> None:
    page = open_page(client, zones)
    page.add("first.mp4", DATA)
    (first,) = page.zone.wait(WAIT)
    quiet = FakePage(page.zone, "quiet")  # greeted, never added a file
    quiet.hello()
    page.zone.send = page._receive  # type: ignore[method-assign]
    for i in range(LIMITS.pages * 2):
        page.zone._on_msg(page.zone, {"type": "hello", "page": f"flood{i}"}, [])
    assert page.zone._link.pages == LIMITS.pages
    assert page.zone._link.is_gone("quiet")  # forgotten for the flood...
    assert not page.zone._link.is_gone("page1")  # ...but not a page that added files
    page.add("after.mp4", DATA, key="after")
    codes = page.zone.wait(WAIT)
    assert codes[0] == first
    assert [stored_bytes(emu, c) for c in codes] == [DATA, DATA]
