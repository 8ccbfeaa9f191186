"""Upload ingest benchmark: curl posts a large file to a running emulator.

Starts ``python -m sv_widgets.emulator`` in a subprocess on a free port with a temp data
dir, uploads a file of ``size`` bytes with ``curl -F file=@...`` (the way a PHP client or a
shell script would), and reports the throughput and the emulator's peak resident memory
(``VmHWM``). The target is 150 MB/s or more for 1 GiB with a peak under 200 MB.

Usage::

    python benchmarks/bench_ingest.py            # 1 GiB
    python benchmarks/bench_ingest.py --smoke    # 64 MiB, for CI
    python benchmarks/bench_ingest.py --size 4G
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests

from sv_widgets import signing

PUBLIC, PRIVATE = "bench", "bench-secret"
_MB = 1_000_000


def _peak_rss(pid: int) -> int:
    text = Path(f"/proc/{pid}/status").read_text()
    match = re.search(r"VmHWM:\s+(\d+) kB", text)
    return int(match.group(1)) * 1024 if match else -1


def _start(data_dir: Path) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sv_widgets.emulator",
            "--port",
            "0",
            "--data-dir",
            str(data_dir),
            "--account",
            f"{PUBLIC}:{PRIVATE}",
            "--log-level",
            "warning",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + 60
    for line in proc.stdout:
        match = re.search(r"api:\s+(\S+)", line)
        if match:
            return proc, match.group(1)
        if time.monotonic() > deadline:
            break
    proc.kill()
    raise RuntimeError("the emulator did not start")


def run(size_bytes: int) -> dict[str, Any]:
    """Upload ``size_bytes`` with curl; return throughput and memory figures."""
    with tempfile.TemporaryDirectory(prefix="sv-bench-") as tmp:
        source = Path(tmp) / "upload.bin"
        with open(source, "wb") as f:
            block = os.urandom(4 * 1024 * 1024)
            for _ in range(size_bytes // len(block)):
                f.write(block)
            f.write(block[: size_bytes % len(block)])
        proc, api = _start(Path(tmp) / "data")
        try:
            rss_idle = _peak_rss(proc.pid)
            token = signing.sign(
                {
                    "algo": "sha256",
                    "public_key": PUBLIC,
                    "method": "upload",
                    "action": "initiate",
                    "expires": int(time.time()) + 3600,
                },
                PRIVATE,
            )
            ticket = requests.get(
                f"{api}/upload/initiate", params={"token": token}, timeout=30
            ).json()
            url = f"{ticket['server']}?ref={ticket['ref']}&token={quote(ticket['token'], safe='')}"
            start = time.perf_counter()
            out = subprocess.run(
                ["curl", "-sS", "-F", f"file=@{source}", url],
                capture_output=True,
                text=True,
                check=True,
            )
            seconds = time.perf_counter() - start
            body = json.loads(out.stdout)
            if body.get("status") != "success":
                raise RuntimeError(f"upload failed: {body}")
            peak = _peak_rss(proc.pid)
        finally:
            proc.terminate()
            proc.wait(30)
            if proc.stdout is not None:
                proc.stdout.close()
    return {
        "size_bytes": size_bytes,
        "seconds": round(seconds, 3),
        "mb_per_s": round(size_bytes / _MB / seconds, 1),
        "peak_rss_mb": round(peak / _MB, 1),
        "idle_rss_mb": round(rss_idle / _MB, 1),
    }


def main() -> None:
    """Command-line entry point."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--smoke", action="store_true", help="64 MiB instead of 1 GiB")
    p.add_argument("--size", help="size like 1G, 512M (default 1G)")
    args = p.parse_args()
    units = {"G": 1024**3, "M": 1024**2, "K": 1024}
    size = 64 * 1024**2 if args.smoke else 1024**3
    if args.size:
        size = int(float(args.size[:-1]) * units[args.size[-1].upper()])
    result = run(size)
    print(json.dumps(result))
    print(
        f"{result['size_bytes'] / 1024**2:.0f} MiB in {result['seconds']} s: "
        f"{result['mb_per_s']} MB/s, emulator peak RSS {result['peak_rss_mb']} MB"
    )


if __name__ == "__main__":
    main()
