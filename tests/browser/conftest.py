"""Fixtures for the browser tests: Jupyter servers, headless Chromium, and a page per test.

- ``jupyter_lab`` / ``jupyter_notebook``: one JupyterLab 4 / Notebook 7 server per session
  (:class:`server.JupyterServer`: ``url``, ``token``, ``root_dir``, ``base_url``).
- ``jupyter``: either of them; tests that use it run once per application.
- ``browser`` (session) and ``page`` (per test, in a fresh context). When a test fails its
  page is saved to ``test-artifacts/screenshots/failures/`` and the browser console to
  ``test-artifacts/browser-logs/``.

Without ``/usr/bin/chromium`` (or ``$SV_CHROMIUM``) the tests skip, except under ``CI=true``
where a missing browser is a failure: CI must not pass by testing nothing.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Generator, Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, expect, sync_playwright

from .harness import ARTIFACTS_DIR, CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS_DIR
from .server import App, JupyterServer, start_jupyter

_REPORTS = pytest.StashKey[dict[str, pytest.TestReport]]()
_SERVERS: dict[str, JupyterServer] = {}


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require_chromium() -> None:
    """Skip the test when Chromium is missing, or fail it on CI."""
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} not found (apt-get install chromium, or set SV_CHROMIUM)"
    if _in_ci():
        pytest.fail(f"CI=true and {message}", pytrace=False)
    pytest.skip(message)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    item.stash.setdefault(_REPORTS, {})[report.when] = report
    return report


def _start(app: App, tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServer]:
    require_chromium()
    server = start_jupyter(app, tmp_path_factory.mktemp(f"jupyter-{app}"))
    _SERVERS[app] = server
    try:
        yield server
    finally:
        _SERVERS.pop(app, None)
        server.stop()


@pytest.fixture(scope="package")
def jupyter_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServer]:
    """JupyterLab 4, running while the browser tests run."""
    yield from _start("lab", tmp_path_factory)


@pytest.fixture(scope="package")
def jupyter_notebook(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterServer]:
    """Notebook 7, running while the browser tests run."""
    yield from _start("notebook", tmp_path_factory)


@pytest.fixture(params=["lab", "notebook"])
def jupyter(request: pytest.FixtureRequest) -> JupyterServer:
    """JupyterLab, then Notebook 7: a test using this fixture runs in both."""
    server: JupyterServer = request.getfixturevalue(f"jupyter_{request.param}")
    return server


@pytest.fixture(autouse=True)
def _close_kernels() -> Iterator[None]:
    """After each test, shut its kernels down: the next test starts from a quiet machine."""
    yield
    for server in list(_SERVERS.values()):
        server.shutdown_sessions()


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    # Package scope, not session: the sync API keeps an event loop running on the main
    # thread, which would break every later test that calls asyncio.run().
    require_chromium()
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    """Debian's Chromium, headless; Playwright never downloads a browser here."""
    browser = playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=list(CHROMIUM_ARGS)
    )
    expect.set_options(timeout=30_000)
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(
        viewport={"width": 1280, "height": 900},
        device_scale_factor=1,
        color_scheme="light",
        reduced_motion="reduce",
    )
    context.set_default_timeout(30_000)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def page(context: BrowserContext, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh page; on failure its screenshot and console log are saved under test-artifacts/."""
    page = context.new_page()
    console: list[str] = []
    page.on("console", lambda msg: console.append(f"[{msg.type}] {msg.text}"))
    page.on("pageerror", lambda error: console.append(f"[pageerror] {error}"))
    yield page
    reports = request.node.stash.get(_REPORTS, {})
    if any(r.failed for r in reports.values()):
        _save_failure(page, request.node.nodeid, console)


def _save_failure(page: Page, nodeid: str, console: list[str]) -> None:
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid).strip("_")
    shot = SCREENSHOTS_DIR / "failures" / f"{slug}.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    log = ARTIFACTS_DIR / "browser-logs" / f"{slug}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    servers = "".join(
        f"\n--- {server.app} server log (tail), {server.log_path} ---\n{server.log_tail(200)}\n"
        for server in _SERVERS.values()
    )
    log.write_text("--- browser console ---\n" + "\n".join(console) + "\n" + servers)
    try:
        page.screenshot(path=str(shot), full_page=True, timeout=15_000)
    except Exception as e:  # a crashed page cannot be photographed; the log still helps
        print(f"could not save a screenshot: {e}", file=sys.stderr)
    else:
        print(f"failure screenshot: {shot.relative_to(ARTIFACTS_DIR.parent)}", file=sys.stderr)
    print(f"browser console, server logs: {log.relative_to(ARTIFACTS_DIR.parent)}", file=sys.stderr)
