"""Design measurement: how should a page send a file to the upload server?

The upload area's direct transport has the page POST the chosen file to the ticket URL. This
script compares the ways a page can do that, each against ``curl -F file=@...`` to a fresh
ticket URL of the same emulator, interleaved, on a plain page (no JupyterLab), 1 GiB:

* ``XMLHttpRequest`` with ``FormData`` and an upload progress listener (what the area does);
* ``fetch`` with the same ``FormData`` (no upload progress in browsers today);
* ``XMLHttpRequest`` with a hand-built multipart ``Blob`` (preamble, file, epilogue).

It is not part of ``run.py``: it informed a choice, and its figures are in ``results.md``
under "Design measurements".

Usage::

    python benchmarks/design_page_upload.py [--mib N] [--trials N]
"""

from __future__ import annotations

import argparse
import functools
import http.server
import statistics
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from urllib.parse import quote

from _common import MIB, fast_tmp

from sv_widgets.emulator import Emulator

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))


_TIMED = """async ([url, how]) => {
  const file = document.getElementById("f").files[0];
  const start = performance.now();
  const form = () => { const f = new FormData(); f.append("file", file, file.name); return f; };
  if (how === "fetch_form") {
    const r = await fetch(url, { method: "POST", body: form() });
    await r.text();
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    return (performance.now() - start) / 1000;
  }
  await new Promise((resolve, reject) => {
    const x = new XMLHttpRequest();
    x.open("POST", url);
    x.upload.addEventListener("progress", () => {});
    x.onload = () => (x.status === 200 ? resolve() : reject(new Error(x.responseText)));
    x.onerror = () => reject(new Error("network"));
    if (how === "xhr_form") { x.send(form()); return; }
    const b = "----sv" + Math.random().toString(16).slice(2);
    x.setRequestHeader("Content-Type", `multipart/form-data; boundary=${b}`);
    x.send(new Blob([
      `--${b}\\r\\nContent-Disposition: form-data; name="file"; filename="${file.name}"\\r\\n`
        + "Content-Type: application/octet-stream\\r\\n\\r\\n",
      file,
      `\\r\\n--${b}--\\r\\n`,
    ]));
  });
  return (performance.now() - start) / 1000;
}"""

WAYS = ("xhr_form", "fetch_form", "xhr_blob")


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


def main(argv: list[str] | None = None) -> int:
    """Run the comparison and print each way's median time and its ratio to curl's."""
    from playwright.sync_api import sync_playwright

    from tests.browser.harness import CHROMIUM, CHROMIUM_ARGS  # the browser tests' launch

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--mib", type=int, default=1024, help="file size in MiB (default 1024)")
    p.add_argument("--trials", type=int, default=3, help="timed trials after one warm-up")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory(dir=fast_tmp()) as tmp:
        root = Path(tmp)
        source = root / "upload.bin"
        with source.open("wb") as f:
            f.truncate(args.mib * MIB)
        (root / "index.html").write_text('<input type="file" id="f">')
        handler = functools.partial(_QuietHandler, directory=str(root))
        site = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=site.serve_forever, daemon=True).start()
        with Emulator(accounts={"design": "design-secret"}, data_dir=root / "data") as emu:
            client = emu.client("design")

            def ticket_url() -> str:
                t = client.initiate_upload()
                return f"{t.server}?ref={quote(t.ref, safe='')}&token={quote(t.token, safe='')}"

            with sync_playwright() as pw:
                browser = pw.chromium.launch(
                    executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS)
                )
                page = browser.new_page()
                page.goto(f"http://127.0.0.1:{site.server_address[1]}/index.html")
                page.locator("#f").set_input_files(str(source))
                times: dict[str, list[float]] = {name: [] for name in (*WAYS, "curl")}
                for trial in range(args.trials + 1):
                    for name in times:
                        if name == "curl":
                            out = subprocess.run(
                                [
                                    "curl",
                                    "-s",
                                    "-o",
                                    "/dev/null",
                                    "-w",
                                    "%{time_total}",
                                    "-F",
                                    f"file=@{source}",
                                    ticket_url(),
                                ],
                                capture_output=True,
                                text=True,
                                check=True,
                            ).stdout
                            seconds = float(out)
                        else:
                            seconds = float(page.evaluate(_TIMED, [ticket_url(), name]))
                        if trial:  # the first round warms up browser and server
                            times[name].append(seconds)
                        stored = list(client.iter_files())
                        if stored:
                            client.delete(stored)
                browser.close()
        site.shutdown()
    curl = statistics.median(times["curl"])
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:11} {median:7.3f} s  {median / curl:.2f}x curl  {values}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
