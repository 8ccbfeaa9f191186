"""``UploadDropzone``: choose or drop videos in the notebook; they go from the person's own
computer to the service.

On Binder, JupyterHub, Colab or any remote kernel the video a person wants to upload is on
their laptop, out of the kernel's reach. This widget's front end (the page) holds the chosen
files and sends each one's bytes the way the kernel asks (:mod:`sv_widgets.uploads._browser`):
directly to the upload server, or relayed through the widget's own channel in acknowledged
chunks that the kernel streams into the upload request, so that neither side ever holds a file
whole and nothing is written to disk.

Each chosen file is a row, and each row is an :class:`~sv_widgets.uploads.Upload` with its
:class:`~sv_widgets.uploads.UploadState`: the same pipeline, phases and figures as
``UploadProgress`` (initiate, transfer, convert, wait, thumbnail), with Cancel and Retry.
What the page says about a file (its name, its size) is checked before anything is sent; the
upload ticket reaches the page only in a custom message, never in a synced trait, so it is
never saved in a notebook.
"""

from __future__ import annotations

import html
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anywidget
from traitlets import Bool, Dict, List, TraitError, Unicode, validate

from sv_widgets._values import is_whole_number, shown
from sv_widgets.display import format_duration
from sv_widgets.errors import FileserverError, summarize
from sv_widgets.uploads import (
    MODES,
    TERMINAL_PHASES,
    BrowserFile,
    PageLink,
    Upload,
    UploadOptions,
    UploadState,
    clean_file_name,
)
from sv_widgets.uploads._page import check_id, check_size
from sv_widgets.widgets._static import StaticHTML
from sv_widgets.widgets._styles import stylesheet
from sv_widgets.widgets._tasks import Coalescer, Runner, set_traits
from sv_widgets.widgets._upload_view import detail_text, upload_html

if TYPE_CHECKING:
    from sv_widgets.client import Client

__all__ = ["UploadDropzone"]

_STATIC = Path(__file__).parent / "static"
MIB = 1024 * 1024
#: Rows one upload area keeps, and files one message from the page may add.
MAX_ROWS = 10_000
MAX_FILES_PER_MESSAGE = 1_000
#: What a page's hello carries as its one binary buffer: it proves buffers reach the kernel.
PROBE = b"svz!"
_NAME_SHOWN = 80
#: Rows a saved notebook's HTML lists (then a count of the rest).
_STATIC_ROWS = 200
#: The API's code for a file the service could not process (a conversion refused).
FILESERVER_ERROR = FileserverError.default_code


class _Cells:
    """Whether a notebook cell is running: the kernel then reads no message from a page."""

    def __init__(self) -> None:
        self.running = False
        self._watched: set[int] = set()

    def watch(self) -> None:
        """Follow the current IPython shell's cells (once per shell; nothing outside one)."""
        try:
            from IPython import get_ipython
        except ImportError:  # pragma: no cover - IPython is a dependency
            return
        shell = get_ipython()
        if shell is None or id(shell) in self._watched:
            return
        self._watched.add(id(shell))
        shell.events.register("pre_run_cell", self._started)
        shell.events.register("post_run_cell", self._ended)

    def _started(self, info: Any) -> None:
        self.running = True

    def _ended(self, result: Any) -> None:
        self.running = False


CELLS = _Cells()


@dataclass
class _Row:
    """One chosen file: who holds it, how it travels, and its upload."""

    id: str
    key: str
    page: str
    mode: str
    state: UploadState
    upload: Upload | None = None  # None: refused before anything was sent
    queued: bool = False
    generation: int = 0  # bumped by each (re)scheduling: a stale queued task does nothing


def _refused_name(raw: object) -> str:
    """The name a refused row shows for what the page sent as a file's name."""
    if not isinstance(raw, str) or not raw:
        return "(no name)"
    return shown(raw, _NAME_SHOWN, quote=False)


