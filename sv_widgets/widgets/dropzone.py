"""``UploadDropzone``: choose or drop videos in the notebook; they go from the person's own
computer to the service.

On Binder, JupyterHub, Colab or any remote kernel the video a person wants to upload is on
their laptop, out of the kernel's reach. This widget's front end (the page) holds the chosen
files and sends each one's bytes the way the kernel asks (:mod:`sv_widgets.uploads._session`):
directly to the upload server, or relayed through the widget's own channel in acknowledged
chunks that the kernel streams into the upload request, so that neither side ever holds a file
whole and nothing is written to disk.

Each chosen file is a row, and each row is an :class:`~sv_widgets.uploads.Upload` with its
:class:`~sv_widgets.uploads.UploadState`: the same pipeline, phases and figures as
``UploadProgress`` (initiate, transfer, convert, wait, thumbnail), with Cancel and Retry.
What the page says about a file (its name, its size) is checked before anything is sent; the
upload ticket reaches the page only in a custom message, never in a synced trait, so it is
never saved in a notebook. The widget keeps only its traits and its view: every message of
the page protocol is the session's (:class:`~sv_widgets.uploads._session.PageSession`), and
the page sets no trait (a state update from the front end is refused).
"""

from __future__ import annotations

import html
import secrets
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anywidget
from traitlets import Bool, Dict, List, TraitError, Unicode, validate

from sv_widgets._values import is_whole_number, shown
from sv_widgets.display import format_duration
from sv_widgets.errors import summarize
from sv_widgets.uploads import MODES, TERMINAL_PHASES, UploadOptions
from sv_widgets.uploads._protocol import LIMITS
from sv_widgets.uploads._session import PageRow, PageSession, SessionSettings
from sv_widgets.widgets._static import StaticHTML
from sv_widgets.widgets._styles import stylesheet
from sv_widgets.widgets._tasks import Coalescer, Runner, set_traits
from sv_widgets.widgets._upload_view import detail_text, upload_html

if TYPE_CHECKING:
    from sv_widgets.client import Client

__all__ = ["UploadDropzone"]

_STATIC = Path(__file__).parent / "static"
#: Rows a saved notebook's HTML lists (then a count of the rest).
_STATIC_ROWS = 200
STATE_REFUSED = "refused a change of the upload area's state from the page: the page sets no trait"


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

    relay_chunk_size: int = LIMITS.chunk_bytes
    relay_window: int = LIMITS.window

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
        self._changed = threading.Condition()  # notified on every change of any row
        self._runner = Runner(parallel, "sv-dropzone", on_error=self._task_failed)
        self._session = PageSession(
            client,
            options,
            self._send_to_page,
            SessionSettings(
                transport=lambda: self.transport,
                chunk=lambda: self.relay_chunk_size,
                window=lambda: self.relay_window,
            ),
            submit=self._runner.submit,
            changed=self._on_change,
            buffers_known=lambda ok: set_traits(self, relay="ready" if ok else "unavailable"),
            busy=lambda: CELLS.running,
        )
        self._link = self._session.link
        self._lock = self._session.lock
        self._rows = self._session.rows
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
        self._session.cancel_row(self._rows[index])

    def retry(self, index: int) -> None:
        """Upload the ``index``-th file again, after a failure or a cancel (its page must
        still hold it)."""
        self._session.retry_row(self._rows[index], None)

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
        if hasattr(self, "_session"):  # not when the constructor failed half way
            self._session.close()
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
            notice = self._session.receive(content, list(buffers or []))
        except Exception as exc:  # a bug of ours: say so and carry on serving the page
            notice = f"could not handle a message from the page: {summarize(exc)}"
        if notice:
            set_traits(self, notice=notice)

    def _handle_msg(self, msg: dict[str, Any]) -> None:
        """The comm's messages from the front end: custom messages go to the session, a state
        request is answered, and a state update is refused. The front end never sets a trait
        of this widget, so a page that tries is not the upload area's page: nothing changes,
        and no traceback is published."""
        content = msg.get("content") if isinstance(msg, dict) else None
        data = content.get("data") if isinstance(content, dict) else None
        method = data.get("method") if isinstance(data, dict) else None
        if isinstance(data, dict) and method == "custom" and "content" in data:
            self._handle_custom_msg(data["content"], list(msg.get("buffers") or []))
        elif method == "request_state":
            self.send_state()
        elif method == "update":
            set_traits(self, notice=STATE_REFUSED)
        else:
            set_traits(self, notice=f"refused a comm message of method {shown(method)}")

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

    def _view(self, row: PageRow) -> dict[str, Any]:
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
            "can_retry": row.can_retry(phase),
        }


_FILE_KEYS = ("name", "size", "phase", "progress", "file_code", "error")


def _serving_notebook() -> bool:
    """Whether this is the main thread of a kernel (which must stay free for messages)."""
    if threading.current_thread() is not threading.main_thread():
        return False
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover
        return False
    return getattr(get_ipython(), "kernel", None) is not None
