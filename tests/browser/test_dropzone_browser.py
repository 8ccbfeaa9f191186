"""The upload area in JupyterLab 4 and Notebook 7: files from the page's own disk, for real.

A notebook runs ``zone = %sv_upload --transport ...`` against an emulator in this process;
files are chosen with ``set_input_files`` on the area's real ``<input type=file>`` or dropped
with a synthetic drop event carrying a ``DataTransfer``. What the rows claim is checked against
what the emulator then holds: the codes, their conversion, and the stored bytes, which must
equal the file's. Failures (cancel, reload, restart, a busy or interrupted kernel, a hostile
page) must end in a clear row and nothing stored. Big files are sparse, so that an upload is
still running when the test acts on it.
"""

from __future__ import annotations

import base64
import re
import secrets
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Locator, Page, expect

from .harness import (
    cell_output,
    collapse_left_area,
    finish_cell,
    kernel_execute,
    open_notebook,
    restart_kernel,
    run_cell,
    run_cell_until,
    save_notebook,
    save_screenshot,
    start_cell,
    wait_for_widget,
    write_notebook,
)
from .server import JupyterServer
from .test_magics_browser import click_timed, stalls_holding

pytestmark = pytest.mark.browser

ACCOUNT = "browser-dropzone"
TIMEOUT_MS = 120_000
MIB = 1024 * 1024
# A signed request token is ``{base64 payload}.{hex HMAC}`` (sv_widgets.signing).
_SIGNED_TOKEN = re.compile(r"[A-Za-z0-9_=-]{8,}\.[0-9a-f]{40,}")

if TYPE_CHECKING:  # imported by the fixtures, when the tests run
    from sv_widgets.client import Client
    from sv_widgets.emulator import Emulator


@pytest.fixture(scope="module")
def services() -> Iterator[dict[str, Emulator]]:
    """Two upload services: one that lets pages post cross-origin, one that refuses."""
    from sv_widgets.emulator import Emulator

    accounts = {ACCOUNT: secrets.token_hex(24)}
    with (
        Emulator(conversions="fast", accounts=accounts) as cors,
        Emulator(conversions="fast", accounts=accounts, cors=False) as no_cors,
    ):
        yield {"cors": cors, "no-cors": no_cors}


@pytest.fixture
def service(services: dict[str, Emulator]) -> Emulator:
    services["cors"].reset()
    return services["cors"]


@pytest.fixture(scope="module")
def second_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from sv_widgets.emulator import make_sample_clip

    path = tmp_path_factory.mktemp("dropzone") / "second.mp4"
    return make_sample_clip(path, seconds=2.0, width=320, height=180)


@pytest.fixture(scope="module")
def big_file(tmp_path_factory: pytest.TempPathFactory) -> Callable[[int], Path]:
    """``big_file(mib)``: a sparse file of that many MiB (zeros), made once per size."""
    folder = tmp_path_factory.mktemp("big")

    def make(mib: int) -> Path:
        path = folder / f"big-{mib}.bin"
        if not path.exists():
            with path.open("wb") as f:
                f.truncate(mib * MIB)
        return path

    return make


# ------------------------------------------------------------------------------ helpers
def open_zone(
    page: Page, jupyter: JupyterServer, service: Emulator, name: str, args: str = ""
) -> Locator:
    """A notebook showing ``zone = %sv_upload ARGS`` for ``service``; returns the area."""
    write_notebook(
        jupyter.root_dir,
        name,
        ["%load_ext sv_widgets", f"zone = %sv_upload {args}".strip(), "print(zone.codes)"],
    )
    return open_zone_from(page, jupyter, service, name)


def open_zone_from(page: Page, jupyter: JupyterServer, service: Emulator, name: str) -> Locator:
    """Open notebook ``name`` (its cell 1 shows the area), point its kernel at ``service``,
    run the first two cells; returns the area."""
    open_notebook(page, jupyter, name)
    env = {
        "SV_PUBLIC_KEY": ACCOUNT,
        "SV_PRIVATE_KEY": service.accounts[ACCOUNT],
        "SV_API_URL": service.api_url,
        "SV_THUMBNAIL_URL": service.thumbnail_url,
    }
    kernel_execute(page, f"import os\nos.environ.update({env!r})")
    run_cell(page, 0)
    run_cell(page, 1)
    return wait_for_widget(page, ".sv-dropzone", cell_index=1)


