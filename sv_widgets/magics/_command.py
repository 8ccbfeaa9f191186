"""How a magic talks to the person: its arguments, its help, and its one error style.

:func:`command` turns a method ``f(self, args)`` into a magic taking a line: the line is
split as a shell would (quotes, backslash escapes, ``--``), ``$name`` and ``{expr}`` expand
from the user's namespace inside a word and never split it, ``-h``/``--help`` prints the
help, and every parsing problem is a one-line ``UsageError``. :func:`api_errors` turns
sv_widgets errors into the same one-line ``UsageError`` (jupysql's ``CmdParser`` is the
model). A new magic is then one short method.

Examples
--------
>>> split_words('"my clip.mp4" my\\\\ other.mp4 --yes', {})
['my clip.mp4', 'my other.mp4', '--yes']
>>> split_words("$p --parallel 2", {"p": "a b.mp4"})
['a b.mp4', '--parallel', '2']
>>> split_words("$codes --yes", {"codes": ["1-AAAAAA", "2-BBBBBB"]})
['1-AAAAAA', '2-BBBBBB', '--yes']
"""

from __future__ import annotations

import argparse
import functools
import inspect
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, NoReturn

from IPython.core.error import UsageError
from IPython.core.magic import no_var_expand

from sv_widgets.errors import SpareVideosError, TransportError

__all__ = ["Arg", "api_errors", "arg", "command", "expand", "one_line", "split_words"]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_SEPARATORS = " \t\r\n"


def one_line(text: str, secrets: tuple[str, ...] = ()) -> str:
    """``text`` on one line, with tokens and ``secrets`` redacted."""
    from sv_widgets.signing import redact  # on an error only: %load_ext stays light

    return " ".join(redact(text, secrets).split())


@contextmanager
def api_errors(*secrets: str) -> Iterator[None]:
    """Turn sv_widgets errors into one-line ``UsageError`` s carrying the API's code.

    ``secrets`` are redacted should one ever reach a message (defence in depth: the client
    already keeps its key out of every error).
    """
    try:
        yield
    except TransportError as e:
        hint = "; %sv_status shows the service in use (SV_API_URL and SV_THUMBNAIL_URL set it)"
        raise UsageError(one_line(e.summary, secrets) + hint) from None
    except SpareVideosError as e:
        raise UsageError(one_line(str(e), secrets)) from None


# -- words ------------------------------------------------------------------------------
def expand(text: str, namespace: Mapping[str, Any]) -> str:
    """``$name`` and ``{expr}`` in ``text`` expanded over ``namespace``, as IPython does.

    What cannot be expanded is left as it is (IPython's own ``var_expand`` does the same).
    """
    from IPython.utils.text import DollarFormatter

    try:
        return str(DollarFormatter().vformat(text, args=[], kwargs=namespace))
    except Exception:
        return text


def _value(piece: str, namespace: Mapping[str, Any]) -> str | list[str]:
    """What ``$name``, ``$$`` or ``{expr}`` stands for: a list or tuple gives several words."""
    if piece == "$$":
        return "$"
    source = piece[1:-1] if piece.startswith("{") else piece[1:]
    try:
        value = eval(source, {}, dict(namespace))  # noqa: S307 - the user's own namespace
    except Exception:
        return expand(piece, namespace)  # IPython's rules, or the text left as it is
    if isinstance(value, list | tuple):
        return [str(item) for item in value]
    return str(value)


def _expansion(line: str, i: int) -> int:
    """End index of the ``$name``, ``$$`` or ``{expr}`` starting at ``line[i]`` (``i`` if none)."""
    if line[i] == "$":
        if line.startswith("$$", i):
            return i + 2
        match = _NAME.match(line, i + 1)
        return match.end() if match else i
    depth = 0
    for j in range(i, len(line)):
        depth += {"{": 1, "}": -1}.get(line[j], 0)
        if depth == 0:
            return j + 1
    return i


