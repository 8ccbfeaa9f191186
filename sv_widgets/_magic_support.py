"""The pieces behind the magics that are not argument parsing: errors, sources, upload runs.

Kept out of :mod:`sv_widgets.magics` so the magics stay one screen each. Nothing here imports
``ipywidgets`` or ``requests`` at module level: ``%load_ext sv_widgets`` stays fast.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

from IPython.core import magic_arguments as _ma
from IPython.core.error import UsageError

from sv_widgets.errors import SpareVideosError

if TYPE_CHECKING:  # pragma: no cover
    from sv_widgets.client import Client
    from sv_widgets.widgets import UploadProgress

__all__ = [
    "UploadOutcome",
    "UploadRequest",
    "api_errors",
    "argument",
    "check_file_code",
    "check_source",
    "expand_variables",
    "magic_arguments",
    "parse_argstring",
    "print_help_if_asked",
    "run_uploads",
    "sources_from_cell",
    "summary",
]

F = TypeVar("F", bound=Callable[..., Any])

_CODE = re.compile(r"^[0-9]+-[A-Za-z0-9]{6}$")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


# Typed fronts for IPython's (untyped) magic_arguments decorators, for mypy --strict.
def magic_arguments() -> Callable[[F], F]:
    """:func:`IPython.core.magic_arguments.magic_arguments`, typed."""
    return cast("Callable[[F], F]", _ma.magic_arguments())  # type: ignore[no-untyped-call]


def argument(*args: Any, **kwargs: Any) -> Callable[[F], F]:
    """:func:`IPython.core.magic_arguments.argument`, typed."""
    return cast("Callable[[F], F]", _ma.argument(*args, **kwargs))  # type: ignore[no-untyped-call]


def parse_argstring(magic: Callable[..., Any], line: str) -> argparse.Namespace:
    """:func:`IPython.core.magic_arguments.parse_argstring`, typed."""
    return cast(argparse.Namespace, _ma.parse_argstring(magic, line))  # type: ignore[no-untyped-call]


@contextmanager
def api_errors(*secrets: str) -> Iterator[None]:
    """Turn sv_widgets errors into one-line ``UsageError`` s carrying the API's code.

    ``secrets`` are masked should one ever reach a message (defence in depth: the client
    already keeps its key out of every error).
    """
    try:
        yield
    except SpareVideosError as e:
        raise UsageError(_one_line(str(e), secrets)) from None


def _one_line(text: str, secrets: Sequence[str] = ()) -> str:
    text = " ".join(text.split())
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def check_file_code(text: str) -> str:
    """``text`` if it looks like a file code (CONTRACT.md), else a ``UsageError``."""
    if not _CODE.match(text):
        raise UsageError(f"not a file code: {text!r} (file codes look like 1488633857-11PYNC)")
    return text


def print_help_if_asked(magic: Callable[..., Any], line: str) -> bool:
    """Print the magic's help for ``-h``/``--help`` and say so.

    Checked before parsing, which would otherwise first complain about missing positionals.
    """
    if any(token in ("-h", "--help") for token in line.split()):
        # magic_arguments writes the help as a reST literal block ("::" first): drop that.
        print((magic.__doc__ or "").removeprefix("::").strip("\n"))
        return True
    return False


def check_source(text: str) -> str:
    """A URL for the service to fetch, or the absolute path of a readable local file.

    Raises ``UsageError`` before any request: a missing or unreadable file, a directory, or a
    URL scheme the service cannot fetch.
    """
    match = _SCHEME.match(text)
    if match:
        if match.group(1).lower() not in ("http", "https"):
            raise UsageError(f"cannot upload {text!r}: only http:// and https:// URLs")
        return text
    path = Path(text).expanduser()
    if not path.exists():
        raise UsageError(f"no such file: {text}")
    if not path.is_file():
        raise UsageError(f"not a file: {text}")
    if not os.access(path, os.R_OK):
        raise UsageError(f"cannot read {text}: permission denied")
    return str(path.resolve())


def expand_variables(text: str, namespace: Mapping[str, Any]) -> str:
    """``$name`` and ``{expr}`` expanded over ``namespace``, as IPython does for line magics.

    What cannot be expanded is left as it is (IPython's own ``var_expand`` does the same).
    """
    from IPython.utils.text import DollarFormatter

    try:
        return str(DollarFormatter().vformat(text, args=[], kwargs=namespace))
    except Exception:
        return text


def sources_from_cell(cell: str, namespace: Mapping[str, Any]) -> list[tuple[int, str]]:
    """``(line number, source)`` for each non-blank, non-``#`` line; every local file checked.

    ``$variables`` in a line expand from ``namespace`` (the user's). Every line is checked
    before anything is uploaded, so a typo costs no duplicate uploads: all the bad lines are
    reported together in one ``UsageError``.
    """
    sources: list[tuple[int, str]] = []
    problems: list[str] = []
    for number, raw in enumerate(cell.splitlines(), start=1):
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        text = expand_variables(text, namespace)
        try:
            sources.append((number, check_source(text)))
        except UsageError as e:
            problems.append(f"line {number}: {e}")
    if problems:
        raise UsageError("nothing uploaded; " + "; ".join(problems))
    if not sources:
        raise UsageError("no files to upload: put one path or URL per line in the cell")
    return sources


@dataclass(frozen=True)
class UploadRequest:
    """What to do with each source (the magic's flags and settings)."""

    convert: bool = True
    sd_only: bool = False
    mp4_only: bool = False
    wait: bool = True
    poll_interval: float = 2.0
    conversion_timeout: float = 1800.0

    def widget_options(self) -> dict[str, Any]:
        """Keyword arguments for :class:`~sv_widgets.widgets.UploadProgress`."""
        return {
            "convert": self.convert,
            "sd_only": self.sd_only,
            "mp4_only": self.mp4_only,
            "wait": self.wait,
            "poll_interval": self.poll_interval,
        }


@dataclass
class UploadOutcome:
    """How one source ended: its file code, or the one-line error (or both, on a timeout)."""

    line: int
    source: str
    code: str | None = None
    error: str | None = None
    notes: list[str] = field(default_factory=list)


def _await(upload: UploadProgress, request: UploadRequest, outcome: UploadOutcome) -> None:
    """Wait for one upload; past ``conversion_timeout`` of converting, stop waiting.

    The file then keeps converting on the service; the outcome keeps its code and a note.
    """
    from sv_widgets.widgets.upload import UploadCancelled

    converting_since: float | None = None
    while True:
        try:
            outcome.code = upload.wait(timeout=0.25)
            return
        except TimeoutError:
            if upload.phase != "converting":
                continue
            now = time.monotonic()
            converting_since = converting_since or now
            if now - converting_since < request.conversion_timeout:
                continue
            outcome.code = upload.file_code or None
            upload.cancel()
            outcome.notes.append(
                f"{outcome.code} still converting after {request.conversion_timeout:.0f} s; "
                f"check later with %sv_info {outcome.code}"
            )
            return
        except UploadCancelled as e:
            outcome.error = _one_line(f"cancelled: {e.message}")
            return
        except SpareVideosError as e:
            outcome.code = upload.file_code or None
            outcome.error = _one_line(str(e))
            return
        except Exception as e:  # not the API's doing (a bug, a library error): still one row
            outcome.code = upload.file_code or None
            outcome.error = _one_line(f"{type(e).__name__}: {e}")
            return


def run_uploads(
    client: Client,
    sources: Sequence[tuple[int, str]],
    request: UploadRequest,
    *,
    parallel: int,
    widgets: bool,
    display: Callable[[Any], None],
) -> list[UploadOutcome]:
    """Upload every source, ``parallel`` at a time, one progress row each; never raises for a row.

    With ``widgets`` the rows are :class:`~sv_widgets.widgets.UploadProgress` widgets shown
    together (``display``); otherwise each prints plain-text progress lines to ``sys.stdout``,
    prefixed by the file's name. Ctrl-C (a kernel interrupt) cancels everything, prints where
    each file was left, and re-raises. Outcomes come back in input order.
    """
    from concurrent.futures import ThreadPoolExecutor

    from sv_widgets.widgets import UploadProgress
    from sv_widgets.widgets._text import TextProgress

    options = request.widget_options()
    rows = [UploadProgress(client, src, autostart=False, **options) for _, src in sources]
    outcomes = [UploadOutcome(line, src) for line, src in sources]
    renderers: list[TextProgress] = []
    if widgets:
        if len(rows) == 1:
            display(rows[0])
        else:
            import ipywidgets

            display(ipywidgets.VBox(rows))
    else:
        # One upload may redraw its line in place on a terminal; several rows cannot each own
        # the last line, so they print one line per step instead.
        interactive = None if len(rows) == 1 else False
        renderers = [TextProgress(row, sys.stdout, interactive=interactive) for row in rows]
    stop = threading.Event()

    def run(index: int) -> None:
        if stop.is_set():
            outcomes[index].error = "cancelled: not uploaded"
            return
        rows[index].start()
        _await(rows[index], request, outcomes[index])

    pool = ThreadPoolExecutor(max_workers=max(1, parallel), thread_name_prefix="sv-bulk")
    try:
        futures = [pool.submit(run, i) for i in range(len(rows))]
        for future in futures:
            future.result()
    except BaseException:  # Ctrl-C / kernel interrupt: stop everything, say where it stands
        stop.set()
        for row in rows:
            row.cancel()
        pool.shutdown(wait=True, cancel_futures=True)
        for outcome in outcomes:
            if outcome.code is None and outcome.error is None:
                outcome.error = "cancelled: not uploaded"
        print(summary(outcomes))
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        for renderer in renderers:
            renderer.close()
        if not widgets:  # never displayed: release their comms
            for row in rows:
                row.close()
    return outcomes


def summary(outcomes: Sequence[UploadOutcome]) -> str:
    """A few lines: how many succeeded, then each failure and note with its line."""
    done = sum(1 for o in outcomes if o.code and not o.error)
    lines = [f"{done} of {len(outcomes)} uploaded" + ("." if done == len(outcomes) else ":")]
    for o in outcomes:
        name = os.path.basename(o.source) or o.source
        if o.error:
            kept = f" (file {o.code} kept)" if o.code else ""
            lines.append(f"  line {o.line} {name}: {o.error}{kept}")
        lines.extend(f"  line {o.line} {name}: {note}" for note in o.notes)
    return "\n".join(lines)
