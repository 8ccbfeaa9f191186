"""The example notebooks are committed clean, safe and complete.

nbval runs them (``pytest --nbval-lax notebooks``); this module checks what running cannot:

- outputs are stripped: no widget state, no images, and no outputs or execution counts at all
  except on cells marked ``# NBVAL_CHECK_OUTPUT``, whose short text outputs are the reference
  nbval compares against (and each such cell has one, or its check could not fail), numbered
  1, 2, 3... because nbval skips the comparison for a cell without an execution count;
- the kernel is ``python3``; the notebook is valid nbformat 4;
- no credentials, tokens or absolute paths from someone's machine are in a notebook;
- each notebook is listed in ``notebooks/README.md``;
- every public thing a user touches (each ``Client`` method, each magic, each widget, the
  ``Emulator``) is used in the code of some notebook.

Run as a script, it is also the tool that keeps the notebooks that way::

    python tests/project/test_notebooks_meta.py notebooks/02-python-client.ipynb   # strip
    python tests/project/test_notebooks_meta.py --execute notebooks/*.ipynb        # run, then strip

``--execute`` runs the notebook first (with no ``SV_*`` variables, in the notebook's directory),
so the kept reference outputs are fresh; read the diff before committing.
"""

from __future__ import annotations

import argparse
import inspect
import os
import re
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
CHECK_MARK = "# NBVAL_CHECK_OUTPUT"

# Long hex runs (private keys, HMACs), token-shaped strings (base64 "." 64+ hex), and secrets
# assigned to the environment from a cell.
SECRET_PATTERNS = [
    re.compile(r"\b[0-9a-fA-F]{32,}\b"),
    re.compile(r"[A-Za-z0-9+/]{20,}\.[0-9a-f]{64,}"),
    re.compile(r"""environ\s*\[\s*["']SV_PRIVATE_KEY["']\s*\]\s*="""),
    re.compile(r"%env\s+SV_PRIVATE_KEY"),
    re.compile(r"""setenv\(\s*["']SV_PRIVATE_KEY"""),
]
ABSOLUTE_PATH = re.compile(
    r"(?<![\w.~/:])/(?:home|work|tmp|Users|root|var|opt|usr|mnt|srv|private)/|\b[A-Za-z]:\\\\"
)


def is_checked(cell: Any) -> bool:
    return cell.cell_type == "code" and any(
        line.strip().startswith(CHECK_MARK) for line in cell.source.splitlines()
    )


def _reference_output(output: Any, count: int | None = None) -> Any | None:
    """The part of an output worth keeping as nbval's reference, or ``None``."""
    if output.output_type == "stream" and output.name == "stdout":
        return nbformat.v4.new_output("stream", name="stdout", text=output.text)
    if output.output_type == "execute_result" and "text/plain" in output.get("data", {}):
        return nbformat.v4.new_output(
            "execute_result", data={"text/plain": output.data["text/plain"]}, execution_count=count
        )
    return None


def strip(nb: Any) -> Any:
    """Clear outputs, counts and run metadata; keep short text outputs of checked cells.

    nbval only compares a cell that has an execution count, so checked cells are numbered
    1, 2, 3... (deterministic, whatever order they were run in); the rest have none.
    """
    nb.metadata.pop("widgets", None)
    count = 0
    for cell in nb.cells:
        cell.metadata = {}
        if cell.cell_type != "code":
            cell.pop("outputs", None)
            cell.pop("execution_count", None)
            continue
        if not is_checked(cell):
            cell.execution_count = None
            cell.outputs = []
            continue
        count += 1
        cell.execution_count = count
        kept = [_reference_output(o, count) for o in cell.outputs]
        cell.outputs = _merge_streams([o for o in kept if o is not None])
    return nb


def _merge_streams(outputs: list[Any]) -> list[Any]:
    """Join consecutive stdout chunks into one output, as nbval compares them."""
    merged: list[Any] = []
    for output in outputs:
        if merged and output.output_type == "stream" and merged[-1].output_type == "stream":
            merged[-1].text += output.text
        else:
            merged.append(output)
    return merged


def execute(nb: Any, path: Path) -> Any:
    """Run ``nb`` top to bottom in a fresh kernel, as nbval does, with no ``SV_*`` variables."""
    from nbclient import NotebookClient

    saved = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("SV_")}
    try:
        client = NotebookClient(nb, timeout=300, resources={"metadata": {"path": str(path.parent)}})
        client.execute()
    finally:
        os.environ.update(saved)
    return nb


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="Strip (and optionally run) example notebooks.")
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--execute", action="store_true", help="run each notebook first")
    args = parser.parse_args(argv)
    for path in args.notebooks:
        nb = nbformat.read(path, as_version=4)
        if args.execute:
            nb = execute(nb, path)
        nbformat.write(strip(nb), path)
        print(f"{path}: {'executed and ' if args.execute else ''}stripped")
    return 0


