"""Uploads as the magics run them: checked sources, N at a time, one outcome per source.

``%sv_upload PATH`` is a bulk upload of one. Every source is checked before anything is
sent (:func:`check_source`, :func:`sources_from_cell`); :func:`run_uploads` runs the
:class:`~sv_widgets.uploads.Upload` s, shown as widgets or as text lines, and turns each
into an :class:`UploadOutcome` that never raises; :func:`summary` says how it went.
``%sv_upload`` with no path shows an upload area for the person's own files instead
(:func:`dropzone`). Nothing here imports ``ipywidgets`` unless widgets are asked for.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from IPython.core.error import UsageError

from sv_widgets.errors import (
    ConversionTimeout,
    LocalFileError,
    UploadCancelled,
    summarize,
)
from sv_widgets.magics._command import expand, one_line, split_words

if TYPE_CHECKING:  # pragma: no cover
    from sv_widgets.client import Client
    from sv_widgets.uploads import Upload, UploadOptions

__all__ = [
    "UploadOutcome",
    "check_source",
    "dropzone",
    "run_uploads",
    "sources_from_cell",
    "summary",
]

NOT_STORED = "cancelled: nothing was stored"


def check_source(text: str) -> str:
    """A URL for the service to fetch, or the absolute path of a readable local file.

    Raises ``UsageError`` before any request: a missing or unreadable file, a directory, or a
    URL scheme the service cannot fetch.
    """
    from sv_widgets.client import describe_source

    try:
        info = describe_source(text)
    except LocalFileError as e:
        raise UsageError(e.message) from None
    assert info.location is not None
    return info.location


def _cell_line(text: str, namespace: Mapping[str, Any]) -> str:
    """One cell line as one source: quoted like a shell word, or taken whole."""
    if text[:1] in "'\"" or "\\" in text:
        words = split_words(text, namespace)
        if len(words) == 1:
            return words[0]
    return expand(text, namespace)


def sources_from_cell(cell: str, namespace: Mapping[str, Any]) -> list[tuple[int, str]]:
    """``(line number, source)`` for each non-blank, non-``#`` line; every local file checked.

    ``$variables`` in a line expand from ``namespace`` (the user's); a line may be quoted as
    a shell word. Every line is checked before anything is uploaded, so a typo costs no
    duplicate uploads: all the bad lines are reported together in one ``UsageError``.
    """
    sources: list[tuple[int, str]] = []
    problems: list[str] = []
    for number, raw in enumerate(cell.splitlines(), start=1):
        text = raw.strip()
        if not text or text.startswith("#"):
            continue
        try:
            sources.append((number, check_source(_cell_line(text, namespace))))
        except UsageError as e:
            problems.append(f"line {number}: {e}")
    if problems:
        raise UsageError("nothing uploaded; " + "; ".join(problems))
    if not sources:
        raise UsageError("no files to upload: put one path or URL per line in the cell")
    return sources


@dataclass
class UploadOutcome:
    """How one source ended: its file code, or the one-line error (or both)."""

    line: int
    source: str
    code: str | None = None
    error: str | None = None
    notes: list[str] = field(default_factory=list)


def _settle(upload: Upload, outcome: UploadOutcome) -> None:
    """Wait for one upload and record how it ended; never raises for the upload's failure."""
    try:
        outcome.code = upload.wait()
    except ConversionTimeout:
        code = outcome.code = upload.state.file_code
        timeout = upload.options.conversion_timeout or 0
        outcome.notes.append(
            f"{code} still converting after {timeout:.0f} s; check later with %sv_info {code}"
        )
    except UploadCancelled as e:
        outcome.code = upload.state.file_code or None
        outcome.error = one_line(e.message)
    except Exception as e:  # the API's errors, and bugs: each is one row's failure
        outcome.code = upload.state.file_code or None
        outcome.error = one_line(summarize(e))


def _show(uploads: Sequence[Upload], display: Callable[[Any], None]) -> None:
    import ipywidgets

    from sv_widgets.widgets import UploadProgress

    views = [UploadProgress.showing(upload) for upload in uploads]
    display(views[0] if len(views) == 1 else ipywidgets.VBox(views))


def run_uploads(
    client: Client,
    sources: Sequence[tuple[int, str]],
    options: UploadOptions,
    *,
    parallel: int,
    widgets: bool,
    display: Callable[[Any], None],
) -> list[UploadOutcome]:
    """Upload every source, ``parallel`` at a time, one progress row each; never raises for a row.

    With ``widgets`` the rows are ``UploadProgress`` widgets shown together (``display``);
    otherwise each prints plain-text lines to ``sys.stdout``, prefixed by the file's name, and
    no widget is built. Ctrl-C (a kernel interrupt) cancels everything, prints where each file
    was left, and re-raises. Outcomes come back in input order.
    """
    from sv_widgets.uploads import TextProgress, Upload

    uploads = [Upload(client, src, options) for _, src in sources]
    outcomes = [UploadOutcome(line, src) for line, src in sources]
    renderers: list[TextProgress] = []
    if widgets:
        _show(uploads, display)
    else:
        # One upload may redraw its line in place on a terminal; several rows cannot each own
        # the last line, so they print one line per step instead.
        interactive = None if len(uploads) == 1 else False
        renderers = [TextProgress(u.state, sys.stdout, interactive=interactive) for u in uploads]
    stop = threading.Event()

    def run(index: int) -> None:
        if stop.is_set():
            outcomes[index].error = NOT_STORED
            return
        uploads[index].start()
        _settle(uploads[index], outcomes[index])

    pool = ThreadPoolExecutor(max_workers=max(1, parallel), thread_name_prefix="sv-bulk")
    try:
        for future in [pool.submit(run, i) for i in range(len(uploads))]:
            future.result()
    except BaseException:  # Ctrl-C / kernel interrupt: stop everything, say where it stands
        stop.set()
        for upload in uploads:
            upload.cancel()
        pool.shutdown(wait=True, cancel_futures=True)
        for outcome in outcomes:
            if outcome.code is None and outcome.error is None:
                outcome.error = NOT_STORED
        print(summary(outcomes))
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        for renderer in renderers:
            renderer.close()
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


def dropzone(magics: Any, args: Any) -> Any:
    """``%sv_upload`` with no path: show an upload area for the person's own files; return it."""
    if not magics.session.use_widgets(magics.shell):
        raise UsageError(
            "what to upload? %sv_upload PATH_OR_URL (or %%sv_upload); in a notebook, "
            "%sv_upload alone shows an area to choose or drop files from your own computer"
        )
    if args.no_wait:
        raise UsageError("--no-wait is for a path or URL: the upload area follows each file")
    parallel = 2 if args.parallel is None else args.parallel
    if parallel < 1:
        raise UsageError(f"--parallel must be at least 1, not {parallel}")
    from IPython.display import display

    from sv_widgets.widgets import UploadDropzone

    zone = UploadDropzone(
        magics.session.client(),
        convert=not args.no_convert,
        sd_only=args.sd_only,
        mp4_only=args.mp4_only,
        parallel=parallel,
        transport=args.transport or "auto",
        poll_interval=magics.settings.poll_interval,
    )
    display(zone)  # type: ignore[no-untyped-call]  # shown when assigned too; once per cell
    return zone


def upload(magics: Any, args: Any, cell: str | None) -> Any:
    """``%sv_upload`` and ``%%sv_upload``: check the sources, run them, report."""
    if args.no_convert and (args.sd_only or args.mp4_only or args.no_wait):
        raise UsageError("--sd-only, --mp4-only and --no-wait need conversion: drop one")
    if cell is None and args.source is None:
        return dropzone(magics, args)
    if args.transport is not None:
        raise UsageError("--transport is for the upload area (%sv_upload with no path)")
    if cell is None:
        if args.parallel is not None:
            raise UsageError("--parallel is for the cell form, %%sv_upload")
        sources = [(1, check_source(args.source))]
    else:
        if args.source is not None:
            raise UsageError("%%sv_upload reads paths from the cell body, one per line")
        namespace = magics.shell.user_ns if magics.shell is not None else {}
        sources = sources_from_cell(cell, namespace)
    settings = magics.settings
    parallel = settings.parallel if args.parallel is None else args.parallel
    if parallel < 1:
        raise UsageError(f"--parallel must be at least 1, not {parallel}")
    from IPython.display import display

    from sv_widgets.uploads import UploadOptions

    options = UploadOptions(
        convert=not args.no_convert,
        sd_only=args.sd_only,
        mp4_only=args.mp4_only,
        wait=not args.no_wait,
        poll_interval=settings.poll_interval,
        conversion_timeout=settings.conversion_timeout,
    )
    outcomes = run_uploads(
        magics.session.client(),
        sources,
        options,
        parallel=parallel,
        widgets=magics.session.use_widgets(magics.shell),
        display=display,
    )
    if cell is not None:
        print(summary(outcomes))
        return [o.code for o in outcomes]  # a kept file (conversion failed) keeps its code
    outcome = outcomes[0]
    for note in outcome.notes:
        print(note)
    if outcome.error is not None:
        kept = f" (file {outcome.code} kept)" if outcome.code else ""
        raise UsageError(outcome.error + kept)
    return outcome.code
