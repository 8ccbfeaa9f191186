"""The magics' demo flow runs in terminal IPython with this environment's packages.

In the quick suite, so that every environment the test command builds (the other supported
Pythons, every dependency at its lower bound) runs it too.
"""

from __future__ import annotations

import sys
from pathlib import Path

from tests.release import demo_flow


def test_the_demo_flow_in_terminal_ipython(tmp_path: Path) -> None:
    output = demo_flow.run(Path(sys.executable), tmp_path)
    demo_flow.check(output)