class UploadDropzone(StaticHTML, anywidget.AnyWidget):
    """A drop target and a "Choose files" button: each file is uploaded from the page.

    Parameters
    ----------
    client
        The :class:`~sv_widgets.client.Client` that initiates every upload (its private
        key never leaves the kernel).
    multiple
        Let the chooser (and a drop) take several files at once.
    accept
        The chooser's file filter (``<input accept>``); a drop is not filtered.
    convert, sd_only, mp4_only
        What to ask of the service once a file is stored (as ``UploadProgress``).
    parallel
        Files uploading at once; the others wait in the queue.
    transport
        ``"auto"`` (direct when the page can reach the upload server, else relayed through
        the kernel), ``"direct"`` or ``"relay"``. Applies to files chosen from then on.
    poll_interval
        Seconds between conversion-status polls.

    Attributes
    ----------
    files : list of dict
        One per chosen file, in the order chosen: ``name``, ``size``, ``phase``,
        ``progress``, ``file_code``, ``error``.
    codes : list of str
        The codes stored so far, in the order chosen (a file whose conversion failed keeps
        its code, so it can be deleted).
    relay_chunk_size, relay_window
        The relay's chunk size in bytes and how many chunks may wait unacknowledged (class
        defaults; set on an instance before files are chosen to change them).
    page_timeout
        Seconds of silence from a page (20 by default) after which its uploads stop.
    relay : str
        Whether the page that last opened the area can relay: ``"ready"`` (its binary
        buffers reach the kernel), ``"unavailable"`` (they do not: it says so, and only
        direct uploads work from it), ``"unknown"`` before any page said hello.

    Examples
    --------
    >>> zone = UploadDropzone(client, parallel=3)   # doctest: +SKIP
    >>> zone                                        # doctest: +SKIP
    >>> zone.codes                                  # doctest: +SKIP
    ['1700000000-AbC123']
    """

    _esm = _STATIC / "dropzone.js"
    _css = stylesheet("dropzone")

    multiple = Bool(True).tag(sync=True)
    accept = Unicode("video/*").tag(sync=True)
    transport = Unicode("auto").tag(sync=True)
    rows = List(Dict()).tag(sync=True)
    thumbnails = Dict().tag(sync=True)
    notice = Unicode("").tag(sync=True)
    relay = Unicode("unknown").tag(sync=True)
    _uid = Unicode("").tag(sync=True)
    files = List(Dict())
    codes = List(Unicode())

    relay_chunk_size: int = 4 * MIB
    relay_window: int = 4

    def __init__(
        self,
        client: Client,
        *,
        multiple: bool = True,
        accept: str = "video/*",
        convert: bool = True,
        sd_only: bool = False,
        mp4_only: bool = False,
        parallel: int = 2,
        transport: str = "auto",
        poll_interval: float = 1.0,
    ) -> None:
        if not is_whole_number(parallel) or parallel < 1:
            raise ValueError(f"parallel must be a whole number >= 1, not {parallel!r}")
        if transport not in MODES:
            raise ValueError(f"transport must be one of {', '.join(MODES)}, not {transport!r}")
        options = UploadOptions(
            convert=convert, sd_only=sd_only, mp4_only=mp4_only, poll_interval=poll_interval
        )
        super().__init__(
            multiple=multiple, accept=accept, transport=transport, _uid=secrets.token_hex(8)
        )
        self._client = client
        self.options = options
        self._rows: list[_Row] = []
        self._by_id: dict[str, _Row] = {}
        self._lock = threading.RLock()  # the rows; never held while waiting on an upload
        self._changed = threading.Condition()  # notified on every change of any row
        self._runner = Runner(parallel, "sv-dropzone", on_error=self._task_failed)
        self._link = PageLink(self._send_to_page, busy=lambda: CELLS.running)
        self._publish = Coalescer(0.2, self._flush)
        self._shown_in: int | None = None
        CELLS.watch()
        self.on_msg(self._on_msg)

    @validate("transport")
    def _valid_transport(self, proposal: Any) -> str:
        value = proposal["value"]
        if value not in MODES:
            raise TraitError(f"transport must be one of {', '.join(MODES)}, not {value!r}")
        return str(value)

    # -- public -------------------------------------------------------------------------
    @property
    def page_timeout(self) -> float:
        """Seconds of silence from a page, while the kernel was free to hear it, after which
        its uploads stop as abandoned (a closed tab; a reload whose goodbye was lost)."""
        return self._link.page_timeout

    @page_timeout.setter
    def page_timeout(self, seconds: float) -> None:
        self._link.page_timeout = float(seconds)

    def cancel(self, index: int) -> None:
        """Cancel the upload of the ``index``-th file chosen (see :attr:`files`)."""
        self._cancel_row(self._rows[index])

    def retry(self, index: int) -> None:
        """Upload the ``index``-th file again, after a failure or a cancel (its page must
        still hold it)."""
        self._retry_row(self._rows[index], None)

    def wait(self, timeout: float | None = None) -> list[str]:
        """Block until every file chosen so far has finished; return :attr:`codes`.

        Not on the kernel's main thread while it serves the notebook: that thread must be
        free to read the page's messages, or nothing would move (look at ``codes`` in a
        later cell instead). Raises ``TimeoutError`` when ``timeout`` seconds pass first.
        """
        if _serving_notebook():
            raise RuntimeError(
                "wait() would stop the kernel reading the page's messages, and with them the "
                "uploads: look at .codes or .files in a later cell instead"
            )
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._changed:
            while not all(r.state.finished and not r.queued for r in self._rows):
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise TimeoutError(f"uploads still running after {timeout} s")
                self._changed.wait(left if left is None else min(left, 1.0))
        self._publish.flush_now()
        return list(self.codes)

    def close(self) -> None:
        """Cancel running uploads, stop background work and close the widget."""
        if hasattr(self, "_link"):  # not when the constructor failed half way
            for row in list(self._rows):
                self._cancel_row(row)
            self._link.close()
            self._runner.shutdown()
        super().close()

    def __repr__(self) -> str:
        stored = sum(1 for r in self._rows if r.state.file_code)
        return f"<UploadDropzone: {len(self._rows)} files chosen, {stored} stored>"

    def _ipython_display_(self) -> None:
        """Show the area, at most once per cell: ``%sv_upload`` shows it and returns it, and
        IPython would otherwise show the returned value a second time."""
        from IPython import get_ipython

        count = getattr(get_ipython(), "execution_count", None)
        if count is not None and count == self._shown_in:
            return
        self._shown_in = count
        super()._ipython_display_()  # with a display id: the saved HTML follows the files

    def _static_html(self) -> str:
        """What a saved notebook shows: the files chosen here and where each one ended."""
        with self._lock:
            states = [r.state for r in self._rows]
        if states:
            stored = sum(1 for state in states if state.file_code)
            caption = f"Upload area: {len(states)} chosen, {stored} stored"
        else:
            caption = "Upload area: no file chosen (run the notebook to choose or drop videos)"
        rows = "".join(f"<div>{upload_html(state)}</div>" for state in states[:_STATIC_ROWS])
        if len(states) > _STATIC_ROWS:
            rows += f"<div>… and {len(states) - _STATIC_ROWS} more</div>"
        return f'<div class="sv-dropzone-saved"><strong>{html.escape(caption)}</strong>{rows}</div>'

    def _static_state(self) -> tuple[tuple[str, str], ...] | None:
        """How every chosen file ended, once all have: the HTML is replaced only then (a
        display update draws the live view anew, which is harmless at rest)."""
        with self._lock:
            phases = [(r.id, "queued" if r.queued else r.state.phase) for r in self._rows]
        if not phases or any(phase not in TERMINAL_PHASES for _, phase in phases):
            return None
        return tuple(phases)

    # -- the page -> the kernel ---------------------------------------------------------
    def _send_to_page(self, content: dict[str, Any], buffers: list[bytes] | None) -> None:
        self.send(content, buffers)

    def _on_msg(self, _widget: Any, content: Any, buffers: Any) -> None:
        try:
            notice = self._dispatch(content, list(buffers or []))
        except Exception as exc:  # whatever a page sends, the kernel carries on
            notice = f"could not handle a message from the page: {summarize(exc)}"
        if notice:
            set_traits(self, notice=notice)

    def _dispatch(self, content: Any, buffers: list[Any]) -> str | None:
        if not isinstance(content, dict):
            return "refused a message from the page: not a JSON object"
        kind = content.get("type")
        if kind == "hello":
            return self._hello(content, buffers)
        if kind == "add":
            return self._add(content)
        if kind in ("cancel", "retry"):
            return self._row_action(kind, content)
        return self._link.handle(content, buffers)

    def _hello(self, content: dict[str, Any], buffers: list[Any]) -> str | None:
        try:
            page = check_id(content.get("page"), "page")
        except ValueError as e:
            return f"refused a message from the page: {e}"
        self._link.page_seen(page)
        probe = memoryview(buffers[0]) if len(buffers) == 1 else memoryview(b"")
        ok = probe.nbytes == len(PROBE) and probe.tobytes() == PROBE
        self._link.buffers_reach_kernel(page, ok)
        set_traits(self, relay="ready" if ok else "unavailable")
        self.send({"type": "welcome", "page": page, "buffers": ok})
        return None

    def _add(self, content: dict[str, Any]) -> str | None:
        try:
            page = check_id(content.get("page"), "page")
        except ValueError as e:
            return f"refused files from the page: {e}"
        entries = content.get("files")
        if not isinstance(entries, list) or not entries:
            return "refused an add message without files"
        if len(entries) > MAX_FILES_PER_MESSAGE:
            return f"refused {len(entries):,} files at once (at most {MAX_FILES_PER_MESSAGE:,})"
        with self._lock:
            room = MAX_ROWS - len(self._rows)
            for entry in entries[:room]:
                self._add_one(page, entry if isinstance(entry, dict) else {})
        self._publish.mark()
        if len(entries) > room:
            return f"refused {len(entries) - room:,} files: an upload area keeps {MAX_ROWS:,}"
        return None

    def _add_one(self, page: str, entry: dict[str, Any]) -> None:
        row_id = f"f{len(self._rows) + 1}"
        try:
            key = check_id(entry.get("key"), "the file id")
            name = clean_file_name(entry.get("name"))
            size = check_size(entry.get("size"))
        except ValueError as e:
            declared = entry.get("size")
            known = declared if is_whole_number(declared) else 0
            state = UploadState(name=_refused_name(entry.get("name")), total=max(0, known))
            state.apply(phase="failed", error=f"refused: {e}", state="failed: nothing was sent")
            # Keyed as the page keyed it (when that key is sound), so that the page can match
            # the refusal to the file it is waiting on and stop waiting.
            self._register(_Row(row_id, _key_or_blank(entry), page, self.transport, state))
            return
        file = BrowserFile(page, key, name, size)
        row = _Row(row_id, key, page, self.transport, UploadState(name=name, total=size))
        transfer = self._link.transfer(
            self._client, file, row.mode, chunk=self.relay_chunk_size, window=self.relay_window
        )
        row.upload = Upload(
            self._client, file, self.options, transfer=transfer, name=name, size=size
        )
        row.state = row.upload.state
        self._register(row)
        self._schedule(row)

    def _register(self, row: _Row) -> None:
        self._rows.append(row)
        self._by_id[row.id] = row
        row.state.observe(lambda _c: self._on_change(), names="revision")

    def _row_action(self, kind: str, content: dict[str, Any]) -> str | None:
        row_id = content.get("row")
        row = self._by_id.get(row_id) if isinstance(row_id, str) else None
        if row is None:
            return f"refused a {kind} for an unknown file {shown(content.get('row'))}"
        if kind == "cancel":
            self._cancel_row(row)
            return None
        try:
            page = check_id(content.get("page"), "page")
        except ValueError as e:
            return f"refused a retry: {e}"
        self._retry_row(row, page)
        return None

    # -- rows ---------------------------------------------------------------------------
    def _schedule(self, row: _Row) -> None:
        with self._lock:
            row.queued = True
            row.generation += 1
            generation = row.generation
        self._runner.submit(self._run_row, row, generation)

    def _run_row(self, row: _Row, generation: int) -> None:
        # Under the lock, so that a cancel sees the row either queued or started. Starting
        # takes no lock a running upload holds, so this cannot deadlock with its updates.
        with self._lock:
            if generation != row.generation or not row.queued or row.upload is None:
                return  # cancelled (or retried) while it waited
            row.queued = False
            row.upload.start()
        row.upload.done(None)

    def _cancel_row(self, row: _Row) -> None:
        with self._lock:
            was_queued, row.queued = row.queued, False
        if was_queued:  # not started: nothing was sent
            row.state.apply(phase="cancelled", state="cancelled: nothing was stored")
        elif row.upload is not None:
            row.upload.cancel()

    def _retry_row(self, row: _Row, page: str | None) -> None:
        with self._lock:
            if row.queued or not _can_retry(row, row.state.phase):
                return
            holder = (page is None or page == row.page) and not self._link.is_gone(row.page)
        if not holder:
            row.state.apply(
                state="cannot retry: this page does not hold the file (it was chosen before "
                "a reload or in another tab); choose it again"
            )
            return
        row.state.apply(phase="idle", progress=0.0, error="", error_code=None, state="queued")
        self._schedule(row)

    def _task_failed(self, exc: BaseException) -> None:
        set_traits(self, notice=f"an upload task failed unexpectedly: {summarize(exc)}")

    # -- the kernel -> the page ---------------------------------------------------------
    def _on_change(self) -> None:
        with self._changed:
            self._changed.notify_all()
        self._publish.mark()

    def _flush(self) -> None:
        with self._lock:
            rows = [self._view(r) for r in self._rows]
            files = [{k: v[k] for k in _FILE_KEYS} for v in rows]
            codes = [r.state.file_code for r in self._rows if r.state.file_code]
            thumbs = {r.id: r.state.thumbnail for r in self._rows if r.state.thumbnail}
            traits: dict[str, Any] = {"rows": rows, "files": files, "codes": codes}
            if thumbs.keys() != self.thumbnails.keys():
                traits["thumbnails"] = thumbs
            set_traits(self, **traits)
        self._settle_static()

    def _view(self, row: _Row) -> dict[str, Any]:
        state = row.state
        info = state.info
        phase = "queued" if row.queued or state.phase == "idle" else state.phase
        return {
            "id": row.id,
            "key": row.key,
            "page": row.page,
            "name": state.name,
            "size": state.total,
            "phase": phase,
            "progress": state.progress,
            "sent": state.sent,
            "detail": "queued" if phase == "queued" else detail_text(state),
            "message": state.state,
            "error": state.error,
            "transport": state.transport,
            "note": state.transport_note,
            "file_code": state.file_code,
            "duration": format_duration(info.playtime) if info is not None else "",
            "can_cancel": phase not in TERMINAL_PHASES,
            "can_retry": _can_retry(row, phase),
        }


_FILE_KEYS = ("name", "size", "phase", "progress", "file_code", "error")


def _key_or_blank(entry: dict[str, Any]) -> str:
    try:
        return check_id(entry.get("key"), "the file id")
    except ValueError:
        return ""


def _can_retry(row: _Row, phase: str) -> bool:
    """Whether Retry can help. Not for a file the service stored and then refused to convert
    (not a video, damaged): the page would send the same bytes, to the same end."""
    if row.upload is None or phase not in ("failed", "cancelled"):
        return False
    state = row.state
    return not (phase == "failed" and state.file_code and state.error_code == FILESERVER_ERROR)


def _serving_notebook() -> bool:
    """Whether this is the main thread of a kernel (which must stay free for messages)."""
    if threading.current_thread() is not threading.main_thread():
        return False
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover
        return False
    return getattr(get_ipython(), "kernel", None) is not None
