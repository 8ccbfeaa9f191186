"""The package's shape, checked: short single-purpose functions, every rule in one place.

ruff enforces McCabe complexity (at most 12) and import-linter the layers and the absence of
import circles (both run by ``dev.py test``); this test adds what neither checks: no function
body longer than 60 lines, and nothing that points outside the repository.
"""

from __future__ import annotations

import ast
import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "sv_widgets"
MAX_BODY_LINES = 60


def _functions(tree: ast.AST) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]


def _body_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    body = node.body
    first = body[0]
    is_docstring = isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
    if is_docstring and isinstance(first.value.value, str) and len(body) > 1:
        first = body[1]
    assert node.end_lineno is not None
    return node.end_lineno - first.lineno + 1


def test_no_function_body_is_over_60_lines() -> None:
    long = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in _functions(tree):
            if (n := _body_lines(node)) > MAX_BODY_LINES:
                long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}: {n} lines")
    assert long == []


def test_the_measure_counts_body_lines() -> None:
    source = "def f():\n    '''doc'''\n" + "    x = 1\n" * 61
    (node,) = _functions(ast.parse(source))
    assert _body_lines(node) == 61


OUTSIDE = re.compile(r"CONTRACT\.md|STYLE\.md|\.\./shared|\b[Ii]ssue [0-9]+|\(issue [0-9]")


@pytest.mark.skipif(not (ROOT / ".git").exists(), reason="needs the git checkout")
def test_nothing_points_outside_the_repository() -> None:
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    hits = []
    for name in listed:
        path = ROOT / name
        if path.suffix in {".png", ".jpg", ".json"} or not path.is_file():
            continue
        if name == "tests/project/test_code_shape.py":
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        hits += [f"{name}: {m.group(0)}" for m in OUTSIDE.finditer(text)]
    assert hits == []
