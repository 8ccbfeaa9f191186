"""Every shipped notebook, as a newcomer runs it: Run All in JupyterLab, then an HTML export.

For each notebook in ``notebooks/`` (in demo mode: no credentials, the built-in emulator):

1. Run All in JupyterLab. No cell raises, and afterwards no output shows an error, checked in
   the page: no traceback or stderr output, no widget that failed to draw, no broken image,
   no player in error (each one plays: its time advances), no gallery in error, no failed
   upload, except the one failure a notebook sets out to show (04's unreachable URL).
2. Save it (as a person does: without widget state) and export it with
   ``jupyter nbconvert --to html``. Without JavaScript (scripts dropped), the export shows,
   for every file the notebook left on the service, an inlined thumbnail and every one of
   its stream links; and neither the export nor the saved notebook holds a private key or a
   signed token of any client or emulator the kernel had.
"""

from __future__ import annotations

import html
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest
from playwright.sync_api import Page

from .harness import (
    REPO_ROOT,
    kernel_execute,
    open_notebook,
    run_all,
    save_notebook,
    save_screenshot,
)
from .server import JupyterServer, clean_env

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NOTEBOOKS = sorted((REPO_ROOT / "notebooks").glob("*.ipynb"))
RUN_ALL_TIMEOUT_MS = 600_000
SETTLE_TIMEOUT_MS = 120_000
# Failures a notebook shows on purpose, announced in its text: (what, pattern).
DELIBERATE = {
    "04-managing-files.ipynb": [r"^upload failed: .*not-there\.mp4"],
}
# a signed token: base64 "." hex HMAC (the look-behind keeps long base64 images linear)
TOKEN = re.compile(r"(?<![A-Za-z0-9+/_=-])[A-Za-z0-9+/_=-]{16,}\.[0-9a-f]{64}")

# In the kernel, after the run: every running emulator's files (with their stream URLs) and
# every private key the kernel holds (emulator accounts, clients), written to a JSON file.
FACTS = """
import gc as _gc, json as _json
from sv_widgets.client import Client as _Client
from sv_widgets.emulator import Emulator as _Emulator, EmulatorProcess as _EmulatorProcess

def _serving(obj):  # an emulator in this kernel, or one it started as a child (demo mode's)
    if isinstance(obj, _Emulator):
        return obj._thread is not None
    return isinstance(obj, _EmulatorProcess) and obj.running

def _sv_facts(path):
    files, keys = {}, set()
    for obj in _gc.get_objects():
        if isinstance(obj, _Client):
            keys.add(obj._private_key)
        if not _serving(obj):
            continue
        for public, private in obj.accounts.items():
            keys.add(private)
            with obj.client(public) as client:
                for code in client.iter_files():
                    try:
                        s = client.file_info(code).streams
                    except Exception:
                        continue  # not converted: nothing to show
                    urls = [u for u in (s.hls, s.mpd) if u] + [r.file for r in (*s.mp4, *s.webm)]
                    files[code] = urls
    with open(path, "w") as out:
        _json.dump({"files": files, "keys": sorted(keys)}, out)
"""

_JS_PROBLEMS = """(panelId) => {
  const panel = document.getElementById(panelId);
  const problems = [];
  const text = (el) => (el.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 300);
  for (const out of panel.querySelectorAll('.jp-OutputArea-output')) {
    const mime = out.dataset.mimeType || '';
    if (mime.includes('stderr')) problems.push(`stderr: ${text(out)}`);
    if (mime.includes('error')) problems.push(`traceback: ${text(out)}`);
    if (/Error displaying widget|Loading widget\\.\\.\\./.test(out.textContent)) {
      problems.push(`widget not drawn: ${text(out)}`);
    }
  }
  for (const p of panel.querySelectorAll('.sv-player')) {
    if (p.dataset.state === 'error' || p.dataset.status === 'error') {
      problems.push(`player: ${text(p.querySelector('.sv-player-note'))}`);
    }
  }
  for (const g of panel.querySelectorAll('.sv-gallery-status[data-status="error"]')) {
    problems.push(`gallery: ${text(g)}`);
  }
  for (const u of panel.querySelectorAll('.sv-upload-progress')) {
    if (u.querySelector('.sv-progress[data-style="danger"]')) {
      problems.push(`upload failed: ${text(u)}`);
    }
  }
  for (const img of panel.querySelectorAll('.jp-OutputArea-output img')) {
    if (img.offsetParent === null || !img.getAttribute('src')) continue;  // hidden or empty
    if (!img.complete || img.naturalWidth === 0) {
      problems.push(`broken image: ${img.src.slice(0, 60)}`);
    }
  }
  for (const v of panel.querySelectorAll('video')) {
    if (v.error) problems.push(`video error ${v.error.code}: ${v.currentSrc.slice(0, 80)}`);
  }
  return problems;
}"""

# Settled: every player has played or failed, every visible image has loaded or failed.
_JS_SETTLED = """(panelId) => {
  const panel = document.getElementById(panelId);
  const players = [...panel.querySelectorAll('.sv-player')];
  const playersDone = players.every(p => ['playing', 'error'].includes(p.dataset.state));
  const images = [...panel.querySelectorAll('.jp-OutputArea-output img')]
    .filter(i => i.offsetParent !== null && i.getAttribute('src'));
  return playersDone && images.every(i => i.complete) && !panel.querySelector('.jp-mod-busy');
}"""


