"""Uploads as the magics run them: checked sources, N at a time, one outcome per source.

``%sv_upload PATH`` is a bulk upload of one. Every source is checked before anything is
sent (:func:`check_source`, :func:`sources_from_cell`); :func:`run_uploads` runs the
:class:`~sv_widgets.uploads.Upload` s, shown as widgets or as text lines, and turns each
into an :class:`UploadOutcome` that never raises; :func:`summary` says how it went.
``%sv_upload`` with no path shows an upload area for the person's own files instead
(:func:`dropzone`). Nothing here imports ``ipywidgets`` unless widgets are asked for.
"""

from __future__ import annotations

import contextlib
import functools
import html
import os
import sys
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
from sv_widgets.magics._command import api_errors, expand, one_line, split_words

if TYPE_CHECKING:  # pragma: no cover
    from sv_widgets.client import Client
    from sv_widgets.uploads import Upload, UploadOptions

__all__ = [
    "BulkRun",
    "UploadOutcome",
    "UploadResults",
    "check_source",
    "dropzone",
    "run_uploads",
    "sources_from_cell",
    "summary",
    "upload",
]

NOT_STORED = "cancelled: nothing was stored"
_SETTLE_SECONDS = 60  # after a cancel, how long to wait for the uploads to say where they stand


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
    """Record how one finished attempt ended; never raises for the upload's failure."""
    outcome.code, outcome.error, outcome.notes = None, None, []
    try:
        outcome.code = upload.result()
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


class UploadResults(list[str | None]):
    """The codes of a bulk upload, in input order (``None`` where nothing was stored).

    A row retried after the cell ended (its Retry button) replaces its entry here, and in the
    summary shown under the rows, once the new file is stored.
    """


class BulkRun:
    """One run of the magics' uploads: the rows, their views, the outcomes, the summary."""

    def __init__(self, uploads: Sequence[Upload], sources: Sequence[tuple[int, str]]) -> None:
        self.uploads = list(uploads)
        self.outcomes = [UploadOutcome(line, src) for line, src in sources]
        self.results = UploadResults([None] * len(sources))
        self.views: list[Any] = []
        self.summary_view: Any = None
        self.column: Any = None
        self.interrupted = False
        for index, upload in enumerate(self.uploads):
            upload.on_finish(functools.partial(self._finished, index))

    def _finished(self, index: int, _upload: Upload) -> None:
        _settle(self.uploads[index], self.outcomes[index])
        self.results[index] = self.outcomes[index].code
        if self.summary_view is not None and all(u.state.finished for u in self.uploads):
            from sv_widgets.widgets._tasks import set_traits

            text = f"<pre>{html.escape(summary(self.outcomes))}</pre>"
            set_traits(self.summary_view, value=text)
            if self.column is not None:
                self.column.settle()  # the saved HTML: every row's outcome and the summary

    def show(self, display: Callable[[Any], None]) -> None:
        """Draw the rows as widgets (one full widget, or compact rows and a summary)."""
        import ipywidgets

        from sv_widgets.widgets import UploadProgress
        from sv_widgets.widgets.upload import UploadColumn

        if len(self.uploads) == 1:
            self.views = [UploadProgress.showing(self.uploads[0])]
            display(self.views[0])
            return
        self.views = [UploadProgress.showing(u, compact=True) for u in self.uploads]
        self.summary_view = ipywidgets.HTML("")
        self.column = UploadColumn(self.views, self.summary_view)
        display(self.column)

    def run(self, parallel: int) -> None:
        """Run every upload, ``parallel`` at a time; an interrupt cancels what still runs."""
        for view in self.views:
            view.waiting(True)
        pool = ThreadPoolExecutor(max_workers=max(1, parallel), thread_name_prefix="sv-bulk")
        try:
            for future in [pool.submit(self._one, i) for i in range(len(self.uploads))]:
                future.result()
        except KeyboardInterrupt:  # Ctrl-C, a kernel interrupt, or Cancel while the cell waits
            self.interrupted = True
            self._stop(pool)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
            for view in self.views:
                view.waiting(False)

    def _one(self, index: int) -> None:
        if self.interrupted:
            self.outcomes[index].error = NOT_STORED
            return
        upload = self.uploads[index]
        upload.start()
        upload.done()

    def _stop(self, pool: ThreadPoolExecutor) -> None:
        for upload in self.uploads:
            upload.cancel()
        pool.shutdown(wait=False, cancel_futures=True)
        with contextlib.suppress(KeyboardInterrupt):  # a second interrupt: stop waiting
            for upload in self.uploads:
                if upload.started:
                    upload.done(_SETTLE_SECONDS)
        for outcome in self.outcomes:
            if outcome.code is None and outcome.error is None:
                outcome.error = NOT_STORED


