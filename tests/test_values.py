"""sv_widgets._values: the one rule for whole numbers and numbers, and the one echo."""

from __future__ import annotations

import math

import pytest

from sv_widgets._values import is_number, is_whole_number, shown


@pytest.mark.parametrize(
    ("value", "whole", "number"),
    [
        (0, True, True),
        (-7, True, True),
        (2**64, True, True),
        (True, False, False),  # JSON true, and Python's bool is an int
        (False, False, False),
        (1.0, False, True),
        (math.nan, False, True),
        ("1", False, False),
        (None, False, False),
        ([1], False, False),
    ],
)
def test_what_counts_as_a_number(value: object, whole: bool, number: bool) -> None:
    assert (is_whole_number(value), is_number(value)) == (whole, number)


@pytest.mark.parametrize(
    ("value", "kwargs", "expected"),
    [
        ("f9", {}, "'f9'"),
        ("tab\there\nand\x07bell\u202e", {}, "'tab here and?bell?'"),
        ("x" * 61, {}, "'" + "x" * 60 + "'… (61 characters)"),
        ("x" * 10, {"limit": 4, "quote": False}, "xxxx…"),
        ("a\u200bb", {"quote": False}, "a?b"),
        (["a", 1], {}, "['a', 1]"),
        ({"k": "v" * 100}, {"limit": 10}, "{'k': 'vvv… (109 characters)"),
        (None, {"quote": False}, "None"),
    ],
)
def test_an_untrusted_value_is_shown_printable_and_bounded(
    value: object, kwargs: dict[str, object], expected: str
) -> None:
    assert shown(value, **kwargs) == expected  # type: ignore[arg-type]
