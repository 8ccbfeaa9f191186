"""The public API is listed once, in ``sv_widgets.__all__``, and every name resolves."""

from __future__ import annotations

import subprocess
import sys

import pytest

import sv_widgets


def test_all_is_sorted_and_unique() -> None:
    assert list(sv_widgets.__all__) == sorted(set(sv_widgets.__all__))


@pytest.mark.parametrize("name", sv_widgets.__all__)
def test_every_exported_name_resolves(name: str) -> None:
    value = getattr(sv_widgets, name)
    assert value is not None
    if isinstance(value, type):
        assert value.__doc__, f"{name} has no docstring"
        assert value.__module__.startswith("sv_widgets")


def test_public_names_are_the_documented_ones() -> None:
    public = {n for n in dir(sv_widgets) if not n.startswith("_")} - {"annotations"}
    # Submodules show up in dir() once imported; they are reachable, not exported names.
    modules = {n for n in public if type(getattr(sv_widgets, n)).__name__ == "module"}
    assert public - modules - {"importlib", "TYPE_CHECKING", "Any"} == set(sv_widgets.__all__) - {
        "__version__"
    }


def test_unknown_attribute_raises() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = sv_widgets.nope  # type: ignore[attr-defined]


def test_import_is_light() -> None:
    code = (
        "import sys, sv_widgets; "
        "heavy = [m for m in ('av', 'starlette', 'uvicorn', 'ipywidgets', 'requests') "
        "if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
