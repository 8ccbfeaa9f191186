"""The upload area's page protocol, declared once: every message both ways, its fields, the limits.

The upload area's front end (the *page*: a browser tab) and the kernel speak in the JSON
content of the widget's custom messages; a relayed chunk's bytes are the one binary buffer of
its message. This module is the only place in Python where a message type is spelled: the
kernel builds what it sends with :func:`kernel_message` and reads what a page sends with
:func:`parse`, which checks every field of every message for its type before anything else
sees it. The page's own table (``js/src/dropzone/protocol.js``) is held to this one by
``tests/uploads/test_protocol_front_end.py``, and ``docs/wire-contract.md`` is written from it by
``scripts/wire_contract.py``.

A page proves who it is with the ``secret`` of its ``welcome``: every message after its
``hello`` carries it, and a message whose secret is not that of the page (or of the upload) it
names changes nothing. The secret travels only in custom messages, never in a synced trait.

Examples
--------
>>> message = parse({"type": "progress", "tid": "t1", "secret": "s1", "sent": 5}, [])
>>> message.kind, message["sent"]
('progress', 5)
>>> parse({"type": "failed", "tid": "t1", "secret": "s1", "sent": 0, "reason": ["x"],
...        "message": ""}, [])
Traceback (most recent call last):
...
sv_widgets.uploads._protocol.ProtocolError: an unknown failure reason ['x']
>>> kernel_message("tick", busy=False)
{'type': 'tick', 'busy': False}
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from sv_widgets._values import is_whole_number, shown

__all__ = [
    "FAILURE_REASONS",
    "FALLBACK_REASONS",
    "FILE_FIELDS",
    "KERNEL_MESSAGES",
    "LIMITS",
    "NO_BUFFERS",
    "PAGE_MESSAGES",
    "PAGE_TIMING",
    "PROBE",
    "TRANSPORTS",
    "Field",
    "FromKernel",
    "FromPage",
    "Limits",
    "MessageType",
    "PageMessage",
    "ProtocolError",
    "check_id",
    "kernel_message",
    "parse",
]

MIB: Final = 1024 * 1024

#: How an upload's bytes may travel: ``auto`` tries ``direct`` and relays when it cannot.
TRANSPORTS: Final = ("auto", "direct", "relay")

#: What a page's ``hello`` carries as its one binary buffer: it proves buffers reach the kernel.
PROBE: Final = b"svz!"


@dataclass(frozen=True)
class Limits:
    """The kernel's limits and timings (seconds); the widget's class attributes take their
    defaults from here."""

    chunk_bytes: int = field(default=4 * MIB, metadata={"about": "a relay's largest chunk"})
    window: int = field(
        default=4, metadata={"about": "relayed chunks that may wait unacknowledged"}
    )
    name_chars: int = field(
        default=255,
        metadata={"about": "longest file name accepted (what common file systems allow)"},
    )
    size_max: int = field(
        default=2**53 - 1,
        metadata={"about": "largest size a page may declare: JavaScript's largest exact integer"},
    )
    id_chars: int = field(default=64, metadata={"about": "longest page, file, row or upload id"})
    body_bytes: int = field(
        default=MIB, metadata={"about": "the largest upload server answer a page may report"}
    )
    message_chars: int = field(
        default=300, metadata={"about": "of a page's own failure message, kept"}
    )
    text_chars: int = field(
        default=65_536, metadata={"about": "longest text field a page may send at all"}
    )
    files_per_message: int = field(
        default=1_000, metadata={"about": "files one add message may list"}
    )
    rows: int = field(default=10_000, metadata={"about": "rows one upload area keeps"})
    pages: int = field(
        default=256,
        metadata={"about": "pages one upload area remembers (the oldest quiet one is forgotten)"},
    )
    ended_kept: int = field(
        default=1_024,
        metadata={"about": "ended upload ids remembered, so late chunks pass quietly"},
    )
    page_timeout: float = field(
        default=20.0, metadata={"about": "silence from a page after which its uploads stop"}
    )
    stop_grace: float = field(
        default=5.0,
        metadata={"about": "a cancelled direct upload waits this long for the page's word"},
    )
    tick: float = field(
        default=1.0, metadata={"about": "between the kernel's ticks while uploads are live"}
    )


LIMITS: Final = Limits()

#: The page's own limits and timings (milliseconds), which it keeps and the kernel relies on.
PAGE_TIMING: Final = {
    "BODY_CHARS": 65_536,  # of the upload server's answer, passed on in `result`
    "CHUNK_BYTES": MIB,  # a relay's chunk when the kernel names none
    "WINDOW": 1,  # chunks unacknowledged at once when the kernel names none
    "KEY_BYTES": 6,  # random bytes of a file's key (a page id has 9)
    "WAIT_NOTE_MS": 1500,  # unanswered this long: the page says it waits for the kernel
    "ALIVE_MS": 3000,  # while uploads run: the page's heartbeat after this long unheard
    "KERNEL_SILENCE_MS": 20_000,  # no tick this long while uploading: the kernel is gone
    "PROGRESS_MS": 2000,  # direct progress reports: this long apart, none the answer overtakes
    "DRAW_MS": 500,  # the page redraws a direct upload's progress at most this often
}

#: Why a page gave up on an upload (``failed.reason``); the first two let ``auto`` relay.
FALLBACK_REASONS: Final = ("network", "unreachable")
FAILURE_REASONS: Final = (*FALLBACK_REASONS, "read", "missing", "buffers")

NO_BUFFERS: Final = (
    "this front end does not send binary data from the page to the kernel, so the kernel "
    "cannot relay the file (a direct upload from the page still can)"
)


class FromPage:
    """The types of message a page sends (the only spelling of them in Python)."""

    HELLO: Final = "hello"
    ADD: Final = "add"
    CANCEL: Final = "cancel"
    RETRY: Final = "retry"
    CHUNK: Final = "chunk"
    PROGRESS: Final = "progress"
    RESULT: Final = "result"
    FAILED: Final = "failed"
    STOPPED: Final = "stopped"
    ALIVE: Final = "alive"
    BYE: Final = "bye"


class FromKernel:
    """The types of message the kernel sends."""

    WELCOME: Final = "welcome"
    DIRECT: Final = "direct"
    RELAY: Final = "relay"
    ACK: Final = "ack"
    STOP: Final = "stop"
    TICK: Final = "tick"


#: The cancel button's one message (``CancelButton``, beside ``UploadProgress``).
CANCEL_BUTTON: Final = "cancel"

_ID = re.compile(f"[A-Za-z0-9_-]{{1,{LIMITS.id_chars}}}")


class ProtocolError(ValueError):
    """A page's message that breaks the protocol, and the reason.

    ``kind``, ``tid``, ``page`` and ``secret`` are what of the message was sound before the
    fault (empty when not), so that the kernel can stop the upload a sound sender named.
    """

    def __init__(self, reason: str, *, kind: str = "", ids: dict[str, str] | None = None):
        super().__init__(reason)
        self.kind = kind
        ids = ids or {}
        self.tid = ids.get("tid", "")
        self.page = ids.get("page", "")
        self.secret = ids.get("secret", "")


def a_message(kind: str) -> str:
    """``"a cancel message"``, ``"an add message"``; ``"a message"`` for no kind."""
    if not kind:
        return "a message"
    return f"{'an' if kind[0] in 'aeiou' else 'a'} {kind} message"


def check_id(value: object, what: str) -> str:
    """An id (letters, digits, ``-`` and ``_``, at most 64), or ``ValueError``."""
    if isinstance(value, str) and _ID.fullmatch(value):
        return value
    raise ValueError(f"{what} {shown(value)} is not an id")


# -- the kinds of field ------------------------------------------------------------------
def _id(value: object, about: str) -> str:
    return check_id(value, about)


def _whole(value: object, about: str) -> int:
    if not is_whole_number(value):
        raise ValueError(f"{about} {shown(value)} is not a whole number")
    if not 0 <= value <= LIMITS.size_max:
        raise ValueError(f"{about} {value} is out of range")
    return value


def _status(value: object, about: str) -> int:
    status = _whole(value, about)
    if status > 999:
        raise ValueError(f"{about} {status} is out of range")
    return status


def _text(value: object, about: str) -> str:
    if not isinstance(value, str) or len(value) > LIMITS.text_chars:
        raise ValueError(f"{about} {shown(value)} is not text of at most 64 KiB")
    return value


def _body(value: object, about: str) -> str:
    if not isinstance(value, str) or len(value) > LIMITS.body_bytes:
        raise ValueError(f"{about} is not text of at most 1 MiB")
    return value


def _reason(value: object, about: str) -> str:
    if not isinstance(value, str) or value not in FAILURE_REASONS:
        raise ValueError(f"an unknown failure reason {shown(value)}")
    return value


def _files(value: object, about: str) -> list[Any]:
    if not isinstance(value, list) or not value:
        raise ValueError(f"{about} {shown(value)} are not a list of files")
    most = LIMITS.files_per_message
    if len(value) > most:
        raise ValueError(f"{len(value):,} files at once (at most {most:,})")
    return value


def _bool(value: object, about: str) -> bool:
    if not isinstance(value, bool):
        raise ValueError(f"{about} {shown(value)} is not true or false")
    return value


#: Each kind of field: its check (returns the value or raises ``ValueError``), its JSON type.
KINDS: Final = {
    "id": (_id, "string: letters, digits, - and _, at most 64"),
    "secret": (_id, "string: the secret of the page's welcome"),
    "whole": (_whole, "number: a whole number, 0 to 2^53 - 1"),
    "status": (_status, "number: a whole number, 0 to 999"),
    "text": (_text, "string, at most 64 KiB"),
    "body": (_body, "string, at most 1 MiB"),
    "reason": (_reason, "string: " + ", ".join(FAILURE_REASONS)),
    "files": (_files, "array of 1 to 1,000 file objects (key, name, size, mime)"),
    "bool": (_bool, "boolean"),
}


@dataclass(frozen=True)
class Field:
    """One field of a message: its name, kind (a key of :data:`KINDS`) and meaning."""

    name: str
    kind: str
    about: str


@dataclass(frozen=True)
class MessageType:
    """One message type: who sends it, its fields, the binary buffers it carries, its meaning."""

    name: str
    sender: str  # "page" or "kernel"
    fields: tuple[Field, ...]
    about: str
    buffers: tuple[int, int] = (0, 0)  # fewest and most binary buffers

    @property
    def field_names(self) -> tuple[str, ...]:
        """The names of its fields, in order (``type`` aside)."""
        return tuple(f.name for f in self.fields)


def _f(name: str, kind: str, about: str) -> Field:
    return Field(name, kind, about)


_TID = _f("tid", "id", "the upload id")
_PAGE = _f("page", "id", "page")
_SECRET = _f("secret", "secret", "the secret")
_KEY = _f("key", "id", "the file id")
_ROW = _f("row", "id", "the row")


def _page(name: str, about: str, *fields: Field, buffers: tuple[int, int] = (0, 0)) -> MessageType:
    return MessageType(name, "page", fields, about, buffers)


def _kernel(name: str, about: str, *fields: Field) -> MessageType:
    return MessageType(name, "kernel", fields, about)


#: What a page sends the kernel.
PAGE_MESSAGES: Final = {
    m.name: m
    for m in (
        _page(
            FromPage.HELLO,
            "the page opened; its one buffer is the probe (`svz!`) when buffers reach the kernel",
            _PAGE,
            buffers=(0, 1),
        ),
        _page(
            FromPage.ADD,
            "files the person chose or dropped",
            _PAGE,
            _SECRET,
            _f("files", "files", "the files"),
        ),
        _page(FromPage.CANCEL, "the person cancels a row", _ROW, _PAGE, _SECRET),
        _page(FromPage.RETRY, "the person retries a row this page holds", _ROW, _PAGE, _SECRET),
        _page(
            FromPage.CHUNK,
            "relay: the next chunk, its bytes the one buffer",
            _TID,
            _SECRET,
            _f("offset", "whole", "the chunk offset"),
            buffers=(1, 1),
        ),
        _page(
            FromPage.PROGRESS,
            "direct: file bytes sent so far",
            _TID,
            _SECRET,
            _f("sent", "whole", "the bytes sent"),
        ),
        _page(
            FromPage.RESULT,
            "direct: the upload server's answer",
            _TID,
            _SECRET,
            _f("status", "status", "the HTTP status"),
            _f("body", "body", "the upload server's answer"),
        ),
        _page(
            FromPage.FAILED,
            "the page could not go on",
            _TID,
            _SECRET,
            _f("sent", "whole", "the bytes sent"),
            _f("reason", "reason", "the failure reason"),
            _f("message", "text", "the page's message"),
        ),
        _page(FromPage.STOPPED, "a stop was obeyed (or the upload was not running)", _TID, _SECRET),
        _page(
            FromPage.ALIVE,
            "the page is still there (while uploads run, after ALIVE_MS of no other message)",
            _PAGE,
            _SECRET,
        ),
        _page(FromPage.BYE, "the page is going (reload, close)", _PAGE, _SECRET),
    )
}

#: What the kernel sends the pages (every page of the widget hears every message).
KERNEL_MESSAGES: Final = {
    m.name: m
    for m in (
        _kernel(
            FromKernel.WELCOME,
            "answers a hello: this page's secret, and whether its buffers reach the kernel",
            _PAGE,
            _SECRET,
            _f("buffers", "bool", "whether binary buffers reach the kernel"),
        ),
        _kernel(
            FromKernel.DIRECT,
            "POST the file to `url` (the ticket of this one upload)",
            _TID,
            _PAGE,
            _KEY,
            _f("url", "text", "the upload URL with its ticket"),
            _f("name", "text", "the cleaned file name"),
            _f("size", "whole", "the declared size"),
            _f("fallback", "bool", "whether the kernel relays when the page cannot POST"),
        ),
        _kernel(
            FromKernel.RELAY,
            "send the file in chunks",
            _TID,
            _PAGE,
            _KEY,
            _f("name", "text", "the cleaned file name"),
            _f("size", "whole", "the declared size"),
            _f("chunk", "whole", "the largest chunk"),
            _f("window", "whole", "chunks that may wait unacknowledged"),
        ),
        _kernel(
            FromKernel.ACK, "bytes now in the request body", _TID, _f("offset", "whole", "bytes")
        ),
        _kernel(
            FromKernel.STOP,
            "stop sending; abort the POST",
            _TID,
            _PAGE,
            _f("reason", "text", "why"),
        ),
        _kernel(FromKernel.TICK, "the kernel is alive", _f("busy", "bool", "a cell runs")),
    )
}

#: The fields of each file an ``add`` message lists (checked file by file: a bad one is a
#: refused row, the others go on).
FILE_FIELDS: Final = (
    _f("key", "id", "the file id"),
    _f("name", "text", "the file name"),
    _f("size", "whole", "the file size"),
    _f("mime", "text", "the browser's media type (not trusted, not used)"),
)


@dataclass(frozen=True)
class PageMessage:
    """A page's message whose every field was checked: ``kind``, fields by name, buffers."""

    kind: str
    fields: dict[str, Any]
    buffers: list[memoryview] = field(default_factory=list)

    def __getitem__(self, name: str) -> Any:
        return self.fields[name]

    @property
    def tid(self) -> str:
        """The upload it names (``""`` when it names none)."""
        return str(self.fields.get("tid", ""))

    @property
    def page(self) -> str:
        """The page it names (``""`` when it names none)."""
        return str(self.fields.get("page", ""))

    @property
    def secret(self) -> str:
        """The secret it carries (``""`` for a hello)."""
        return str(self.fields.get("secret", ""))


