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
    had_underscore, underscore = hasattr(builtins, "_"), getattr(builtins, "_", None)
    try:
        for test in finder.find(module, name):
            runner.run(test)
    finally:
        # doctest leaves builtins._ behind, and IPython then stops setting a cell's result as
        # `_` in every later test's shell (as it must, not to clobber gettext's _).
        if had_underscore:
            builtins._ = underscore  # type: ignore[attr-defined]
        elif hasattr(builtins, "_"):
            del builtins._
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} docstring example(s) failed in {name}"
