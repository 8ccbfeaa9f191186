"""``docs/wire-contract.md`` documents the page protocol as the declaration has it."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[2]


def script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "wire_contract", ROOT / "scripts" / "wire_contract.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("wire_contract", module)
    spec.loader.exec_module(module)
    return module


def test_the_wire_contract_page_is_written_from_the_declaration() -> None:
    doc = script()
    text = doc.DOC.read_text(encoding="utf-8")
    assert doc.rewritten(text) == text, "stale: run python scripts/wire_contract.py"


def test_the_page_lists_every_message_and_limit() -> None:
    doc = script()
    part = doc.generated()
    from sv_widgets.uploads._protocol import KERNEL_MESSAGES, LIMITS, PAGE_MESSAGES

    for name in (*PAGE_MESSAGES, *KERNEL_MESSAGES):
        assert f"| `{name}` |" in part
    for name in vars(LIMITS):
        assert f"| `{name}` |" in part