def choose(zone: Locator, path: Path) -> None:
    zone.locator("input[type=file]").set_input_files(str(path))


def drop(zone: Locator, data: bytes, name: str) -> None:
    """Drop a file on the area as a person would: dragenter, dragover, drop, one DataTransfer."""
    zone.locator(".sv-dz-target").evaluate(
        """(target, [b64, name]) => {
          const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
          const data = new DataTransfer();
          data.items.add(new File([bytes], name, { type: "video/mp4" }));
          for (const type of ["dragenter", "dragover", "drop"]) {
            const init = { bubbles: true, cancelable: true, dataTransfer: data };
            target.dispatchEvent(new DragEvent(type, init));
          }
        }""",
        [base64.b64encode(data).decode(), name],
    )


def row(zone: Locator, name: str) -> Locator:
    return zone.locator(".sv-dz-row").filter(has=zone.page.locator(".sv-dz-name", has_text=name))


def wait_started(one_row: Locator) -> None:
    """Until the row's bar shows some bytes sent (the upload is under way)."""
    bar = one_row.locator("[role=progressbar]")
    bar.page.wait_for_function(
        "(bar) => Number(bar.getAttribute('aria-valuenow')) > 0",
        arg=bar.element_handle(timeout=TIMEOUT_MS),
        timeout=TIMEOUT_MS,
    )


def stored(service: Emulator, code: str) -> bytes:
    assert service.data_dir is not None
    (source,) = (service.data_dir / "files" / code).glob("source.*")
    return source.read_bytes()


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"still not true after {timeout:.0f}s: {what}")
        time.sleep(0.1)


def assert_nothing_stored(service: Emulator, client: Client) -> None:
    """No file, and (once the service has let go of the cut-off body) no partial file."""
    assert service.data_dir is not None
    tmp = service.data_dir / "tmp"
    wait_until(lambda: not any(tmp.iterdir()), "the partial upload removed")
    assert list(client.iter_files()) == []


# ------------------------------------------------------------------------------ uploads
@pytest.mark.parametrize("transport", ["direct", "relay"])
def test_a_chosen_and_a_dropped_clip_upload_and_convert(
    page: Page,
    jupyter: JupyterServer,
    service: Emulator,
    sample_clip: Path,
    second_clip: Path,
    transport: str,
) -> None:
    """In JupyterLab and Notebook 7, for each transport."""
    name = f"dropzone-{jupyter.app}-{transport}.ipynb"
    zone = open_zone(page, jupyter, service, name, f"--transport {transport}")
    choose(zone, sample_clip)
    drop(zone, second_clip.read_bytes(), "dropped clip.mp4")

    ready = zone.locator('.sv-dz-row[data-phase="ready"]')
    expect(ready).to_have_count(2, timeout=TIMEOUT_MS)
    for clip, shown in ((sample_clip, sample_clip.name), (second_clip, "dropped clip.mp4")):
        one = row(zone, shown)
        expect(one).to_have_attribute("data-transport", transport)
        code = one.locator(".sv-dz-code").inner_text()
        assert stored(service, code) == clip.read_bytes()
        assert service.client(ACCOUNT).file_info(code).streams.mp4  # converted
        expect(one.locator("img.sv-dz-thumb")).to_be_visible()
    codes = [c.inner_text() for c in zone.locator(".sv-dz-code").all()]
    run_cell_until(page, 2, repr(codes))  # the kernel's zone.codes, in the order chosen

    if jupyter.app == "lab" and transport == "relay":
        save_screenshot(cell_output(page, 1), "upload-dropzone", docs=False)
        collapse_left_area(page)
        save_screenshot(page, "jupyterlab-upload-dropzone")
    elif jupyter.app == "notebook":
        save_screenshot(page, f"notebook7-upload-dropzone-{transport}", docs=False)


def test_auto_falls_back_to_relay_when_the_upload_server_refuses_cross_origin(
    page: Page, jupyter: JupyterServer, services: dict[str, Emulator], sample_clip: Path
) -> None:
    """In JupyterLab and Notebook 7: the preflight is refused, so no byte went out directly."""
    service = services["no-cors"]
    service.reset()
    zone = open_zone(page, jupyter, service, f"dropzone-auto-{jupyter.app}.ipynb", "")
    choose(zone, sample_clip)
    one = row(zone, sample_clip.name)
    expect(one).to_have_attribute("data-phase", "ready", timeout=TIMEOUT_MS)
    expect(one).to_have_attribute("data-transport", "relay")
    expect(one.locator(".sv-dz-via")).to_have_text(" · relayed through the kernel")
    expect(one.locator(".sv-dz-transport-note")).to_contain_text(
        "direct upload not possible: the upload server could not be reached from this page"
    )
    (code,) = service.client(ACCOUNT).iter_files()  # one file: the failed attempt left none
    assert stored(service, code) == sample_clip.read_bytes()