# ---------------------------------------------------------------------------------- tests
def _read(path: Path) -> Any:
    return nbformat.read(path, as_version=4)


def _texts(nb: Any) -> list[str]:
    """Every source and output text of the notebook."""
    texts = []
    for cell in nb.cells:
        texts.append(cell.source)
        for output in cell.get("outputs", []):
            texts.append(str(output.get("text", "")))
            texts.extend(str(v) for v in output.get("data", {}).values())
    return texts


def _code(nbs: list[Any]) -> str:
    return "\n".join(c.source for nb in nbs for c in nb.cells if c.cell_type == "code")


def test_there_are_notebooks() -> None:
    names = [p.name for p in NOTEBOOKS]
    assert len(names) >= 5, names
    for name in names:
        assert re.fullmatch(r"\d\d-[a-z0-9-]+\.ipynb", name), f"{name}: use NN-lower-case.ipynb"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_valid_nbformat_with_python3_kernel(path: Path) -> None:
    nb = _read(path)
    nbformat.validate(nb)
    assert nb.metadata.kernelspec.name == "python3"
    assert nb.metadata.kernelspec.language == "python"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_outputs_stripped_except_checked_references(path: Path) -> None:
    nb = _read(path)
    assert "widgets" not in nb.metadata, "saved widget state: strip the notebook"
    count = 0
    for i, cell in enumerate(nb.cells):
        where = f"{path.name} cell {i}"
        assert not cell.metadata, f"{where}: cell metadata {dict(cell.metadata)}"
        if cell.cell_type != "code":
            continue
        if not is_checked(cell):
            assert cell.execution_count is None, f"{where}: execution count left in"
            assert cell.outputs == [], f"{where}: outputs left in an unchecked cell"
            continue
        count += 1
        assert cell.execution_count == count, f"{where}: checked cells are numbered 1, 2, ..."
        assert cell.outputs, f"{where}: {CHECK_MARK} without a reference output"
        assert cell.outputs == [_reference_output(o, count) for o in cell.outputs], (
            f"{where}: only stdout and text/plain results may be kept"
        )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_credentials_or_tokens(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    for pattern in SECRET_PATTERNS:
        match = pattern.search(text)
        assert match is None, f"{path.name}: looks like a secret: {match.group()[:12]}..."
    for name in ("SV_PRIVATE_KEY", "SV_PUBLIC_KEY"):
        value = os.environ.get(name)
        if value and len(value) >= 4:
            assert value not in text, f"{path.name} contains the value of {name}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_absolute_paths(path: Path) -> None:
    for text in _texts(_read(path)):
        match = ABSOLUTE_PATH.search(text)
        assert match is None, f"{path.name}: absolute path near {text[match.start() :][:40]!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_listed_in_readme(path: Path) -> None:
    readme = (NOTEBOOK_DIR / "README.md").read_text(encoding="utf-8")
    assert path.name in readme, f"add {path.name} to notebooks/README.md"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_makes_its_media_and_cleans_up(path: Path) -> None:
    code = _code([_read(path)])
    download = re.search(r"urlopen|urlretrieve|requests\.get|\bwget\b|\bcurl\b|!pip", code)
    assert download is None, f"{path.name}: make media locally, download nothing"
    if "mkdtemp" in code:
        assert "rmtree" in code, f"{path.name}: remove the temporary directory at the end"


# A cell ending in a call that only waits (it answers True) would show a stray "True".
_WAIT_ECHOED = re.compile(r"\.wait_idle\([^)]*\)\s*(#.*)?$")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_cell_ends_by_echoing_a_wait(path: Path) -> None:
    for i, cell in enumerate(_read(path).cells):
        if cell.cell_type != "code":
            continue
        lines = [line for line in cell.source.splitlines() if line.strip()]
        last = lines[-1] if lines else ""
        assert not _WAIT_ECHOED.search(last), (
            f"{path.name} cell {i} ends in {last.strip()!r}: end it with ';' (or print)"
        )


def _public_methods(cls: type) -> list[str]:
    return [
        name
        for name, member in inspect.getmembers(cls)
        if not name.startswith("_") and (callable(member) or isinstance(member, classmethod))
    ]


def test_every_public_api_has_an_example() -> None:
    from sv_widgets import Client
    from sv_widgets.magics import SpareVideosMagics

    code = _code([_read(p) for p in NOTEBOOKS])
    missing = [f"Client.{m}" for m in _public_methods(Client) if not re.search(rf"\.{m}\(", code)]
    for kind, names in SpareVideosMagics.magics.items():
        prefix = "%%" if kind == "cell" else "%"
        missing += [f"{prefix}{n}" for n in names if f"{prefix}{n}" not in code]
    widgets = ("UploadProgress", "UploadDropzone", "ThumbnailGallery", "FileBrowser", "Player")
    for widget in (*widgets, "Emulator"):
        if not re.search(rf"\b{widget}\(", code):
            missing.append(widget)
    assert not missing, f"no notebook example for: {', '.join(missing)}"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
