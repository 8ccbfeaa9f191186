"""A private key never shows: not in notebooks, widget state, logs, reprs or errors.

The account's private key is a marker string. The fast tests drive the client in-process
through every kind of failure and look for the marker (and its hex and base64 spellings) in
``str``/``repr``/tracebacks and in every log record. The slow test executes every notebook in
``notebooks/`` with the marker account in ``SV_*`` variables pointing at a test emulator, and
searches the executed notebook (outputs, errors, saved widget state), the kernel's and the
emulator's output and logs.
"""

from __future__ import annotations

import base64
import io
import json
import logging
import secrets
import socket
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from sv_widgets.client import Client
from sv_widgets.emulator import Emulator
from sv_widgets.errors import SpareVideosError

NOTEBOOKS = sorted((Path(__file__).parents[2] / "notebooks").glob("*.ipynb"))
PUBLIC = "secrets-public"


def spellings(marker: str) -> list[str]:
    """The marker as it could leak: plain, hex, and base64 at each byte alignment."""
    raw = marker.encode()
    out = [marker, raw.hex(), raw.hex().upper()]
    for pad in range(3):
        b64 = base64.b64encode(b"\x00" * pad + raw).decode()
        core = b64[4:-4] if pad else b64[:-4]  # drop the characters the padding touches
        out += [core, core.replace("+", "-").replace("/", "_")]
    return out


def assert_no_marker(text: str, marker: str, where: str) -> None:
    for s in spellings(marker):
        assert s not in text, f"the private key ({s[:12]}...) appears in {where}"


@pytest.fixture
def marker() -> str:
    return "MARKERsk" + secrets.token_hex(12)


@pytest.fixture
def marked(marker: str) -> Iterator[Emulator]:
    with Emulator(accounts={PUBLIC: marker}) as emu:
        yield emu


def _everything(exc: BaseException) -> str:
    parts = [str(exc), repr(exc), "".join(traceback.format_exception(exc))]
    cause: BaseException | None = exc
    for _ in range(10):
        cause = cause.__cause__ or cause.__context__ if cause else None
        if cause is None:
            break
        parts += [str(cause), repr(cause), str(getattr(cause, "args", ""))]
    return "\n".join(parts)


def test_spellings_catch_an_encoded_key() -> None:
    """The control: the search finds the key hidden in base64 inside other text."""
    key = "MARKERsk0123456789abcdef"
    hidden = "token=" + base64.b64encode(b'{"k":"' + key.encode() + b'"}').decode()
    with pytest.raises(AssertionError):
        assert_no_marker(hidden, key, "a token")


def test_client_reprs_errors_and_logs_never_show_the_key(
    marked: Emulator, marker: str, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []
    right = Client(
        PUBLIC, marker, api_url=marked.api_url, thumbnail_url=marked.thumbnail_url, backoff=0.01
    )
    seen += [repr(right), str(right)]
    code = right.upload(io.BytesIO(b"not a video"))
    seen += [code, repr(right.initiate_upload()), repr(right.list_files())]
    failures: list[Callable[[], object]] = [
        lambda: right.file_info(code),  # 100030
        lambda: right.file_info("1-abcdef"),  # 404
        lambda: right.convert("1-abcdef"),
        lambda: right.delete(["1-abcdef"]),
        lambda: right.set_thumbnail(code, "x.jpg"),
    ]
    wrong = Client(PUBLIC, marker + "x", api_url=marked.api_url, thumbnail_url=marked.thumbnail_url)
    failures += [wrong.list_files, lambda: wrong.upload(io.BytesIO(b"x"))]
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        dead = probe.getsockname()[1]
    gone = Client(
        PUBLIC, marker, api_url=f"http://127.0.0.1:{dead}/api/v1", retries=1, backoff=0.01
    )
    failures += [gone.list_files, lambda: gone.upload(io.BytesIO(b"x"))]
    marked.set_faults([{"route": "files_get", "kind": "latency", "latency_ms": 3000}])
    slow = Client(PUBLIC, marker, api_url=marked.api_url, timeout=(2, 0.5))
    failures.append(slow.list_files)
    for call in failures:
        with pytest.raises(SpareVideosError) as info:
            call()
        seen.append(_everything(info.value))
    marked.clear_faults()
    for c in (right, wrong, gone, slow):
        c.close()
    assert_no_marker("\n".join(seen), marker, "client reprs and errors")
    assert_no_marker(caplog.text, marker, "log records")
    assert_no_marker(
        "\n".join(str(r.args) + str(r.__dict__) for r in caplog.records), marker, "log args"
    )


@pytest.mark.slow
@pytest.mark.skipif(not NOTEBOOKS, reason="notebooks/ has no notebooks yet")
@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_notebooks_never_show_the_key(
    notebook: Path,
    marked: Emulator,
    marker: str,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    import os

    import nbformat
    from nbclient import NotebookClient

    caplog.set_level(logging.DEBUG)
    marked.set_faults([{"route": "*", "kind": "latency", "latency_ms": 0}])  # counts requests
    home = tmp_path / "home"
    home.mkdir()
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("SV_") and "PROXY" not in k.upper()
    }
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        JUPYTER_PLATFORM_DIRS="1",
        SV_PUBLIC_KEY=PUBLIC,
        SV_PRIVATE_KEY=marker,
        SV_API_URL=marked.api_url,
        SV_THUMBNAIL_URL=marked.thumbnail_url,
    )
    nb = nbformat.read(notebook, as_version=4)  # type: ignore[no-untyped-call]
    client = NotebookClient(
        nb,
        timeout=240,
        kernel_name="python3",
        allow_errors=True,
        store_widget_state=True,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute(env=env)
    executed = nbformat.writes(nb)  # type: ignore[no-untyped-call]
    assert_no_marker(executed, marker, f"the executed {notebook.name}")
    assert_no_marker(json.dumps(nb.metadata.get("widgets", {})), marker, "saved widget state")
    out, err = capfd.readouterr()
    assert_no_marker(out + err, marker, "the kernel's and emulator's output")
    assert_no_marker(caplog.text, marker, "the emulator's logs")
    # Files the kernel left in its home (e.g. a credentials file) are not the notebook's
    # outputs; only a 0600 credentials file may hold the key.
    for path in home.rglob("*"):
        if path.is_file() and marker.encode() in path.read_bytes():
            assert path.name == "credentials.json", path
            assert path.stat().st_mode & 0o077 == 0, oct(path.stat().st_mode)
    errors = [
        f"cell {i}: {o.get('ename')}: {o.get('evalue')}"
        for i, cell in enumerate(nb.cells)
        for o in cell.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    assert not errors, errors  # a notebook that died early proves nothing about later cells
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    if "%sv_" in code:  # magics resolve credentials from SV_* first
        assert marked.faults.to_json()[0]["fired"] > 0, "the notebook never used the account"
