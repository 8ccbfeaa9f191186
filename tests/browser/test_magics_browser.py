"""The magics as a person uses them in JupyterLab and Notebook 7: Cancel while a cell waits."""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, expect

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
from .test_widgets_browser import point_kernel_at

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