def test_the_ticket_is_never_saved_in_the_notebook(
    page: Page, jupyter_lab: JupyterServer, service: Emulator, sample_clip: Path
) -> None:
    """With the widget state saved, the notebook holds the rows but no token and no key."""
    path = jupyter_lab.root_dir / "dropzone-state.ipynb"
    with jupyter_lab.user_settings(
        "@jupyter-widgets/jupyterlab-manager:plugin", {"saveState": True}
    ):
        zone = open_zone(page, jupyter_lab, service, path.name, "--transport direct")
        choose(zone, sample_clip)
        expect(row(zone, sample_clip.name)).to_have_attribute(
            "data-phase", "ready", timeout=TIMEOUT_MS
        )
        save_notebook(page)
    text = path.read_text()
    assert '"rows"' in text  # the state was saved...
    assert service.accounts[ACCOUNT] not in text  # ...with no key
    assert _SIGNED_TOKEN.search(text) is None  # ...and no upload ticket
    assert "token=" not in text


def test_an_empty_file_is_refused_in_its_row_and_nothing_waits(
    page: Page, jupyter_lab: JupyterServer, service: Emulator, tmp_path: Path
) -> None:
    zone = open_zone(page, jupyter_lab, service, "dropzone-empty.ipynb", "")
    empty = tmp_path / "empty clip.mp4"
    empty.write_bytes(b"")
    choose(zone, empty)
    one = row(zone, empty.name)
    expect(one).to_have_attribute("data-phase", "failed", timeout=TIMEOUT_MS)
    expect(one.locator(".sv-dz-error")).to_have_text(
        "refused: the file is empty: there is nothing to upload"
    )
    expect(zone.locator(".sv-dz-pending")).to_have_count(0)
    expect(zone.locator(".sv-dz-row")).to_have_count(1)
    expect(one.get_by_role("button", name="Retry")).to_be_hidden()


# ------------------------------------------------------------------------------ failures
def start_big_upload(
    page: Page, jupyter: JupyterServer, service: Emulator, path: Path, transport: str, what: str
) -> Locator:
    """A notebook with an area, ``path`` chosen in it and under way; its row."""
    name = f"dropzone-{what}-{transport}.ipynb"
    zone = open_zone(page, jupyter, service, name, f"--transport {transport}")
    choose(zone, path)
    one = row(zone, path.name)
    wait_started(one)
    return one


@pytest.mark.parametrize(("transport", "mib"), [("relay", 256), ("direct", 1024)])
def test_cancel_midway_leaves_nothing_stored(
    page: Page,
    jupyter_lab: JupyterServer,
    service: Emulator,
    big_file: Callable[[int], Path],
    transport: str,
    mib: int,
) -> None:
    one = start_big_upload(page, jupyter_lab, service, big_file(mib), transport, "cancel")
    one.get_by_role("button", name="Cancel").click()
    expect(one).to_have_attribute("data-phase", "cancelled", timeout=TIMEOUT_MS)
    expect(one.locator(".sv-dz-message")).to_have_text("cancelled: nothing was stored")
    expect(one).to_have_attribute("data-transport", transport)
    expect(one.get_by_role("button", name="Retry")).to_be_visible()
    assert_nothing_stored(service, service.client(ACCOUNT))


def test_cancel_from_the_keyboard_leaves_the_focus_on_the_rows_retry(
    page: Page, jupyter_lab: JupyterServer, service: Emulator, big_file: Callable[[int], Path]
) -> None:
    """Enter on a row's Cancel: the button goes, and the focus goes to the Retry that takes
    its place (not to the page body, where the next Tab would start at the top of the
    application). The upload server holds the upload, so it is still live when cancelled."""
    service.set_faults(["upload:stall"])
    one = start_big_upload(page, jupyter_lab, service, big_file(64), "relay", "cancel-keys")
    cancel = one.get_by_role("button", name="Cancel")
    cancel.focus()
    page.keyboard.press("Enter")
    expect(one).to_have_attribute("data-phase", "cancelled", timeout=TIMEOUT_MS)
    expect(cancel).to_be_hidden()
    expect(one.get_by_role("button", name="Retry")).to_be_focused()
    page.keyboard.press("m")  # a notebook shortcut (to Markdown) must not fire on Retry
    expect(page.locator(".jp-Notebook .jp-MarkdownCell")).to_have_count(0)


