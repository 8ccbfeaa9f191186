"""pytest settings for running the example notebooks: ``pytest --nbval-lax notebooks/``.

nbval stops each notebook's kernel without letting it clean up, so what a notebook leaves in
the temporary directory until its kernel exits (the clips of ``tempfile.TemporaryDirectory``)
would stay behind. The kernels get a temporary directory of this run's own instead, removed
when the run ends.
"""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest

_RUNS: list[tuple[str, str | None]] = []  # (this run's directory, TMPDIR before)


def pytest_configure(config: pytest.Config) -> None:
    tempfile.gettempdir()  # this process keeps the usual one (the value is cached)
    _RUNS.append((tempfile.mkdtemp(prefix="sv-widgets-notebooks-"), os.environ.get("TMPDIR")))
    os.environ["TMPDIR"] = _RUNS[-1][0]


def pytest_unconfigure(config: pytest.Config) -> None:
    if not _RUNS:
        return
    directory, before = _RUNS.pop()
    if before is None:
        os.environ.pop("TMPDIR", None)
    else:
        os.environ["TMPDIR"] = before
    shutil.rmtree(directory, ignore_errors=True)