def run_uploads(
    uploads: Sequence[Upload],
    sources: Sequence[tuple[int, str]],
    *,
    parallel: int,
    widgets: bool,
    display: Callable[[Any], None],
) -> BulkRun:
    """Upload every source, ``parallel`` at a time, one row each; never raises for a row.

    With ``widgets`` the rows are ``UploadProgress`` widgets (``display``); otherwise each
    prints plain-text lines to ``sys.stdout``, prefixed by the file's name, and no widget is
    built. A kernel interrupt (Ctrl-C, or Cancel while the cell waits) cancels what still
    runs and ends cleanly: ``run.interrupted`` says so, and every outcome says where its file
    was left.
    """
    from sv_widgets.uploads import TextProgress

    run = BulkRun(uploads, sources)
    renderers: list[TextProgress] = []
    if widgets:
        run.show(display)
    else:
        # One upload may redraw its line in place on a terminal; several rows cannot each own
        # the last line, so they print one line per step instead.
        interactive = None if len(run.uploads) == 1 else False
        renderers = [
            TextProgress(u.state, sys.stdout, interactive=interactive) for u in run.uploads
        ]
    try:
        run.run(parallel)
    finally:
        for renderer in renderers:
            renderer.close()
    return run


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
    from sv_widgets.uploads import Upload

    options = _options(settings, args, convert=not args.no_convert)
    client = magics.session.client()
    uploads = [Upload(client, src, options) for _, src in sources]
    run = _run(magics, uploads, sources, parallel)
    if cell is not None:
        if run.summary_view is None:
            print(summary(run.outcomes))
        return run.results  # a kept file (conversion failed) keeps its code
    return _one_result(run)


def convert(magics: Any, args: Any) -> str | None:
    """``%sv_convert``: request a stored file's conversion and follow it like an upload."""
    from sv_widgets.magics._files import check_file_code
    from sv_widgets.uploads import Upload

    code = check_file_code(args.code)
    client = magics.session.client()
    _check_convertible(client, code)
    options = _options(magics.settings, args, convert=True)
    upload = Upload.conversion(client, code, options)
    return _one_result(_run(magics, [upload], [(1, code)], 1))


def _check_convertible(client: Client, code: str) -> None:
    """A one-line ``UsageError`` before anything is drawn, unless ``code`` awaits conversion."""
    from sv_widgets.errors import FileAlreadyConverted, FileNotConverted

    with api_errors():
        try:
            client.file_info(code)
        except FileNotConverted as e:
            if e.progress is None and "progress" not in e.message.lower():
                return  # stored, never converted: what %sv_convert is for
            why = f"{code} is already converting; %sv_info {code} tells when it is ready"
            raise UsageError(FileNotConverted(why).summary) from None
    why = f"{code} is already converted; %sv_info {code} shows it"
    raise UsageError(FileAlreadyConverted(why).summary)


def _options(settings: Any, args: Any, *, convert: bool) -> UploadOptions:
    from sv_widgets.uploads import UploadOptions

    return UploadOptions(
        convert=convert,
        sd_only=args.sd_only,
        mp4_only=args.mp4_only,
        wait=not args.no_wait,
        poll_interval=settings.poll_interval,
        conversion_timeout=settings.conversion_timeout,
    )


def _run(
    magics: Any, uploads: Sequence[Upload], sources: Sequence[tuple[int, str]], parallel: int
) -> BulkRun:
    from IPython.display import display

    widgets = magics.session.use_widgets(magics.shell)
    return run_uploads(uploads, sources, parallel=parallel, widgets=widgets, display=display)


def _follow_up(upload: Upload, code: str) -> str:
    """What to do next with a file an interrupt left on the service."""
    if upload.options.convert:
        return f"%sv_info {code} tells when it is converted, %sv_delete {code} removes it"
    return f"%sv_convert {code} converts it, %sv_delete {code} removes it"


def _one_result(run: BulkRun) -> str | None:
    """The line form's answer: the code, or a ``UsageError``.

    After an interrupt: one line saying where the file was left (a terminal's text progress
    has printed it already; under a widget it is printed here, below it), no traceback, and
    the code of a file already stored, which stays on the service (``None`` when nothing
    was stored): the person stopped waiting, and the code is how to find the file again.
    """
    outcome = run.outcomes[0]
    for note in outcome.notes:
        print(note)
    if run.interrupted:
        name = os.path.basename(outcome.source) or outcome.source
        if run.views:  # a widget shows the upload; the cell's output gets the line too
            print(f"{name}: {outcome.error or 'done'}")
        if outcome.code and outcome.error:
            print(f"{outcome.code} is kept: {_follow_up(run.uploads[0], outcome.code)}")
        return outcome.code
    if outcome.error is not None:
        kept = f" (file {outcome.code} kept)" if outcome.code else ""
        raise UsageError(outcome.error + kept)
    return outcome.code