@pytest.mark.parametrize("transport", ["relay", "direct"])
def test_cancel_ends_an_upload_the_upload_server_holds_back(
    page: Page,
    jupyter_lab: JupyterServer,
    service: Emulator,
    big_file: Callable[[int], Path],
    transport: str,
) -> None:
    """The upload server holds the POST, body unread (``upload:stall``): the relay's send is
    blocked in the kernel's socket (the kernel closes the connection under it), the direct
    upload's in the page's (the page aborts its POST). The row ends while the server still
    holds the request, and nothing is stored. The kernel's client gets long socket timeouts,
    so that no timeout could end a relay instead."""
    service.set_faults(["upload:stall"])
    name = f"dropzone-stalled-{transport}.ipynb"
    zone = open_zone(page, jupyter_lab, service, name, f"--transport {transport}")
    kernel_execute(
        page, "get_ipython().run_line_magic('sv_client', '')._transport.timeout = (120.0, 120.0)"
    )
    path = big_file(64)  # far more than the socket buffers take in, a percent of it shows
    choose(zone, path)
    one = row(zone, path.name)
    wait_until(lambda: stalls_holding(service) == 1, "the upload server holds the upload")
    wait_started(one)
    message = one.locator(".sv-dz-message")
    said = "cancelled: nothing was stored"
    elapsed = click_timed(one.get_by_role("button", name="Cancel"), message, said)
    expect(one).to_have_attribute("data-phase", "cancelled", timeout=TIMEOUT_MS)
    expect(message).to_have_text(said)
    assert stalls_holding(service) == 1  # ended while the server still holds the request
    # Reported, not asserted (a busy machine is slower): the click to the row's last word.
    print(f"Cancel to the row's end ({transport}), upload server holding it: {elapsed():.3f} s")
    expect(one).to_have_attribute("data-transport", transport)
    assert list(service.client(ACCOUNT).iter_files()) == []
    service.clear_faults()  # the server reads again: what reached it is a cut-off body
    wait_until(lambda: service.faults.stalled == 0, "the held request answered")
    assert_nothing_stored(service, service.client(ACCOUNT))


@pytest.mark.parametrize(("app", "transport"), [("lab", "relay"), ("notebook", "direct")])
def test_a_reload_mid_upload_ends_in_a_clear_state(
    request: pytest.FixtureRequest,
    page: Page,
    service: Emulator,
    big_file: Callable[[int], Path],
    app: str,
    transport: str,
) -> None:
    jupyter: JupyterServer = request.getfixturevalue(f"jupyter_{app}")
    name = f"dropzone-reload-{transport}.ipynb"
    zone = open_zone(page, jupyter, service, name, f"--transport {transport}")
    path = big_file(256 if transport == "relay" else 1024)
    choose(zone, path)
    wait_started(row(zone, path.name))
    save_notebook(page)  # so that the reloaded page shows the area again

    page.reload(wait_until="domcontentloaded")
    open_notebook(page, jupyter, name)
    zone = wait_for_widget(page, ".sv-dropzone", cell_index=1)
    one = row(zone, path.name)
    expect(one).to_have_attribute("data-phase", "failed", timeout=TIMEOUT_MS)
    expect(one.locator(".sv-dz-error")).to_contain_text(
        "reloaded or closed mid-upload; nothing was stored: choose the file again"
    )
    expect(one.get_by_role("button", name="Retry")).to_be_hidden()  # this page has no file
    assert_nothing_stored(service, service.client(ACCOUNT))


