"""Release checks. Tests marked ``release`` build or install the package (the docs site, the
sdist and wheel in fresh environments) and run only when selected by that marker, as the
steps of ``python3 dev.py test`` do (``dev.py test --step docs``, ``--step release``); every
other run leaves them out (they are reported as deselected).
"""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if "release" in (config.getoption("markexpr") or ""):
        return
    left_out = [item for item in items if item.get_closest_marker("release")]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = [item for item in items if not item.get_closest_marker("release")]
