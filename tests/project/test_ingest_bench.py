"""The ingest benchmark runs end to end (curl -> emulator subprocess) with flat memory."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_ingest.py"


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("curl") is None, reason="needs the curl command")
def test_ingest_smoke_keeps_memory_flat() -> None:
    spec = importlib.util.spec_from_file_location("bench_ingest", BENCH)
    assert spec is not None
    assert spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    sys.modules["bench_ingest"] = bench
    spec.loader.exec_module(bench)
    result = bench.run(256 * 1024 * 1024)
    assert result["size_bytes"] == 256 * 1024 * 1024
    # Memory must not grow with the upload: far below the 256 MiB uploaded.
    assert result["peak_rss_mb"] < 120, result  # (its speed is a benchmark row, not a test)