def busy_notebook(
    page: Page,
    jupyter: JupyterServer,
    service: Emulator,
    name: str,
    transport: str,
    *,
    until: Path | None = None,
) -> Locator:
    """An area whose notebook's cell 2 runs a long computation: until interrupted, or with
    ``until``, until that file exists."""
    if until is None:
        busy = "import threading\nprint('computing', flush=True)\nthreading.Event().wait()"
    else:
        busy = (
            "import pathlib, time\nprint('computing', flush=True)\n"
            f"while not pathlib.Path({str(until)!r}).exists():\n    time.sleep(0.05)"
        )
    write_notebook(
        jupyter.root_dir,
        name,
        [
            "%load_ext sv_widgets",
            f"zone = %sv_upload --no-convert --transport {transport}",
            busy + "  # a long computation",
        ],
    )
    return open_zone_from(page, jupyter, service, name)


def interrupt(jupyter: JupyterServer) -> None:
    """Interrupt the kernel, as the stop button does."""
    (session,) = jupyter.api("sessions")
    jupyter.api(f"kernels/{session['kernel']['id']}/interrupt", method="POST")


def stalls_fired(service: Emulator) -> int:
    return sum(r["fired"] for r in service.faults.to_json() if r["kind"] == "stall")


@pytest.mark.parametrize("transport", ["relay", "direct"])
def test_while_a_cell_runs_rows_wait_for_the_kernel_and_go_on_after_an_interrupt(
    page: Page,
    jupyter_lab: JupyterServer,
    service: Emulator,
    sample_clip: Path,
    big_file: Callable[[int], Path],
    transport: str,
) -> None:
    """A kernel that reads no widget message while a cell runs: the rows say they wait for
    it, and after an interrupt the uploads carry on.

    That is every kernel when the front end sends comms on the main shell (ipykernel 6,
    or 7 with JupyterLab's comms over subshells disabled, as here). So that the first upload
    cannot end before the cell runs, however fast or busy the machine, the upload server
    holds it (a ``stall``) until the cell has printed that it runs; the kernel has then
    taken in less of the file than the file holds, so the rest waits for the kernel."""
    name = f"dropzone-busy-{transport}.ipynb"
    with jupyter_lab.user_settings(
        "@jupyterlab/apputils-extension:kernels-settings", {"commsOverSubshells": "disabled"}
    ):
        zone = busy_notebook(page, jupyter_lab, service, name, transport)
    path = big_file(64)
    service.set_faults(["upload:stall"])
    choose(zone, path)
    one = row(zone, path.name)
    expect(one).to_have_attribute("data-phase", "uploading", timeout=TIMEOUT_MS)
    wait_until(lambda: stalls_fired(service) > 0, "the upload server holds the upload")
    started = start_cell(page, 2)
    expect(cell_output(page, 2)).to_contain_text("computing", timeout=TIMEOUT_MS)
    service.clear_faults()  # the upload server reads again; the kernel, in its cell, does not
    waiting = "waiting for the kernel (a cell is running): the upload carries on when it is free"
    note = one.locator('.sv-dz-note[data-kind="waiting"]')
    expect(note).to_have_text(waiting, timeout=TIMEOUT_MS)
    choose(zone, sample_clip)  # chosen while the cell runs: the kernel hears of it later
    pending = zone.locator(".sv-dz-pending .sv-dz-note")
    expect(pending).to_have_text(
        "waiting for the kernel (a cell is running): the file is added when it is free"
    )
    if transport == "relay":
        save_screenshot(cell_output(page, 1), "upload-dropzone-waiting")
    else:
        save_screenshot(cell_output(page, 1), "upload-dropzone-waiting-direct", docs=False)
    interrupt(jupyter_lab)
    assert finish_cell(page, 2, started) == "KeyboardInterrupt"
    expect(zone.locator('.sv-dz-row[data-phase="ready"]')).to_have_count(2, timeout=TIMEOUT_MS)
    expect(zone.locator('.sv-dz-note[data-kind="waiting"]')).to_have_count(0)
    expect(zone.locator(".sv-dz-pending")).to_have_count(0)
    code = one.locator(".sv-dz-message").inner_text().split(" as ")[1].split(";")[0]
    assert service.data_dir is not None
    (source,) = (service.data_dir / "files" / code).glob("source.*")
    assert source.stat().st_size == path.stat().st_size


