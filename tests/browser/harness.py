"""Drive JupyterLab 4 and Notebook 7 in headless Chromium, for the browser tests.

- :func:`write_notebook` writes an nbformat v4 notebook from a list of code cells.
- The page helpers (:func:`open_notebook`, :func:`kernel_execute`, :func:`run_all`,
  :func:`run_cell`, :func:`start_cell` and :func:`finish_cell`, :func:`restart_kernel`,
  :func:`cell_text`, :func:`cell_output`, :func:`save_notebook`, :func:`wait_for_widget`,
  :func:`wait_for_images`, :func:`wait_for_video_metadata`, :func:`save_screenshot`) drive
  the front end. They ask the application itself (``window.jupyterapp``, exposed with
  ``--expose-app-in-browser``) whether the kernel is idle and which cells have run, and use
  the DOM for everything a person would look at.

The servers they talk to come from :mod:`.server`. Every wait is on a condition with a
bounded timeout; nothing sleeps to synchronise.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import nbformat
from playwright.sync_api import Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from .server import JupyterServer

REPO_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS_DIR = REPO_ROOT / "test-artifacts"
SCREENSHOTS_DIR = ARTIFACTS_DIR / "screenshots"
DOCS_SCREENSHOTS_DIR = REPO_ROOT / "docs" / "screenshots"

# Read once, at import: the suite's autouse fixture clears SV_* variables before each test.
CHROMIUM = Path(os.environ.get("SV_CHROMIUM", "/usr/bin/chromium"))
UPDATE_DOCS_SCREENSHOTS = os.environ.get("SV_UPDATE_SCREENSHOTS") == "1"
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
)

# Generous, because CI is a shared two-core machine; all of them bound a wait on a condition.
NOTEBOOK_OPEN_TIMEOUT_MS = 120_000
EXECUTE_TIMEOUT_MS = 180_000
WIDGET_TIMEOUT_MS = 60_000
POLL_MS = 100


# --------------------------------------------------------------------------------------------
# Notebooks on disk
# --------------------------------------------------------------------------------------------


def write_notebook(root_dir: Path, name: str, cells: Sequence[str]) -> Path:
    """Write an nbformat v4 notebook of code cells ``cells`` as ``root_dir / name``.

    The notebook names the ``python3`` kernel, so opening it starts the kernel without asking.
    """
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3 (ipykernel)",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    nbformat.validate(nb)
    path = root_dir / name
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


# --------------------------------------------------------------------------------------------
# The page
# --------------------------------------------------------------------------------------------

# The page-side halves of these helpers are JavaScript modules in js/harness/ (type-checked,
# linted and formatted with the front end): page_function() turns one of their functions into
# an expression for page.evaluate and wait_for_function.
JS_HARNESS = REPO_ROOT / "js" / "harness"
_EXPORT = re.compile(r"^export (?=(async )?function )", re.M)


def page_function(module: str, name: str) -> str:
    """A function expression that runs ``name`` of ``js/harness/{module}.js`` in the page.

    The module's text goes along whole (its ``export`` words dropped), so the function finds
    the module's other functions; its arguments are the ones Playwright passes.
    """
    source = _EXPORT.sub("", (JS_HARNESS / f"{module}.js").read_text())
    if not re.search(rf"^(async )?function {re.escape(name)}\(", source, re.M):
        raise ValueError(f"js/harness/{module}.js has no function {name}")
    return f"(...args) => {{\n{source}\nreturn {name}(...args);\n}}"


_JS_NOTEBOOK_READY = page_function("notebook", "notebookReady")
# Activates the panel and starts a command; returns without waiting for the command to finish.
_JS_START_COMMAND = page_function("notebook", "startCommand")
_JS_EXECUTION_DONE = page_function("notebook", "executionDone")
_JS_EXECUTION_STATE = page_function("notebook", "executionState")
_JS_CELL_TEXT = page_function("notebook", "cellText")

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


class NotebookExecutionError(AssertionError):
    """A cell raised; the message holds the cell index and the traceback as text."""


def notebook_panel(page: Page) -> Locator:
    """The notebook panel opened by :func:`open_notebook` in ``page``."""
    panel_id = page.evaluate(page_function("notebook", "panelId"))
    if panel_id is None:
        raise RuntimeError("open_notebook() has not been called on this page")
    return page.locator(f'[id="{panel_id}"]')


def open_notebook(
    page: Page, server: JupyterServer, name: str, *, timeout: float = NOTEBOOK_OPEN_TIMEOUT_MS
) -> Locator:
    """Open the notebook ``name`` (relative to the server's root) and wait for an idle kernel.

    Returns the notebook panel; the other helpers act on this notebook. The kernel must be
    this interpreter's ``python3`` (the harness's kernelspec).
    """
    page.goto(server.page_url(name), wait_until="domcontentloaded")
    try:
        handle = page.wait_for_function(
            _JS_NOTEBOOK_READY, arg=name, timeout=timeout, polling=POLL_MS
        )
    except PlaywrightTimeoutError:
        raise AssertionError(
            f"{name} did not open with an idle kernel within {timeout / 1000:.0f}s\n"
            f"--- {server.log_path} ---\n{server.log_tail()}"
        ) from None
    ready = handle.json_value()
    assert ready["kernel"] == "python3", ready
    page.evaluate(page_function("notebook", "rememberPanel"), ready["id"])
    panel = notebook_panel(page)
    expect(panel.locator(".jp-Cell").first).to_be_visible(timeout=timeout)
    return panel


def _execute(page: Page, command: str, cell: int | None, timeout: float) -> None:
    after = page.evaluate(_JS_START_COMMAND, [command, cell])
    result = _finished(page, command, cell, after, timeout)
    if "commandError" in result:
        raise AssertionError(f"{command} failed: {result['commandError']}")
    if "error" in result:
        error = result["error"]
        traceback = _ANSI.sub("", "\n".join(error.get("traceback", [])))
        raise NotebookExecutionError(
            f"cell {result['index']} raised {error['ename']}: {error['evalue']}\n{traceback}"
        )


def _finished(
    page: Page, command: str, cell: int | None, after: int, timeout: float
) -> dict[str, Any]:
    indices = None if cell is None else [cell]
    try:
        handle = page.wait_for_function(
            _JS_EXECUTION_DONE, arg=[after, indices], timeout=timeout, polling=POLL_MS
        )
    except PlaywrightTimeoutError:
        state = page.evaluate(_JS_EXECUTION_STATE)
        raise AssertionError(
            f"{command} did not finish within {timeout / 1000:.0f}s: {state}"
        ) from None
    result: dict[str, Any] = handle.json_value()
    return result


def start_cell(page: Page, index: int) -> int:
    """Start running the code cell at ``index`` and return at once, while it runs.

    Returns what :func:`finish_cell` needs to wait for this run.
    """
    return int(page.evaluate(_JS_START_COMMAND, ["notebook:run-cell", index]))


def finish_cell(
    page: Page, index: int, started: int, *, timeout: float = EXECUTE_TIMEOUT_MS
) -> str | None:
    """Wait until the run of cell ``index`` begun by :func:`start_cell` has ended.

    Returns ``None`` when it ended normally, else the error's name (e.g. an interrupted
    cell's ``"KeyboardInterrupt"``).
    """
    result = _finished(page, "notebook:run-cell", index, started, timeout)
    if "commandError" in result:
        raise AssertionError(f"notebook:run-cell failed: {result['commandError']}")
    return str(result["error"]["ename"]) if "error" in result else None


def run_all(page: Page, *, timeout: float = EXECUTE_TIMEOUT_MS) -> None:
    """Run all cells (``notebook:run-all-cells``); wait until each has run and the kernel is idle.

    Raises :class:`NotebookExecutionError` with the traceback as soon as a cell raises.
    """
    _execute(page, "notebook:run-all-cells", None, timeout)


_JS_SAVE = page_function("notebook", "save")


def save_notebook(page: Page, *, timeout: float = WIDGET_TIMEOUT_MS) -> None:
    """Save the open notebook (``docmanager:save``) and wait until it is written."""
    outcome = page.evaluate(_JS_SAVE, timeout)
    assert outcome == "saved", f"the notebook was not saved: {outcome}"


def run_cell(page: Page, index: int, *, timeout: float = EXECUTE_TIMEOUT_MS) -> str:
    """Run the code cell at ``index`` (0-based, counting all cells); return :func:`cell_text`."""
    _execute(page, "notebook:run-cell", index, timeout)
    return cell_text(page, index)


def cell_text(page: Page, index: int) -> str:
    """The text the kernel sent as the output of cell ``index``: streams, ``text/plain``, errors.

    Read from the notebook model, so it does not depend on how (or whether yet) the output
    was drawn; use :func:`cell_output` for what a person sees.
    """
    text: str = page.evaluate(_JS_CELL_TEXT, index)
    return text


def run_cell_until(
    page: Page,
    index: int,
    expected: str,
    *,
    timeout: float = WIDGET_TIMEOUT_MS,
) -> str:
    """Run the cell at ``index`` until its output text, stripped, equals ``expected``.

    For reading back a value that the browser has just sent to the kernel: widget messages and
    the execute request travel separately, so one run may still see the old value. Each try
    waits for the run to finish; the loop is bounded by ``timeout`` (ms).
    """
    deadline = time.monotonic() + timeout / 1000
    while True:
        text = run_cell(page, index).strip()
        if text == expected or time.monotonic() > deadline:
            break
    assert text == expected, f"cell {index} printed {text!r}, expected {expected!r}"
    return text


_JS_KERNEL_EXECUTE = page_function("notebook", "kernelExecute")


def kernel_execute(page: Page, code: str, *, timeout: float = EXECUTE_TIMEOUT_MS) -> None:
    """Run ``code`` in the open notebook's kernel without a cell: nothing shows, nothing is counted.

    For set-up a reader of the notebook (or of its screenshot) should not see, such as the
    environment variables that point the kernel at a test's emulator. Raises
    :class:`NotebookExecutionError` if the code raises.
    """
    result = page.evaluate(_JS_KERNEL_EXECUTE, [code, timeout])
    if result["status"] == "timeout":
        raise AssertionError(f"the kernel did not finish within {timeout / 1000:.0f}s: {code!r}")
    if result["status"] != "ok":
        traceback = _ANSI.sub("", "\n".join(result.get("traceback") or []))
        raise NotebookExecutionError(
            f"set-up code raised {result['ename']}: {result['evalue']}\n{traceback}"
        )


_JS_RESTART = page_function("notebook", "restart")


def restart_kernel(page: Page, *, timeout: float = NOTEBOOK_OPEN_TIMEOUT_MS) -> None:
    """Restart the open notebook's kernel as the Kernel menu does (after its confirmation),
    and wait until the new kernel is idle."""
    page.evaluate(_JS_RESTART)
    page.wait_for_function(
        page_function("notebook", "kernelReady"), timeout=timeout, polling=POLL_MS
    )


def cell(page: Page, index: int) -> Locator:
    """The cell at ``index`` (0-based, all cell types) of the open notebook."""
    return notebook_panel(page).locator(".jp-Notebook .jp-Cell").nth(index)


def cell_output(page: Page, index: int) -> Locator:
    """The output area of the cell at ``index``."""
    return cell(page, index).locator(".jp-OutputArea").first


def wait_for_widget(
    page: Page,
    selector: str,
    *,
    cell_index: int | None = None,
    timeout: float = WIDGET_TIMEOUT_MS,
) -> Locator:
    """Wait until ``selector`` is visible in the notebook (or in one cell's output); return it."""
    scope = notebook_panel(page) if cell_index is None else cell_output(page, cell_index)
    locator = scope.locator(selector).first
    expect(locator).to_be_visible(timeout=timeout)
    return locator


def collapse_left_area(page: Page, *, timeout: float = WIDGET_TIMEOUT_MS) -> None:
    """Close JupyterLab's left side panel (file browser), for a tidier full-page screenshot."""
    page.evaluate(page_function("notebook", "collapseLeft"))
    page.wait_for_function(
        page_function("notebook", "leftCollapsed"), timeout=timeout, polling=POLL_MS
    )


def save_screenshot(target: Page | Locator, name: str, *, docs: bool | None = None) -> Path:
    """Save a PNG of ``target`` as ``test-artifacts/screenshots/{name}.png``; return its path.

    Also copied to ``docs/screenshots/{name}.png`` (which the README shows) when ``docs`` is
    true or, by default, when the environment has ``SV_UPDATE_SCREENSHOTS=1``.
    """
    SCREENSHOTS_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS_DIR / f"{name}.png"
    target_page = target if isinstance(target, Page) else target.page
    target_page.mouse.move(0, 0)  # no hover effect where the last click happened to leave it
    target.screenshot(path=str(path), animations="disabled", caret="hide")
    if docs is None:
        docs = UPDATE_DOCS_SCREENSHOTS
    if docs:
        DOCS_SCREENSHOTS_DIR.mkdir(parents=True, exist_ok=True)
        # Through a temporary name, so a reader of docs/ never sees half a file.
        tmp = DOCS_SCREENSHOTS_DIR / f"{name}.png.tmp"
        shutil.copyfile(path, tmp)
        tmp.replace(DOCS_SCREENSHOTS_DIR / f"{name}.png")
    return path


_JS_IMAGES_STATE = page_function("media", "imagesState")


def wait_for_images(
    scope: Locator,
    selector: str = "img",
    *,
    count: int | None = None,
    timeout: float = WIDGET_TIMEOUT_MS,
) -> int:
    """Wait until the images under ``scope`` have loaded (complete, ``naturalWidth > 0``).

    ``count`` is how many there must be (``None``: at least one). Returns how many there are.
    A timeout raises with each image's state, so a broken image is named.
    """
    page = scope.page
    root = scope.element_handle(timeout=timeout)
    try:
        page.wait_for_function(
            page_function("media", "imagesLoaded"),
            arg=[root, selector, count],
            timeout=timeout,
            polling=POLL_MS,
        )
    except PlaywrightTimeoutError:
        state = page.evaluate(_JS_IMAGES_STATE, [root, selector])
        raise AssertionError(
            f"expected {count if count is not None else 'some'} loaded images "
            f"matching {selector!r} within {timeout / 1000:.0f}s; found {state}"
        ) from None
    n: int = page.evaluate(page_function("media", "countOf"), [root, selector])
    return n


def wait_for_video_metadata(
    video: Locator, *, timeout: float = WIDGET_TIMEOUT_MS
) -> dict[str, Any]:
    """Wait until the ``<video>`` has its metadata (``readyState >= 1``, finite ``duration > 0``).

    Returns ``readyState``, ``duration``, ``videoWidth``, ``videoHeight`` and ``src``; a timeout
    raises with the element's network state and media error code.
    """
    page = video.page
    element = video.element_handle(timeout=timeout)
    try:
        page.wait_for_function(
            page_function("media", "videoHasMetadata"),
            arg=element,
            timeout=timeout,
            polling=POLL_MS,
        )
    except PlaywrightTimeoutError:
        state = element.evaluate(page_function("media", "videoLoadState"))
        raise AssertionError(f"the video did not load its metadata: {state}") from None
    info: dict[str, Any] = element.evaluate(page_function("media", "videoFacts"))
    return info
