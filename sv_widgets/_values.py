"""Rules for values that come from outside: which are numbers, and how a message shows one.

A page's message, a service's reply, a caller's argument: each is checked with the same rule
wherever it arrives, and echoed the same way (printable, bounded) wherever a message must
show it, so that a hostile value can neither slip past a check nor flood a message. Pure
functions on the standard library: every module may use them, the emulator included.

Examples
--------
>>> is_whole_number(3), is_whole_number(True), is_whole_number(3.0)
(True, False, False)
>>> is_number(2.5), is_number(False)
(True, False)
>>> shown("f9"), shown(["a"]), shown("x" * 70, 8), shown("x" * 70, 8, quote=False)
("'f9'", "['a']", "'xxxxxxxx'… (70 characters)", 'xxxxxxxx…')
>>> shown("bell\\a and\\nnewline", quote=False)
'bell? and newline'
"""

from __future__ import annotations

from typing import TypeGuard

__all__ = ["is_number", "is_whole_number", "shown"]


def is_whole_number(value: object) -> TypeGuard[int]:
    """Whether ``value`` is an ``int`` and not a ``bool`` (JSON's ``true`` is no number)."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: object) -> TypeGuard[int | float]:
    """Whether ``value`` is an ``int`` or a ``float``, and not a ``bool``."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def shown(value: object, limit: int = 60, *, quote: bool = True) -> str:
    """How a message shows ``value``, which it was sent and does not trust.

    White space becomes a space and other unprintable characters ``?``, and the text is cut
    at ``limit`` characters. A string is quoted, and a cut one says how long it was; with
    ``quote=False`` (text shown in place, such as a name in a row) it is not quoted and a cut
    ends in ``…``. Anything else is shown by its ``repr``, cleaned and cut the same way.
    """
    text = value if isinstance(value, str) else repr(value)
    printable = "".join(_printable(c) for c in text[:limit])
    cut = len(text) > limit
    if not quote:
        return printable + ("…" if cut else "")
    body = repr(printable) if isinstance(value, str) else printable
    return body + (f"… ({len(text):,} characters)" if cut else "")


def _printable(char: str) -> str:
    if char.isprintable():
        return char
    return " " if char.isspace() else "?"
