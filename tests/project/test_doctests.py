"""Every example in the package's docstrings runs and shows what it says.

Examples marked ``# doctest: +SKIP`` need a live service or a notebook; the rest are checked
here, so a docstring cannot drift from the code it documents.
"""

from __future__ import annotations

import builtins
import doctest
import importlib
import pkgutil

import pytest

import sv_widgets

MODULES = sorted(
    info.name
    for info in pkgutil.walk_packages(sv_widgets.__path__, "sv_widgets.")
    if not info.name.endswith("__main__")
)


def test_every_module_is_found() -> None:
    assert {"sv_widgets.signing", "sv_widgets.client._sources", "sv_widgets.uploads._state"} <= set(
        MODULES
    )


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    had_underscore = "_" in builtins.__dict__
    try:
        for test in finder.find(module, name):
            runner.run(test)
    finally:
        # Python's own displayhook stores each example's value in builtins._, and an IPython
        # shell then stops setting its own "_": leave builtins as the examples found them.
        if not had_underscore:
            builtins.__dict__.pop("_", None)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"
