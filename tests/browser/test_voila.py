"""The upload area in a notebook served by Voilà: it works, and a forging page changes nothing.

Voilà serves a notebook as an app: the visitor sees its widgets and can send widget messages
but cannot run code, so the visitor is the page the kernel must not trust. The notebook here
shows an ``UploadDropzone`` (relay, no conversion) and, beside it, what the kernel believes
(``zone.codes`` and ``zone.transport``, written by the kernel into a label). The test first
forges from the page what a hostile front end sent to a real kernel (state updates, a bye
for its own page without the secret, ill-typed messages), then uploads a file as a person
does: it is stored whole, and the kernel believes exactly that.
"""

from __future__ import annotations

import json
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, expect

from .conftest import require_chromium
from .harness import write_notebook
from .server import _stop_process_group, clean_env, prepare_jupyter_dirs, process_wait

if TYPE_CHECKING:
    from sv_widgets.emulator import Emulator

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ACCOUNT = "browser-voila"
TIMEOUT_MS = 120_000
START_TIMEOUT_S = 120.0
FORGED_CODE = "1700000001-FoRgE2"


@dataclass
class Voila:
    url: str
    process: subprocess.Popen[bytes]
    log: Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait_until_up(server: Voila, port: int) -> None:
    """Until Voilà listens (serving the notebook runs it, so it is not asked for here)."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"voila exited:\n{server.log.read_text(errors='replace')[-3000:]}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
            return
        except OSError:
            process_wait(server.process, 0.2)
    raise RuntimeError(f"voila did not start:\n{server.log.read_text(errors='replace')[-3000:]}")


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    from sv_widgets.emulator import Emulator

    with Emulator(accounts={ACCOUNT: secrets.token_hex(24)}, conversions="fast") as emu:
        yield emu


@pytest.fixture(scope="module")
def voila(tmp_path_factory: pytest.TempPathFactory, emulator: Emulator) -> Iterator[Voila]:
    pytest.importorskip("voila")
    require_chromium()
    work = tmp_path_factory.mktemp("voila")
    root = work / "notebooks"
    root.mkdir()
    client = (
        f"Client({ACCOUNT!r}, {emulator.accounts[ACCOUNT]!r}, "
        f"api_url={emulator.api_url!r}, thumbnail_url={emulator.thumbnail_url!r})"
    )
    write_notebook(
        root,
        "portal.ipynb",
        [
            "import json\nimport ipywidgets as W\nfrom sv_widgets.client import Client\n"
            "from sv_widgets.widgets import UploadDropzone",
            f"zone = UploadDropzone({client}, transport='relay', convert=False)\n"
            "truth = W.Label(layout=W.Layout(display='block'))\n"
            "truth.add_class('kernel-truth')\n"
            "def tell(_change=None):\n"
            "    truth.value = json.dumps({'codes': zone.codes, 'transport': zone.transport})\n"
            "zone.observe(tell, names=['codes', 'transport'])\n"
            "tell()\n"
            "W.VBox([zone, truth])",
        ],
    )
    env = clean_env()
    env.update(prepare_jupyter_dirs(work))
    port = _free_port()
    log = work / "voila.log"
    cmd = [
        sys.executable,
        "-m",
        "voila",
        "--no-browser",
        "--Voila.ip=127.0.0.1",
        f"--port={port}",
        f"--Voila.root_dir={root}",
        str(root / "portal.ipynb"),
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(
            cmd, cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = Voila(f"http://127.0.0.1:{port}/", process, log)
    try:
        _wait_until_up(server, port)
        yield server
    finally:
        _stop_process_group(process, 20.0)


def believed(page: Page) -> dict[str, object]:
    text = page.locator(".kernel-truth").inner_text()
    value: dict[str, object] = json.loads(text)
    return value


def test_the_upload_area_works_in_voila_and_forged_messages_change_nothing(
    page: Page, voila: Voila, emulator: Emulator, sample_clip: Path
) -> None:
    page.goto(voila.url, timeout=TIMEOUT_MS)
    zone = page.locator(".sv-dropzone")
    expect(zone).to_be_visible(timeout=TIMEOUT_MS)
    expect(page.locator(".kernel-truth")).to_contain_text('"transport": "relay"')
    page_id = zone.evaluate("(root) => root.svPage")

    # Forged state: the page sets traits it never sets; the kernel refuses them.
    zone.evaluate(
        """(root, code) => {
            const model = root.svModel;
            model.set("transport", "direct");
            model.set("rows", [{ id: "f1", phase: "ready", file_code: code }]);
            model.save_changes();
        }""",
        FORGED_CODE,
    )
    expect(zone.locator(".sv-dz-banner")).to_contain_text("the page sets no trait")
    # Messages without this page's secret, or ill-typed: refused, nothing stops.
    send = "(root, content) => root.svModel.send(content)"
    zone.evaluate(send, {"type": "bye", "page": page_id})
    expect(zone.locator(".sv-dz-banner")).to_contain_text("refused a bye message")
    zone.evaluate(send, {"type": ["add"], "page": page_id})
    expect(zone.locator(".sv-dz-banner")).to_contain_text("its type ['add'] is not one")
    zone.evaluate(send, {"type": "hello", "page": page_id})
    expect(zone.locator(".sv-dz-banner")).to_contain_text("that page already said hello")
    assert believed(page) == {"codes": [], "transport": "relay"}

    # A person's upload still goes up whole, relayed, and the kernel believes just that.
    zone.locator("input[type=file]").set_input_files(str(sample_clip))
    one = zone.locator(".sv-dz-row").filter(has_text=sample_clip.name)
    expect(one).to_have_attribute("data-phase", "ready", timeout=TIMEOUT_MS)
    code = one.locator(".sv-dz-code").inner_text()
    client = emulator.client(ACCOUNT)
    assert list(client.iter_files()) == [code]
    expect(page.locator(".kernel-truth")).to_contain_text(code)
    assert believed(page) == {"codes": [code], "transport": "relay"}
    assert FORGED_CODE not in json.dumps(believed(page))