def parse(content: object, buffers: Sequence[Any]) -> PageMessage:
    """A page's message, every field checked, or :class:`ProtocolError` saying why not.

    The ids (``tid``, ``page``, ``secret``) are checked first, so that a refusal of a later
    field still says which upload a sound sender meant.
    """
    if not isinstance(content, dict):
        raise ProtocolError("not a JSON object")
    kind = content.get("type")
    if not isinstance(kind, str) or kind not in PAGE_MESSAGES:
        raise ProtocolError(f"its type {shown(kind)} is not one the protocol declares")
    declared = PAGE_MESSAGES[kind]
    ordered = sorted(declared.fields, key=lambda f: f.kind not in ("id", "secret"))
    fields: dict[str, Any] = {}
    ids: dict[str, str] = {}
    for item in ordered:
        if item.name not in content:
            raise ProtocolError(f"its field {item.name!r} is missing", kind=kind, ids=ids)
        try:
            fields[item.name] = KINDS[item.kind][0](content[item.name], item.about)
        except ValueError as e:
            raise ProtocolError(str(e), kind=kind, ids=ids) from None
        if item.kind in ("id", "secret"):
            ids[item.name] = fields[item.name]
    views = [_view(b) for b in buffers]
    fewest, most = declared.buffers
    if fewest and not fewest <= len(views) <= most:  # a message that is its buffers
        reason = NO_BUFFERS if not views else f"a {kind} message with {len(views)} binary buffers"
        raise ProtocolError(reason + ("" if not views else ", not one"), kind=kind, ids=ids)
    if not fewest <= len(views) <= most:
        views = []  # buffers a message does not carry are dropped, not read
    return PageMessage(kind, fields, views)


def _view(buffer: Any) -> memoryview:
    view = memoryview(buffer)
    if view.ndim != 1 or view.itemsize != 1:
        view = view.cast("B")
    return view


def kernel_message(kind: str, **fields: Any) -> dict[str, Any]:
    """The content of a kernel message of ``kind``, with exactly its declared fields.

    A message the declaration does not know, or fields it does not list, are a bug in the
    kernel: ``ValueError``.
    """
    declared = KERNEL_MESSAGES.get(kind)
    if declared is None:
        raise ValueError(f"the kernel sends no message of type {kind!r}")
    if set(fields) != set(declared.field_names):
        raise ValueError(f"a {kind} message has the fields {', '.join(declared.field_names)}")
    return {"type": kind, **fields}
