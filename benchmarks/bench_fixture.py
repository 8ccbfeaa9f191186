"""Benchmark: a user's pytest suite on ``sv_emulator_isolated`` (one emulator, reset before
each test) against the same suite on ``sv_emulator`` (a fresh emulator per test).

Usage::

    python benchmarks/bench_fixture.py [--repeats 3] [--smoke]

The same generated test module (N identical tests, each as a user writes one) runs under
pytest in a fresh child process with each fixture, interleaved. Each test's time comes from
pytest's own JUnit report (setup + call + teardown); the figure is the median test of a run,
so the one test that also starts the session's emulator does not stand for the others (the
mean, which spreads that start over the N tests, is in the note). Two suites: one whose
tests upload, list and delete; one whose tests also convert (``conversions="fast"`` on both
sides, so the fresh side also makes its canned media once per emulator).

Target: the isolated fixture at least 10x faster per test.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Callable
from pathlib import Path
from xml.etree import ElementTree

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import Row, fmt_seconds, fmt_spread, interleave, standalone

TARGET = 10.0
SUITES = {
    "upload, list, delete": """
        def test_user(FIXTURE, n):
            client = FIXTURE.client()
            code = client.upload(io.BytesIO(b"a small file"))
            assert client.list_files().codes == (code,)
            client.delete([code])
    """,
    "upload, convert (fast), info": """
        def test_user(FIXTURE, n):
            client = FIXTURE.client()
            code = client.upload(io.BytesIO(b"a small file"))
            client.convert(code)
            info = client.wait_for_conversion(code, timeout=120, poll=0.02)
            assert info.playtime > 0
    """,
}
HEADER = """
import io
import pytest

pytestmark = pytest.mark.sv_emulator(conversions="fast")

@pytest.fixture(params=range(COUNT))
def n(request):
    return request.param
"""


def _write_suite(directory: Path, body: str, fixture: str, count: int) -> Path:
    path = directory / f"test_{fixture}.py"
    source = textwrap.dedent(HEADER).replace("COUNT", str(count))
    path.write_text(source + textwrap.dedent(body).replace("FIXTURE", fixture))
    return path


def _per_test(suite: Path, count: int, means: list[float]) -> float:
    """Run ``suite`` under pytest in a child process; the median test's seconds from its
    JUnit XML (the mean goes to ``means``)."""
    report = suite.with_suffix(".xml")
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--junitxml",
            str(report),
            "-o",
            "junit_duration_report=total",
            suite.name,
        ],
        cwd=suite.parent,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if run.returncode != 0:
        raise RuntimeError(f"{suite.name} failed:\n{run.stdout[-3000:]}{run.stderr[-2000:]}")
    cases = ElementTree.parse(report).getroot().iter("testcase")
    times = [float(case.get("time", "0")) for case in cases]
    if len(times) != count:
        raise RuntimeError(f"{suite.name}: {len(times)} tests reported, {count} expected")
    means.append(sum(times) / count)
    return statistics.median(times)


def _contender(suite: Path, count: int, means: list[float]) -> Callable[[], float]:
    return lambda: _per_test(suite, count, means)


def run(*, smoke: bool = False, repeats: int | None = None) -> list[Row]:
    """Both suites, each under both fixtures, interleaved; one row per suite."""
    count = 3 if smoke else 20
    trials = repeats or (1 if smoke else 3)
    rows = []
    with tempfile.TemporaryDirectory(prefix="sv-bench-fixture-") as tmp:
        for number, (name, body) in enumerate(SUITES.items()):
            folder = Path(tmp) / f"suite{number}"
            folder.mkdir()
            fresh = _write_suite(folder, body, "sv_emulator", count)
            isolated = _write_suite(folder, body, "sv_emulator_isolated", count)
            means: dict[str, list[float]] = {"fresh": [], "isolated": []}
            suites = {"fresh": fresh, "isolated": isolated}
            paired = interleave(
                {side: _contender(suites[side], count, means[side]) for side in suites},
                trials,
                warmup=0,
            )
            mean_ratio = statistics.median(means["fresh"]) / statistics.median(means["isolated"])
            speedup = paired.ratio("fresh", "isolated")
            rows.append(
                Row(
                    f"pytest fixture: {name}, per test",
                    f"isolated {fmt_seconds(paired.median('isolated'))}",
                    f"fresh emulator {fmt_seconds(paired.median('fresh'))}",
                    speedup,
                    f">= {TARGET:g}x faster",
                    None if smoke else speedup >= TARGET,
                    f"{count} tests a run, {trials} interleaved runs of each; median test "
                    f"isolated {fmt_spread(paired.times['isolated'])}, "
                    f"fresh {fmt_spread(paired.times['fresh'])}; mean test (the session "
                    f"start spread over {count}) isolated "
                    f"{fmt_seconds(statistics.median(means['isolated']))}, fresh "
                    f"{fmt_seconds(statistics.median(means['fresh']))} = {mean_ratio:.1f}x",
                )
            )
    return rows


if __name__ == "__main__":
    sys.exit(
        standalone(
            run,
            sys.argv[1:],
            doc=__doc__ or "",
            smoke_help="3 tests a suite, one run each, no verdict",
            default_repeats=3,
        )
    )
