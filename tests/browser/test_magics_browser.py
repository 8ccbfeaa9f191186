"""The magics as a person uses them in JupyterLab and Notebook 7: Cancel while a cell waits,
also with the upload server holding the request back."""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Locator, Page, expect

from .harness import (
    _JS_START_COMMAND,
    EXECUTE_TIMEOUT_MS,
    cell_output,
    open_notebook,
    run_cell,
    wait_for_widget,
    write_notebook,
)
from .server import JupyterServer
from .test_widgets_browser import point_kernel_at, wait_until

if TYPE_CHECKING:
    from sv_widgets.emulator import Emulator

pytestmark = pytest.mark.browser

BIG = 4 * 2**30  # sparse: seconds of upload even on a fast machine, no disk used here


@pytest.fixture
def emulator_account() -> Iterator[tuple[Emulator, str]]:
    from sv_widgets.emulator import Emulator

    with Emulator(accounts={"browser-cancel": secrets.token_hex(24)}) as emu:
        yield emu, "browser-cancel"


def test_cancel_during_sv_upload_stops_it_and_the_cell_ends_in_one_line(
    page: Page, jupyter: JupyterServer, emulator_account: tuple[Emulator, str]
) -> None:
    emulator, account = emulator_account
    with (jupyter.root_dir / "big clip.mp4").open("wb") as f:
        f.truncate(BIG)
    write_notebook(
        jupyter.root_dir,
        "cancel.ipynb",
        ["%load_ext sv_widgets", 'code = %sv_upload "big clip.mp4" --no-convert', "print(code)"],
    )
    open_notebook(page, jupyter, "cancel.ipynb")
    point_kernel_at(page, emulator, account)
    page.evaluate(_JS_START_COMMAND, ["notebook:run-all-cells", None])

    upload = wait_for_widget(page, ".sv-upload-progress", cell_index=1)
    expect(upload).to_contain_text(re.compile(r"[1-9]\d?% · "), timeout=EXECUTE_TIMEOUT_MS)
    clicked = time.monotonic()
    upload.get_by_role("button", name="Cancel").click()

    # The cell ends by itself (the kernel was blocked in it) with one line, no traceback.
    output = cell_output(page, 1)
    expect(output).to_contain_text(
        "big clip.mp4: cancelled: nothing was stored", timeout=EXECUTE_TIMEOUT_MS
    )
    # Reported, not asserted (a busy machine is slower): the click to the cell's last line.
    print(f"Cancel to the cell's end: {time.monotonic() - clicked:.2f} s")
    expect(output).not_to_contain_text("Traceback")
    expect(output).not_to_contain_text("KeyboardInterrupt")
    expect(upload).to_contain_text("cancelled: nothing was stored")
    assert run_cell(page, 2).strip() == "None"  # the kernel is free and answers
    assert list(emulator.client(account).iter_files()) == []
    (jupyter.root_dir / "big clip.mp4").unlink()


# In the page: from the click on ``button`` (its own click event) to ``text`` showing in the
# watched element, in milliseconds; the page's clock, so the test's polling adds nothing.
_CANCEL_TIMER = """(watched, [button, text]) => {
  const probe = (window.__svCancelTimer = { clicked: null, ended: null });
  button.addEventListener("click", () => { probe.clicked = performance.now(); },
                          { capture: true, once: true });
  const observer = new MutationObserver(() => {
    if (probe.clicked !== null && watched.textContent.includes(text)) {
      probe.ended = performance.now();
      observer.disconnect();
    }
  });
  observer.observe(watched, { childList: true, subtree: true, characterData: true });
}"""


def click_timed(button: Locator, watched: Locator, text: str) -> Callable[[], float]:
    """Click ``button``; returns a function giving the seconds from the click until ``text``
    showed in ``watched`` (call it once the text is there)."""
    watched.evaluate(_CANCEL_TIMER, [button.element_handle(), text])
    button.click()

    def seconds() -> float:
        ms = button.page.evaluate(
            "() => window.__svCancelTimer.ended - window.__svCancelTimer.clicked"
        )
        return float(ms) / 1000

    return seconds


def stalls_holding(emulator: Emulator) -> int:
    """Requests the emulator's ``stall`` rules hold now."""
    return sum(r["holding"] for r in emulator.faults.to_json() if r["kind"] == "stall")


def test_cancel_with_the_upload_server_holding_the_request_ends_the_cell_at_once(
    page: Page, jupyter: JupyterServer, emulator_account: tuple[Emulator, str]
) -> None:
    """The upload server holds the request, body unread (``upload:stall``): the kernel's send
    is blocked in the socket. Cancel ends the cell while the server still holds the request,
    saying nothing was stored, and the account holds no file. The kernel's client gets long
    socket timeouts, so that no timeout could end the upload instead."""
    emulator, account = emulator_account
    with (jupyter.root_dir / "big clip.mp4").open("wb") as f:
        f.truncate(BIG)
    write_notebook(
        jupyter.root_dir,
        "cancel-stalled.ipynb",
        [
            "%load_ext sv_widgets",
            "client = %sv_client\nclient._transport.timeout = (120.0, 120.0)",
            'code = %sv_upload "big clip.mp4" --no-convert',
            "print(code)",
        ],
    )
    open_notebook(page, jupyter, "cancel-stalled.ipynb")
    point_kernel_at(page, emulator, account)
    emulator.set_faults(["upload:stall"])
    page.evaluate(_JS_START_COMMAND, ["notebook:run-all-cells", None])

    upload = wait_for_widget(page, ".sv-upload-progress", cell_index=2)
    wait_until(lambda: stalls_holding(emulator) == 1, "the upload server holds the upload")
    expect(upload).to_contain_text(re.compile(r"\d+% · "), timeout=EXECUTE_TIMEOUT_MS)
    output = cell_output(page, 2)
    line = "big clip.mp4: cancelled: nothing was stored"
    elapsed = click_timed(upload.get_by_role("button", name="Cancel"), output, line)
    expect(output).to_contain_text(line, timeout=EXECUTE_TIMEOUT_MS)
    assert stalls_holding(emulator) == 1  # the cell ended while the server still held it
    # Reported, not asserted (a busy machine is slower): the click to the cell's last line.
    print(f"Cancel to the cell's end ({jupyter.app}), upload server holding it: {elapsed():.3f} s")
    expect(output).not_to_contain_text("Traceback")
    expect(output).not_to_contain_text("KeyboardInterrupt")
    expect(upload).to_contain_text("cancelled: nothing was stored")
    assert list(emulator.client(account).iter_files()) == []
    emulator.clear_faults()  # the server reads again: what reached it is a cut-off body
    wait_until(lambda: emulator.faults.stalled == 0, "the held request answered")
    assert list(emulator.client(account).iter_files()) == []
    assert run_cell(page, 3).strip() == "None"  # the kernel is free and answers
    (jupyter.root_dir / "big clip.mp4").unlink()
