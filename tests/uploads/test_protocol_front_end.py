"""The page's protocol table (``js/src/dropzone/protocol.js``) is the Python declaration's.

Node loads the real module; every message type both ways, every field, the fields of a file,
the failure reasons, the probe and the page's limits and timings must be those of
:mod:`sv_widgets.uploads._protocol`, and each message the page builds must carry exactly its
declared fields (the controller adds the secret to every one but the hello). A type or field
on one side only fails here, whichever side it is on.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from sv_widgets.uploads._protocol import (
    FAILURE_REASONS,
    FILE_FIELDS,
    KERNEL_MESSAGES,
    PAGE_MESSAGES,
    PAGE_TIMING,
    PROBE,
    FromPage,
)

PROTOCOL_JS = Path(__file__).resolve().parents[2] / "js" / "src" / "dropzone" / "protocol.js"

SCRIPT = """
import * as p from %s;
const built = {};
for (const [name, build] of Object.entries(p.toKernel)) {
  const args = Array.from({ length: build.length }, (_, i) => `a${i}`);
  built[name] = build(...args);
}
process.stdout.write(JSON.stringify({ ...p, built }));
"""


@pytest.fixture(scope="module")
def page() -> dict[str, Any]:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed (dev.py test installs it)")
    script = SCRIPT % json.dumps(PROTOCOL_JS.as_uri())
    out = subprocess.run(
        [node, "--input-type=module", "-e", script],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout
    loaded: dict[str, Any] = json.loads(out)
    return loaded


def test_the_same_message_types_both_ways(page: dict[str, Any]) -> None:
    assert sorted(page["PAGE"].values()) == sorted(PAGE_MESSAGES)
    assert sorted(page["KERNEL"].values()) == sorted(KERNEL_MESSAGES)


def test_the_same_fields_in_the_same_order(page: dict[str, Any]) -> None:
    assert page["FIELDS"]["page"] == {n: list(m.field_names) for n, m in PAGE_MESSAGES.items()}
    assert page["FIELDS"]["kernel"] == {n: list(m.field_names) for n, m in KERNEL_MESSAGES.items()}
    assert page["FILE_FIELDS"] == [f.name for f in FILE_FIELDS]


def test_the_same_reasons_probe_and_limits(page: dict[str, Any]) -> None:
    assert sorted(page["FAILURE"].values()) == sorted(FAILURE_REASONS)
    assert bytes(page["PROBE"]) == PROBE
    assert {**page["LIMITS"], **page["TIMING"]} == PAGE_TIMING


def test_every_message_the_page_builds_has_its_declared_fields(page: dict[str, Any]) -> None:
    built = page["built"]
    assert sorted(b["type"] for b in built.values()) == sorted(PAGE_MESSAGES)
    for message in built.values():
        declared = PAGE_MESSAGES[message["type"]]
        added = set() if message["type"] == FromPage.HELLO else {"secret"}
        assert set(message) - {"type"} | added == set(declared.field_names), message["type"]
