"""A page for ``UploadDropzone`` in Python: what ``dropzone.js`` does, without a browser.

:class:`FakePage` stands where the browser tab stands: it receives what the kernel sends
(the widget's ``send`` is replaced) and answers through the widget's message handler, as
ipywidgets would deliver a page's custom message (content plus binary buffers). Relays send
``File.slice``-like chunks within the window the kernel acknowledges; direct uploads POST the
bytes to the ticket URL with ``requests`` (as the page's XHR does), reporting progress and the
server's answer. Tests drive it and also hand-craft hostile messages with :meth:`deliver`,
which adds the secret of the page's welcome to every message after the hello (as the page
does) unless the message names a ``secret`` of its own.

Message types are the protocol module's (``FromPage``, ``FromKernel``), so that a renamed
type cannot leave this page speaking the old one.

Nothing here sleeps to synchronise: every wait is on a condition, bounded by a timeout.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests

from sv_widgets.uploads._protocol import PROBE, FromKernel, FromPage
from sv_widgets.widgets import UploadDropzone

WAIT = 60.0


@dataclass
class PageFile:
    name: str
    data: bytes
    sent_chunks: list[int] = field(default_factory=list)


class FakePage:
    """One browser tab showing ``zone``.

    Parameters
    ----------
    zone
        The upload area; its ``send`` now reaches this page.
    page
        The page's id.
    direct
        What a direct upload does: ``"post"`` (POST to the ticket URL), ``"unreachable"``
        (the page finds the server out of reach), ``"cors"`` (the POST fails before any
        byte, as a refused preflight does), ``"manual"`` (nothing: the test answers).
    """

    def __init__(self, zone: UploadDropzone, page: str = "page1", *, direct: str = "post") -> None:
        self.zone = zone
        self.page = page
        self.direct = direct
        self.files: dict[str, PageFile] = {}
        self.secret = ""
        self.received: list[dict[str, Any]] = []
        self.acked: dict[str, int] = {}
        self.stopped: set[str] = set()
        self.gate: threading.Event | None = None  # when set up, a relay pauses before a chunk
        self.paused = threading.Event()
        self.pause_at = 0
        self._cv = threading.Condition()
        self._threads: list[threading.Thread] = []
        zone.send = self._receive  # type: ignore[method-assign]

    # -- the page -> the kernel ---------------------------------------------------------
    def deliver(self, content: dict[str, Any], buffers: list[Any] | None = None) -> None:
        """Hand the kernel one message, as ipywidgets delivers a page's custom message."""
        if isinstance(content, dict) and content.get("type") != FromPage.HELLO:
            content = {"secret": self.secret, **content}
        self.zone._on_msg(self.zone, content, buffers or [])

    def hello(self, *, buffers: bool = True) -> None:
        self.deliver({"type": FromPage.HELLO, "page": self.page}, [PROBE] if buffers else [])

    def add(self, name: str, data: bytes, key: str | None = None) -> str:
        key = key or f"k{len(self.files) + 1}"
        self.files[key] = PageFile(name, data)
        self.deliver(
            {
                "type": FromPage.ADD,
                "page": self.page,
                "files": [{"key": key, "name": name, "size": len(data), "mime": "video/mp4"}],
            }
        )
        return key

    def hold_relay_at(self, offset: int) -> threading.Event:
        """Make relays pause before sending the chunk at or after ``offset``; returns the
        event that lets them go on (``paused`` is set once one waits)."""
        self.pause_at = offset
        self.gate = threading.Event()
        return self.gate

    # -- the kernel -> the page ---------------------------------------------------------
    def messages(self, kind: str) -> list[dict[str, Any]]:
        with self._cv:
            return [m for m in self.received if m.get("type") == kind]

    def wait_for(self, condition: Callable[[], bool], what: str, timeout: float = WAIT) -> None:
        with self._cv:
            if not self._cv.wait_for(condition, timeout):
                raise AssertionError(f"not true within {timeout:.0f} s: {what}")

    def _receive(self, content: dict[str, Any], buffers: list[bytes] | None = None) -> None:
        with self._cv:
            self.received.append(content)
            kind = content.get("type")
            if kind == FromKernel.ACK:
                self.acked[content["tid"]] = content["offset"]
            elif kind == FromKernel.STOP:
                self.stopped.add(content["tid"])
            elif kind == FromKernel.WELCOME and content.get("page") == self.page:
                self.secret = content["secret"]
            self._cv.notify_all()
        if content.get("page") != self.page:
            return
        if kind == FromKernel.RELAY:
            self._start(self._relay, content)
        elif kind == FromKernel.DIRECT:
            self._start(self._direct, content)

    def _start(self, target: Callable[[dict[str, Any]], None], content: dict[str, Any]) -> None:
        thread = threading.Thread(target=target, args=(content,), daemon=True)
        self._threads.append(thread)
        thread.start()

    def _relay(self, msg: dict[str, Any]) -> None:
        tid, chunk, window = msg["tid"], msg["chunk"], msg["window"]
        file = self.files[msg["key"]]
        offset = 0
        while offset < len(file.data):
            with self._cv:
                self._cv.wait_for(
                    lambda at=offset: (
                        tid in self.stopped  # type: ignore[misc]
                        or at - self.acked.get(tid, 0) < chunk * window
                    ),
                    WAIT,
                )
                if tid in self.stopped:
                    break
            if self.gate is not None and offset >= self.pause_at:
                self.paused.set()
                self.gate.wait(WAIT)
                if tid in self.stopped:
                    break
            piece = file.data[offset : offset + chunk]
            file.sent_chunks.append(offset)
            self.deliver(
                {"type": FromPage.CHUNK, "tid": tid, "offset": offset}, [memoryview(piece)]
            )
            offset += len(piece)
        if tid in self.stopped:
            self.deliver({"type": FromPage.STOPPED, "tid": tid})

    def _direct(self, msg: dict[str, Any]) -> None:
        tid = msg["tid"]
        if self.direct == "manual":
            return
        if self.direct == "unreachable":
            self.deliver(
                {"type": FromPage.FAILED, "tid": tid, "sent": 0, "reason": "unreachable",
                 "message": "the upload server is on the kernel's own machine (loopback)"}
            )  # fmt: skip
            return
        if self.direct == "cors":
            self.deliver(
                {"type": FromPage.FAILED, "tid": tid, "sent": 0, "reason": "network",
                 "message": "the upload server could not be reached from this page"}
            )  # fmt: skip
            return
        file = self.files[msg["key"]]
        self.deliver({"type": FromPage.PROGRESS, "tid": tid, "sent": len(file.data) // 2})
        reply = requests.post(msg["url"], files={"file": (msg["name"], file.data)}, timeout=60)
        self.deliver(
            {"type": FromPage.RESULT, "tid": tid, "status": reply.status_code, "body": reply.text}
        )

    def join(self) -> None:
        for thread in self._threads:
            thread.join(WAIT)