def test_a_file_chosen_while_a_cell_runs_is_uploaded_whatever_the_kernel_does(
    page: Page,
    jupyter_lab: JupyterServer,
    service: Emulator,
    sample_clip: Path,
    tmp_path: Path,
) -> None:
    """With the front end's default settings. JupyterLab 4.6 with ipykernel 7 may carry the
    area's messages on a kernel subshell, which reads them while the cell runs, or on the
    main shell, which does not; so the file may go up at once or wait for the cell to end.
    Either way it is stored once the cell ends, and nothing is left waiting. (The cell ends
    by itself here: the interrupt is the other test's.)"""
    done = tmp_path / "done"
    zone = busy_notebook(
        page, jupyter_lab, service, "dropzone-default-busy.ipynb", "relay", until=done
    )
    started = start_cell(page, 2)
    expect(cell_output(page, 2)).to_contain_text("computing", timeout=TIMEOUT_MS)
    choose(zone, sample_clip)
    expect(zone.locator('.sv-dz-row[data-phase="ready"], .sv-dz-pending')).to_have_count(
        1, timeout=TIMEOUT_MS
    )
    done.touch()
    assert finish_cell(page, 2, started) is None
    one = row(zone, sample_clip.name)
    expect(one).to_have_attribute("data-phase", "ready", timeout=TIMEOUT_MS)
    expect(zone.locator(".sv-dz-pending")).to_have_count(0)
    assert stored(service, one.locator(".sv-dz-code").inner_text()) == sample_clip.read_bytes()


@pytest.mark.parametrize(("transport", "mib"), [("relay", 256), ("direct", 1024)])
def test_a_kernel_restart_mid_upload_stops_it_and_stores_nothing(
    page: Page,
    jupyter_lab: JupyterServer,
    service: Emulator,
    big_file: Callable[[int], Path],
    transport: str,
    mib: int,
) -> None:
    one = start_big_upload(page, jupyter_lab, service, big_file(mib), transport, "restart")
    restart_kernel(page)  # as Kernel > Restart does
    note = one.locator('.sv-dz-note[data-kind="error"]')
    expect(note).to_contain_text("stopped: the kernel no longer serves this upload area")
    expect(note).to_contain_text("nothing was stored")
    expect(one.get_by_role("button", name="Cancel")).to_be_hidden()
    assert_nothing_stored(service, service.client(ACCOUNT))