def visible_html(path: Path) -> str:
    """What an HTML export shows without JavaScript: scripts and styles dropped."""
    text = path.read_text()
    text = re.sub(r"<script\b.*?</script>", "", text, flags=re.S | re.I)
    return re.sub(r"<style\b.*?</style>", "", text, flags=re.S | re.I)


def export_html(notebook: Path, out_dir: Path) -> Path:
    jupyter = Path(sys.executable).with_name("jupyter")
    command = [
        str(jupyter),
        "nbconvert",
        "--to",
        "html",
        str(notebook),
        "--output-dir",
        str(out_dir),
    ]
    subprocess.run(command, check=True, capture_output=True, env=clean_env(), timeout=300)
    return out_dir / f"{notebook.stem}.html"


def play_every_player(page: Page, panel_id: str) -> int:
    """Play each player (muted) until its time advances or it fails; return how many."""
    players = page.locator(f'[id="{panel_id}"] .sv-player')
    for index in range(players.count()):
        player = players.nth(index)
        player.scroll_into_view_if_needed()
        # (Re)start playback whenever the player is ready and paused: a load it starts
        # itself (a fallback, a pinned rendition) interrupts an earlier play().
        page.wait_for_function(
            """p => {
              const v = p.querySelector('video');
              if (p.dataset.state === 'error' || v.error || v.ended || v.currentTime > 0.3) {
                return true;
              }
              if (v.paused && p.dataset.state === 'playing') {
                v.muted = true;
                v.play().catch(() => {});
              }
              return false;
            }""",
            arg=player.element_handle(),
            timeout=SETTLE_TIMEOUT_MS,
            polling=200,
        )
    return players.count()


def output_blocks(text: str) -> list[str]:
    """The export's outputs, one string each (a card, a widget's HTML, a print)."""
    return re.split(r'<div class="jp-OutputArea-child', text)[1:]


def check_static_export(exported: str, facts: dict[str, Any], name: str) -> None:
    for code, urls in facts["files"].items():
        for url in urls:
            assert f'href="{html.escape(url)}"' in exported, f"{name}: no link to {url}"
        shown = [b for b in output_blocks(exported) if code in b and "data:image/jpeg;base64," in b]
        assert shown, f"{name}: no output shows {code} with its thumbnail inlined"
    for key in facts["keys"]:
        assert key not in exported, f"{name}: a private key is in the export"
    assert not TOKEN.search(exported), f"{name}: a signed token is in the export"


@pytest.mark.timeout(900)
@pytest.mark.parametrize("source", NOTEBOOKS, ids=lambda p: p.name)
def test_run_all_shows_no_error_and_the_export_stands_alone(
    page: Page, jupyter_lab: JupyterServer, source: Path, tmp_path: Path
) -> None:
    name = source.name
    target = jupyter_lab.root_dir / name
    notebook = nbformat.read(source, as_version=4)
    for cell in notebook.cells:  # as shipped, but without nbval's reference counts
        if cell.cell_type == "code":
            cell.execution_count = None
            cell.outputs = []
    nbformat.write(notebook, target)
    open_notebook(page, jupyter_lab, name)
    run_all(page, timeout=RUN_ALL_TIMEOUT_MS)
    panel_id = page.evaluate("() => window.__svPanelId")
    players = play_every_player(page, panel_id)
    page.wait_for_function(_JS_SETTLED, arg=panel_id, timeout=SETTLE_TIMEOUT_MS, polling=200)
    problems: list[str] = page.evaluate(_JS_PROBLEMS, panel_id)
    deliberate = DELIBERATE.get(name, [])
    unexpected = [p for p in problems if not any(re.search(d, p) for d in deliberate)]
    assert not unexpected, f"{name} after Run All: {unexpected}"
    for pattern in deliberate:  # the failure the notebook means to show is there
        assert any(re.search(pattern, p) for p in problems), (name, pattern, problems)
    if name == "01-quickstart.ipynb":
        assert players == 2
        save_screenshot(page, "run-all-01-quickstart", docs=False)

    facts_path = tmp_path / "facts.json"
    kernel_execute(page, FACTS + f"\n_sv_facts({str(facts_path)!r})")
    facts = json.loads(facts_path.read_text())
    # 05 types made-up keys into its cells to show that they never leak: those are the
    # notebook's own text. Every other key (the demo's, each emulator's) must not appear.
    sources = "\n".join(c.source for c in notebook.cells)
    facts["keys"] = [key for key in facts["keys"] if key not in sources]
    save_notebook(page)
    saved = target.read_text()
    exported = visible_html(export_html(target, tmp_path))
    check_static_export(exported, facts, name)
    for key in facts["keys"]:
        assert key not in saved, f"{name}: a private key is in the saved notebook"
    assert not TOKEN.search(saved), f"{name}: a signed token is in the saved notebook"
    if name != "05-real-account.ipynb":  # it makes no file (and so needs no emulator)
        assert facts["files"], f"{name} left no file to look for"
        assert facts["keys"], f"{name}: the kernel held no key to look for"