def split_words(line: str, namespace: Mapping[str, Any]) -> list[str]:
    """Split ``line`` into words as a POSIX shell would, expanding variables inside words.

    A list or tuple expands to one word per item (``%sv_delete $codes``); an unquoted ``#``
    starting a word begins a comment.
    Single quotes keep everything literal; double quotes group words, with ``\\"``,
    ``\\\\`` and ``\\$`` escapes; a backslash outside quotes escapes the next character. An
    expanded value is part of its word, whatever spaces it holds.
    """
    words = _Words()
    in_double = False
    i = 0
    while i < len(line):
        c = line[i]
        if c in _SEPARATORS and not in_double:
            words.end()
            i += 1
        elif c == "#" and not in_double and words.between:
            break  # a comment, as in a shell: "%sv_delete $old --yes  # tidy up"
        elif c == "'" and not in_double:
            close = line.find("'", i + 1)
            if close < 0:
                raise UsageError(f"unmatched ' in: {line.strip()}")
            words.add(line[i + 1 : close])
            i = close + 1
        elif c == '"':
            in_double = not in_double
            words.add("")
            i += 1
        elif c == "\\" and i + 1 < len(line) and (not in_double or line[i + 1] in '"\\$'):
            words.add(line[i + 1])
            i += 2
        else:
            end = _expansion(line, i) if c in "${" else i
            words.add(c if end == i else _value(line[i:end], namespace))
            i = max(end, i + 1)
    if in_double:
        raise UsageError(f'unmatched " in: {line.strip()}')
    return words.end()


class _Words:
    """The words of a line, built a piece at a time."""

    def __init__(self) -> None:
        self._done: list[str] = []
        self._word: list[str] | None = None

    def add(self, piece: str | list[str]) -> None:
        if isinstance(piece, list):  # a list's items are words of their own
            if piece:
                self.add(piece[0])
            for item in piece[1:]:
                self.end()
                self.add(item)
            return
        if self._word is None:
            self._word = []
        self._word.append(piece)

    @property
    def between(self) -> bool:
        """Whether no word is under way (the next character starts one)."""
        return self._word is None

    def end(self) -> list[str]:
        if self._word is not None:
            self._done.append("".join(self._word))
            self._word = None
        return self._done


# -- the decorator ----------------------------------------------------------------------
Arg = tuple[tuple[Any, ...], dict[str, Any]]


def arg(*names: str, **options: Any) -> Arg:
    """One argument of a magic, as ``argparse.ArgumentParser.add_argument`` takes it."""
    return names, options


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message} (see {self.prog} --help)")

    def format_usage(self) -> str:
        """The usage without argparse's ``usage:`` prefix, its continuation lines aligned
        under the first argument (argparse indents them for the prefix it would print)."""
        formatter = self._get_formatter()
        formatter.add_usage(self.usage, self._actions, self._mutually_exclusive_groups, prefix="")
        return formatter.format_help()


def _plain(doc: str) -> str:
    """A docstring as people read it: no reST literal marks."""
    return inspect.cleandoc(doc).replace("``", "")


def command(
    *arguments: Arg, cell: bool = False
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Make ``method(self, args[, cell])`` a magic taking ``(self, line[, cell])``.

    ``args`` is the parsed ``argparse.Namespace``. ``-h``/``--help`` prints the docstring
    and the arguments and returns ``None``. ``cell=True`` passes the cell body (``None``
    for the line form) as a third argument.
    """

    def decorate(method: Callable[..., Any]) -> Callable[..., Any]:
        name = method.__name__
        parser = _Parser(prog=f"%{name}", add_help=False, allow_abbrev=False)
        parser.add_argument("-h", "--help", action="store_true", help="show this help")
        for names, options in arguments:
            parser.add_argument(*names, **options)
        usage = parser.format_usage().strip()
        details = parser.format_help().split("\n\n", 1)[1]
        help_text = f"{usage}\n\n{_plain(method.__doc__ or '')}\n\n{details}".rstrip()

        @functools.wraps(method)
        def magic(self: Any, line: str, body: str | None = None) -> Any:
            namespace = self.shell.user_ns if self.shell is not None else {}
            words = split_words(line, namespace)
            before = words[: words.index("--")] if "--" in words else words
            if "-h" in before or "--help" in before:
                print(help_text)
                return None
            args = parser.parse_args(words)
            return method(self, args, body) if cell else method(self, args)

        magic.__doc__ = help_text
        return no_var_expand(magic)

    return decorate