def test_hostile_messages_from_the_page_are_refused_and_the_kernel_still_answers(
    page: Page,
    jupyter_lab: JupyterServer,
    service: Emulator,
    sample_clip: Path,
    big_file: Callable[[int], Path],
) -> None:
    # The upload server holds the first page's relay (body unread) until the hostile messages
    # have been sent, so that they meet a live upload however fast the machine is.
    service.set_faults(["upload:stall"])
    zone = open_zone(page, jupyter_lab, service, "dropzone-hostile.ipynb", "--transport relay")
    kernel_execute(
        page, "get_ipython().run_line_magic('sv_client', '')._transport.timeout = (120.0, 120.0)"
    )
    path = big_file(64)
    choose(zone, path)
    live = row(zone, path.name)
    wait_until(lambda: stalls_holding(service) == 1, "the upload server holds the upload")
    wait_started(live)
    send = """(root, [content, withBuffer]) => root.svModel.send(
        content, undefined, withBuffer ? [new Uint8Array(16).buffer] : undefined)"""
    # A second page, greeted as any page is: the kernel's welcome gives it its own secret,
    # which every later message of its must carry.
    secret = zone.evaluate(
        """(root) => new Promise((resolve) => {
            const model = root.svModel;
            const heard = (msg) => {
                if (msg && msg.type === "welcome" && msg.page === "hostile") {
                    model.off("msg:custom", heard);
                    resolve(msg.secret);
                }
            };
            model.on("msg:custom", heard);
            model.send({ type: "hello", page: "hostile" }, undefined,
                       [new Uint8Array([115, 118, 122, 33]).buffer]);
        })"""
    )
    hostile_page = {"page": "hostile", "secret": secret}

    # A chunk for an upload that does not exist: a notice, nothing else.
    zone.evaluate(send, [{"type": "chunk", "tid": "t404", "offset": 0, "secret": secret}, True])
    expect(zone.locator(".sv-dz-banner")).to_contain_text(
        "refused a chunk message for an unknown upload 't404'"
    )
    # A chunk out of order for the first page's live relay (t1), from the second page: the
    # second page does not hold that upload, so nothing changes but a notice.
    zone.evaluate(send, [{"type": "chunk", "tid": "t1", "offset": 7, "secret": secret}, True])
    expect(zone.locator(".sv-dz-banner")).to_contain_text(
        "refused a chunk message for upload t1: it does not carry the secret of page"
    )
    # Nor may it speak for the first page, whose id every row shows: its bye does nothing,
    # and greeting the first page's id anew hands out no secret.
    page_id = zone.evaluate("(root) => root.svPage")
    zone.evaluate(send, [{"type": "bye", "page": page_id, "secret": secret}, False])
    expect(zone.locator(".sv-dz-banner")).to_contain_text(
        f"refused a bye message: it does not carry the secret of page '{page_id}'"
    )
    zone.evaluate(send, [{"type": "hello", "page": page_id}, False])
    expect(zone.locator(".sv-dz-banner")).to_contain_text(
        f"refused a hello from page '{page_id}': that page already said hello"
    )
    # None of it touched the first page's relay: let the server read, and it arrives whole.
    expect(live).to_have_attribute("data-phase", "uploading")
    service.clear_faults()
    expect(live).to_have_attribute("data-phase", "ready", timeout=TIMEOUT_MS)
    first = live.locator(".sv-dz-code").inner_text()
    assert stored(service, first) == path.read_bytes()

    # Names no file system gives: refused in their rows before anything is sent.
    hostile = [
        ("../../etc/passwd", "refused: the file name contains a path separator"),
        ("bell\u0007.mp4", "refused: the file name contains control characters"),
        ("x" * 10_000, "refused: the file name is 10,000 characters long (at most 255)"),
    ]
    files = [{"key": f"h{i}", "name": n, "size": 10} for i, (n, _) in enumerate(hostile)]
    zone.evaluate(send, [{"type": "add", **hostile_page, "files": files}, False])
    for reason in (r for _, r in hostile):
        expect(zone.locator(".sv-dz-error", has_text=reason)).to_have_count(1)

    # The second page's own relay, broken by its own chunk out of order: that row fails, and
    # says why.
    relay = """(root, [secret, name]) => new Promise((resolve) => {
        const model = root.svModel;
        const heard = (msg) => {
            if (msg && msg.type === "relay" && msg.page === "hostile" && msg.name === name) {
                model.off("msg:custom", heard);
                resolve(msg.tid);
            }
        };
        model.on("msg:custom", heard);
        model.send({ type: "add", page: "hostile", secret,
                     files: [{ key: "own", name, size: 1000 }] });
    })"""
    tid = zone.evaluate(relay, [secret, "own-relay.mp4"])
    zone.evaluate(send, [{"type": "chunk", "tid": tid, "offset": 7, "secret": secret}, True])
    broken = row(zone, "own-relay.mp4")
    expect(broken).to_have_attribute("data-phase", "failed", timeout=TIMEOUT_MS)
    expect(broken.locator(".sv-dz-error")).to_contain_text(
        "refused from the page: a chunk at byte 7 arrived where byte 0 was expected"
    )
    # A page whose binary buffers do not reach the kernel is told so in its welcome, and its
    # relays fail at once instead of hanging.
    bare = zone.evaluate(
        """(root) => new Promise((resolve) => {
            const model = root.svModel;
            const heard = (msg) => {
                if (msg && msg.type === "welcome" && msg.page === "bare") {
                    model.off("msg:custom", heard);
                    resolve(msg);
                }
            };
            model.on("msg:custom", heard);
            model.send({ type: "hello", page: "bare" });
        })"""
    )
    assert bare["buffers"] is False
    files = [{"key": "b1", "name": "unrelayable.mp4", "size": 1000}]
    add = {"type": "add", "page": "bare", "secret": bare["secret"], "files": files}
    zone.evaluate(send, [add, False])
    unrelayable = row(zone, "unrelayable.mp4")
    expect(unrelayable).to_have_attribute("data-phase", "failed", timeout=TIMEOUT_MS)
    expect(unrelayable.locator(".sv-dz-error")).to_contain_text("cannot relay the file")

    # The kernel still answers, and the next file still goes up whole.
    run_cell_until(page, 2, repr([first]))
    choose(zone, sample_clip)
    one = row(zone, sample_clip.name)
    expect(one).to_have_attribute("data-phase", "ready", timeout=TIMEOUT_MS)
    code = one.locator(".sv-dz-code").inner_text()
    assert stored(service, code) == sample_clip.read_bytes()
    # Nothing of the refused ones.
    assert sorted(service.client(ACCOUNT).iter_files()) == sorted([first, code])
