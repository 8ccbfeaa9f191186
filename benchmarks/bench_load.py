"""Extension load benchmark: ``%load_ext sv_widgets`` against loading a trivial extension.

Each trial is a fresh Python subprocess (nothing cached in ``sys.modules``) that builds an
``InteractiveShell`` first (not timed: every session pays it anyway), then times the one
line a user runs, ``%load_ext ...``. The reference is a trivial extension that registers a
single magic, timed the same way in its own subprocesses, interleaved with ours so both see
the same machine load. The subprocess also reports whether the heavy dependencies were
imported: PyAV (``av``), the server stack (``starlette``, ``uvicorn``) must never be, and the
widgets (``ipywidgets``) and HTTP (``requests``) stacks should wait until a magic needs them.

Target: under 0.3 s, importing neither PyAV nor the server stack.

Usage::

    python benchmarks/bench_load.py            # 15 trials each, prints a table, exit 1 if missed
    python benchmarks/bench_load.py --smoke    # 2 trials, no timing assert (CI)
    python benchmarks/bench_load.py --json     # the result dict as JSON
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any

TARGET_SECONDS = 0.3
FORBIDDEN = ("av", "starlette", "uvicorn")
DEFERRED = ("ipywidgets", "requests", "sv_widgets.client", "sv_widgets.widgets")

_TRIAL = textwrap.dedent(
    """
    import json, sys, time
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config
    config = Config()
    config.HistoryManager.enabled = False
    ip = InteractiveShell.instance(config=config)
    before = set(sys.modules)
    start = time.perf_counter()
    ip.run_line_magic("load_ext", sys.argv[1])
    seconds = time.perf_counter() - start
    print(json.dumps({
        "seconds": seconds,
        "loaded": sys.argv[1] in ip.extension_manager.loaded,
        "new_modules": sorted(set(sys.modules) - before),
        "modules": sorted(sys.modules),
    }))
    """
)

_TRIVIAL_EXTENSION = textwrap.dedent(
    '''
    """A trivial IPython extension: one line magic, nothing imported."""


    def load_ipython_extension(ipython):
        ipython.register_magic_function(lambda line: line, "line", "sv_bench_echo")
    '''
)


def _trial(extension: str, tmp: str) -> dict[str, Any]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (tmp, env.get("PYTHONPATH", "")) if p)
    env["IPYTHONDIR"] = os.path.join(tmp, "ipython")  # no user profile, startup files or config
    out = subprocess.run(
        [sys.executable, "-c", _TRIAL, extension],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env=env,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    if not result["loaded"]:
        raise RuntimeError(f"%load_ext {extension} did not load: {out.stderr.strip()}")
    return result


def run(*, trials: int = 15, smoke: bool = False) -> dict[str, Any]:
    """Time ``%load_ext sv_widgets`` against a trivial extension; return the figures.

    Parameters
    ----------
    trials
        Subprocesses per extension (medians are reported).
    smoke
        Two trials and no timing verdict (CI): only the import checks decide ``ok``.

    Returns
    -------
    dict
        ``name``, ``seconds`` (median), ``reference_seconds`` (median), ``ratio``,
        ``target_seconds``, ``forbidden_loaded``, ``deferred_loaded``, ``new_modules``
        (how many modules loading added), ``ok``.
    """
    trials = 2 if smoke else max(1, trials)
    ours: list[float] = []
    reference: list[float] = []
    forbidden: set[str] = set()
    deferred: set[str] = set()
    new_modules = 0
    with tempfile.TemporaryDirectory(prefix="sv-bench-load-") as tmp:
        Path(tmp, "sv_bench_trivial_ext.py").write_text(_TRIVIAL_EXTENSION)
        for _ in range(trials):  # interleaved: both see the same machine load
            reference.append(_trial("sv_bench_trivial_ext", tmp)["seconds"])
            result = _trial("sv_widgets", tmp)
            ours.append(result["seconds"])
            modules = set(result["modules"])
            forbidden |= modules.intersection(FORBIDDEN)
            deferred |= modules.intersection(DEFERRED)
            new_modules = len(result["new_modules"])
    seconds = statistics.median(ours)
    reference_seconds = statistics.median(reference)
    timing_ok = smoke or seconds < TARGET_SECONDS
    return {
        "name": "extension load",
        "seconds": seconds,
        "reference": "%load_ext of a trivial one-magic extension",
        "reference_seconds": reference_seconds,
        "ratio": seconds / reference_seconds if reference_seconds > 0 else float("inf"),
        "target_seconds": TARGET_SECONDS,
        "trials": trials,
        "forbidden_loaded": sorted(forbidden),
        "deferred_loaded": sorted(deferred),
        "new_modules": new_modules,
        "ok": timing_ok and not forbidden,
    }


def _table(result: dict[str, Any]) -> str:
    rows = [
        ("%load_ext sv_widgets (median)", f"{result['seconds'] * 1000:.1f} ms"),
        ("reference: " + result["reference"], f"{result['reference_seconds'] * 1000:.1f} ms"),
        ("ratio", f"{result['ratio']:.1f}x"),
        ("target", f"< {result['target_seconds'] * 1000:.0f} ms"),
        ("modules added by loading", str(result["new_modules"])),
        ("av / starlette / uvicorn imported", ", ".join(result["forbidden_loaded"]) or "none"),
        ("ipywidgets / requests imported", ", ".join(result["deferred_loaded"]) or "none"),
        ("verdict", "ok" if result["ok"] else "MISSED"),
    ]
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


def main(argv: list[str] | None = None) -> int:
    """Command line: print the table (or JSON); exit 1 when the target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--smoke", action="store_true", help="2 trials, no timing assert")
    parser.add_argument("--trials", type=int, default=15, help="subprocesses per extension")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    result = run(trials=args.trials, smoke=args.smoke)
    print(json.dumps(result, indent=2) if args.json else _table(result))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
