"""The rules the page's JavaScript shares with Python give the same answers on both sides.

One table of cases per rule, in ``js/test/cases/`` (node's ``js/test/rules.test.js`` reads the
same files): ``wire.is_loopback_host`` against ``isLoopbackHost`` in
``js/src/common/loopback.js``, ``display.format_bytes`` against ``formatBytes`` in
``js/src/common/bytes.js``. Beyond the tables, a sweep of generated inputs runs through the
real JavaScript under node and must come out as Python says.
"""

from __future__ import annotations

import ipaddress
import json
import random
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from sv_widgets.display import format_bytes
from sv_widgets.wire import is_loopback_host

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "js" / "test" / "cases"
COMMON = ROOT / "js" / "src" / "common"


def table(name: str) -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = json.loads((CASES / f"{name}.json").read_text())["cases"]
    return cases


def number(value: float | str) -> float:
    """A case's byte count: a number, or ``"NaN"``/``"Infinity"``, which JSON cannot hold."""
    return float(value)


@pytest.mark.parametrize("case", table("loopback"), ids=lambda c: repr(c["host"]))
def test_loopback_rule_table(case: dict[str, Any]) -> None:
    assert is_loopback_host(case["host"]) is case["loopback"]


@pytest.mark.parametrize("case", table("format_bytes"), ids=lambda c: str(c["bytes"]))
def test_format_bytes_table(case: dict[str, Any]) -> None:
    assert format_bytes(number(case["bytes"])) == case["text"]


def run_js(module: str, function: str, inputs: list[Any]) -> list[Any]:
    """``function`` of ``js/src/common/{module}.js`` applied to each input, under node."""
    script = (
        f"import {{ {function} }} from {json.dumps((COMMON / module).as_uri())};\n"
        "import { readFileSync } from 'node:fs';\n"
        "const inputs = JSON.parse(readFileSync(0, 'utf8'));\n"
        f"process.stdout.write(JSON.stringify(inputs.map((x) => {function}(x))));\n"
    )
    result = subprocess.run(
        ["node", "--input-type=module", "-e", script],
        input=json.dumps(inputs),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    answers: list[Any] = json.loads(result.stdout)
    return answers


needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="needs node")


def byte_counts() -> list[float]:
    """Every count up to a few thousand, each unit's edges and ties, and random ones."""
    counts: list[float] = list(range(3000))
    for exponent in range(3, 20, 3):
        unit = 10**exponent
        for mantissa in (1, 99.95, 100, 100.5, 101.5, 999.5, 999.999):
            for nudge in (-1, 0, 1):
                counts.append(float(mantissa * unit + nudge))
        counts += [k * unit / 20 for k in range(1, 20_000, 7)]  # x.x5 ties and near-ties
    rng = random.Random(1729)  # fixed: the sweep is the same on every run
    counts += [rng.uniform(0, 10 ** rng.randint(1, 20)) for _ in range(3000)]
    return counts


@needs_node
def test_the_page_formats_bytes_as_python_does() -> None:
    counts = byte_counts()
    assert run_js("bytes.js", "formatBytes", counts) == [format_bytes(n) for n in counts]


def hosts() -> list[str]:
    """IPv4 and IPv6 spellings of loopback and not, and names."""
    rng = random.Random(1729)
    found: list[str] = ["localhost", "x.localhost", "localhost.x", "LOCALHOST", "[::1]"]
    for _ in range(2000):
        octets = [rng.choice([0, 1, 127, 128, 255, 256, rng.randint(0, 300)]) for _ in range(4)]
        text = ".".join(rng.choice([str(o), f"0{o}"]) if o < 10 else str(o) for o in octets)
        found.append(text)
    for _ in range(2000):
        value = rng.choice([1, 0, 2, 0x7F000001, 0xFFFF7F000001, rng.getrandbits(128)])
        address = ipaddress.IPv6Address(value)
        spelling = rng.choice([address.compressed, address.exploded])
        if rng.random() < 0.3:  # drop a leading zero, or add a stray one
            spelling = spelling.replace("0000", "0", 1).replace(":0:", ":00000:", rng.randint(0, 1))
        if rng.random() < 0.2:
            spelling = f"[{spelling}]"
        if rng.random() < 0.1:
            spelling = spelling.upper()
        found.append(spelling)
    found += [f"::{v4}" for v4 in ("0.0.0.1", "127.0.0.1", "1.2.3.4", "0.0.0.01")]
    return found


@needs_node
def test_the_page_reads_loopback_hosts_as_python_does() -> None:
    sample = hosts()
    assert run_js("loopback.js", "isLoopbackHost", sample) == [is_loopback_host(h) for h in sample]
