"""The benchmark suite runs end to end at reduced size and prints every row.

No timing is asserted: machines running the tests are shared and noisy; the figures are for
``python benchmarks/run.py`` at full size, reported in ``benchmarks/results.md``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

RUN = Path(__file__).resolve().parents[2] / "benchmarks" / "run.py"

# One row name prefix per benchmark (the upload benchmark prints several rows).
EXPECTED_ROWS = (
    "upload 16 MiB: time vs curl",
    "upload 16 MiB: CPU vs curl (info)",
    "upload 16 MiB: progress cost",
    "upload 4 MiB: client peak RSS",
    "upload 16 MiB: client peak RSS",
    "upload peak RSS flat",
    "gallery: 15 thumbnails",
    "listing: 2,500 codes (25 pages)",
    "file browser: 6 rows with thumbnails",
    "bulk upload: %%sv_upload of 6 files",
    "extension load: %load_ext sv_widgets",
    "emulator ingest: curl 64 MiB",
    "pytest fixture: upload, list, delete, per test",
    "pytest fixture: upload, convert (fast), info, per test",
    "upload area relay: chunking sweep",
    "upload area relay 16 MiB: rate vs bare transport",
    "upload area direct 16 MiB: its POST vs the page's own XHR",
    "upload area relay 16 MiB: kernel peak over idle",
    "upload area direct 16 MiB: kernel peak over idle",
    "upload area: page JS heap",
    "cancel, upload server holding the request: Client.upload",
    "cancel, upload server holding the request: UploadProgress",
    "cancel, upload server holding the request: %sv_upload",
    "cancel, upload server holding the request: upload area (relay)",
)


@pytest.mark.slow
@pytest.mark.timeout(960)  # the run's own limit (900 s below), not the suite's 300 s
@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is the upload reference")
def test_smoke_run_prints_every_row(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SV_")}
    out = subprocess.run(
        [sys.executable, str(RUN), "--smoke", "--markdown", str(tmp_path / "results.md")],
        capture_output=True,
        text=True,
        timeout=900,
        env=env,
    )
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-4000:]
    assert "\nbenchmark " in out.stdout, out.stdout[-4000:]
    table = out.stdout[out.stdout.rindex("\nbenchmark ") :]  # the final table, not the log
    for name in EXPECTED_ROWS:
        assert name in table, f"no row {name!r} in:\n{out.stdout[-4000:]}"
    assert "conversion" in table
    assert "ERROR" not in table
    written = (tmp_path / "results.md").read_text()
    assert written.startswith("# Benchmark results")
    assert "| benchmark | subject | reference | ratio | target | met? |" in written
    assert all(name.replace("|", "\\|") in written for name in EXPECTED_ROWS)
