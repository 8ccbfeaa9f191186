"""Typed views of the SpareVideos API's JSON replies.

Every model is a frozen dataclass built in one place, its ``from_json`` classmethod, which
ignores fields it does not know (the service may add some) and raises
:class:`~sv_widgets.errors.InvalidResponse` when a documented field is missing or has the
wrong type. PHP encodes an empty array as ``[]`` whatever it stands for, so an empty list is
accepted wherever the document describes an object.

Examples
--------
>>> info = FileInfo.from_json({"status": "success", "extension": "mp4", "playtime": 75,
...     "thumbnail": None, "streams": {"mp4": [{"file": "https://x/360.mp4", "label": "360"}]}})
>>> info.duration_text, info.streams.mp4[0].height
('1:15', 360)
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from sv_widgets._values import is_number, is_whole_number
from sv_widgets.display import file_card_html, format_duration, image_src
from sv_widgets.errors import (
    FileNotConverted,
    FileserverError,
    InvalidResponse,
    SpareVideosError,
)

__all__ = [
    "FileInfo",
    "FilePage",
    "FileStatus",
    "Rendition",
    "Streams",
    "Thumbnail",
    "UploadTicket",
]

_THUMB_KEY = re.compile(r"(\d+)\.(\d+)(\.selected)?")


def _bad(what: str, expected: str, value: Any) -> InvalidResponse:
    shown = type(value).__name__ if value is not None else "missing"
    return InvalidResponse(f"reply field {what!r} should be {expected}, got {shown}")


def _obj(data: Any, what: str) -> Mapping[str, Any]:
    if isinstance(data, Mapping):
        return data
    if isinstance(data, list) and not data:  # PHP's empty array
        return {}
    raise _bad(what, "an object", data)


def _str(data: Mapping[str, Any], key: str, what: str = "") -> str:
    value = data.get(key)
    if not isinstance(value, str):
        raise _bad(what or key, "a string", value)
    return value


def _opt_str(data: Mapping[str, Any], key: str, what: str = "") -> str | None:
    value = data.get(key)
    if value is None or isinstance(value, str):
        return value
    raise _bad(what or key, "a string or null", value)


def _int(data: Mapping[str, Any], key: str) -> int:
    value = data.get(key)
    if not is_whole_number(value):
        raise _bad(key, "an integer", value)
    return value


@dataclass(frozen=True)
class UploadTicket:
    """Where and with what to upload one file: the reply of ``/upload/initiate``.

    The ``token`` is a credential: ``repr`` hides it.

    Examples
    --------
    >>> UploadTicket("https://up.example/fileservers/upload", "14878", "eyJh.b985")
    UploadTicket(server='https://up.example/fileservers/upload', ref='14878', token=<hidden>)
    """

    server: str
    ref: str
    token: str = field(repr=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> UploadTicket:
        """Build a ticket from the initiate reply (``server``, ``ref``, ``token``)."""
        data = _obj(data, "reply")
        return cls(server=_str(data, "server"), ref=_str(data, "ref"), token=_str(data, "token"))

    def __repr__(self) -> str:
        return f"UploadTicket(server={self.server!r}, ref={self.ref!r}, token=<hidden>)"


@dataclass(frozen=True)
class Rendition:
    """One progressive-download rendition: a URL and its label (the height, e.g. ``"720"``).

    Examples
    --------
    >>> Rendition("https://x/720.mp4", "720").height
    720
    """

    file: str
    label: str

    @property
    def height(self) -> int | None:
        """The label as an integer height, or ``None`` when it is not a number."""
        return int(self.label) if self.label.isascii() and self.label.isdigit() else None

    @classmethod
    def from_json(cls, data: Any, what: str = "rendition") -> Rendition:
        """Build from ``{"file": url, "label": "360"}``; a numeric label is accepted too."""
        data = _obj(data, what)
        label = data.get("label")
        if is_whole_number(label):
            label = str(label)  # the document calls the label a number; its example, a string
        if not isinstance(label, str):
            raise _bad(f"{what}.label", "a string", label)
        return cls(file=_str(data, "file", f"{what}.file"), label=label)


def _renditions(streams: Mapping[str, Any], key: str) -> tuple[Rendition, ...]:
    value = streams.get(key)
    if value is None:
        return ()
    if isinstance(value, Mapping) and not value:
        return ()
    if not isinstance(value, list):
        raise _bad(f"streams.{key}", "a list", value)
    return tuple(Rendition.from_json(item, f"streams.{key}[{i}]") for i, item in enumerate(value))


def _url_of(streams: Mapping[str, Any], key: str) -> str | None:
    value = streams.get(key)
    if value is None:
        return None
    return _opt_str(_obj(value, f"streams.{key}"), "file", f"streams.{key}.file")


@dataclass(frozen=True)
class Streams:
    """The URLs a converted file can be played from.

    Examples
    --------
    >>> s = Streams.from_json({"mp4": [{"file": "u", "label": "360"}], "hls": {"file": "h"}})
    >>> s.mp4[0].label, s.webm, s.hls, s.mpd
    ('360', (), 'h', None)
    """

    mp4: tuple[Rendition, ...] = ()
    webm: tuple[Rendition, ...] = ()
    hls: str | None = None
    mpd: str | None = None

    def progressive(self) -> list[tuple[str, Rendition]]:
        """``(format, rendition)`` of every MP4 then WebM rendition, each format's highest
        first: the order every view shows them in (the reply's own order is kept here).

        Examples
        --------
        >>> s = Streams(mp4=(Rendition("u360", "360"), Rendition("u720", "720")))
        >>> [(kind, r.label) for kind, r in s.progressive()]
        [('mp4', '720'), ('mp4', '360')]
        """
        return [
            (kind, r)
            for kind, renditions in (("mp4", self.mp4), ("webm", self.webm))
            for r in sorted(renditions, key=lambda r: -(r.height or 0))
        ]

    @classmethod
    def from_json(cls, data: Any) -> Streams:
        """Build from the ``streams`` object of ``/me/file`` (absent keys mean none)."""
        data = _obj(data, "streams")
        return cls(
            mp4=_renditions(data, "mp4"),
            webm=_renditions(data, "webm"),
            hls=_url_of(data, "hls"),
            mpd=_url_of(data, "mpd"),
        )


@dataclass(frozen=True)
class FileInfo:
    """What ``/me/file`` says about a converted file.

    ``raw`` is the whole reply, read-only, for fields this class does not model. ``code`` is
    set by :meth:`Client.file_info <sv_widgets.client.Client.file_info>` (the reply itself
    does not carry it). Jupyter shows a card: thumbnail, duration, renditions and links.

    Examples
    --------
    >>> info = FileInfo.from_json({"extension": "avi", "playtime": 3725.4,
    ...                            "thumbnail": "https://t/x.jpg", "streams": []})
    >>> info.duration_text, info.streams.mp4
    ('1:02:05', ())
    >>> FileInfo.from_json({"extension": "mp4", "playtime": 75, "thumbnail": None,
    ...                     "streams": []}).duration_text
    '1:15'

    """

    extension: str
    playtime: float
    thumbnail: str | None
    streams: Streams
    raw: Mapping[str, Any] = field(repr=False, compare=False, hash=False)
    code: str | None = None
    thumbnail_jpeg: bytes | None = field(default=None, repr=False, compare=False, hash=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any], *, code: str | None = None) -> FileInfo:
        """Build from the ``/me/file`` reply; ``code`` is the file code it was asked for."""
        data = _obj(data, "reply")
        playtime = data.get("playtime")
        if not is_number(playtime):
            raise _bad("playtime", "a number", playtime)
        return cls(
            extension=_str(data, "extension"),
            playtime=float(playtime),
            thumbnail=_opt_str(data, "thumbnail"),
            streams=Streams.from_json(data.get("streams")),
            raw=MappingProxyType(dict(data)),
            code=code,
        )

    def with_thumbnail_image(self, jpeg: bytes) -> FileInfo:
        """A copy whose Jupyter card embeds ``jpeg`` instead of linking to ``thumbnail``.

        The browser showing a notebook cannot always reach the thumbnail URL (the demo
        emulator on Binder listens on the kernel's localhost); embedded bytes always show.
        """
        return dataclasses.replace(self, thumbnail_jpeg=bytes(jpeg))

    @property
    def duration_text(self) -> str:
        """``playtime`` as ``m:ss`` or ``h:mm:ss`` (rounded to the second)."""
        return format_duration(self.playtime)

    def _fields(self, *, urls: bool = False) -> list[tuple[str, str]]:
        """Name and text of each field; ``urls`` lists every rendition with its URL, one a
        line (the multi-line form a terminal shows), else only the labels."""
        s = self.streams
        renditions: dict[str, list[Rendition]] = {"mp4": [], "webm": []}
        for kind, r in s.progressive():
            renditions[kind].append(r)
        lists = {kind: _rendition_list(rs, urls=urls) for kind, rs in renditions.items()}
        return [
            ("code", repr(self.code)),
            ("extension", repr(self.extension)),
            ("playtime", f"{self.playtime:g} ({self.duration_text})"),
            ("mp4", lists["mp4"]),
            ("webm", lists["webm"]),
            ("hls", repr(s.hls)),
            ("mpd", repr(s.mpd)),
            ("thumbnail", repr(self.thumbnail)),
        ]

    def __repr__(self) -> str:
        return "FileInfo(" + ", ".join(f"{k}={v}" for k, v in self._fields()) + ")"

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        """What a terminal shows (``%sv_info``): every field on its line, every rendition
        with its URL, highest first."""
        fields = "".join(f"    {k}={v},\n" for k, v in self._fields(urls=True))
        p.text("FileInfo(...)" if cycle else "FileInfo(\n" + fields + ")")

    def card_html(self, *, note: str | None = None) -> str:
        """The file's card as standalone HTML: thumbnail, duration, renditions, stream links.

        The thumbnail is inlined when :meth:`with_thumbnail_image` gave its bytes, else
        linked. ``note`` is a line under the title. Jupyter shows this card for a
        ``FileInfo``; the widgets leave it in saved notebooks.
        """
        s = self.streams
        return file_card_html(
            title=self.code or "SpareVideos file",
            duration=self.duration_text,
            extension=self.extension,
            image=image_src(self.thumbnail_jpeg, self.thumbnail),
            renditions=[(kind, r.label, r.file) for kind, r in s.progressive()],
            hls=s.hls,
            mpd=s.mpd,
            note=note,
        )

    def _repr_html_(self) -> str:
        return self.card_html()


def _rendition_list(renditions: list[Rendition], *, urls: bool) -> str:
    """``[720,360]``, or with ``urls`` one ``720: 'https://...',`` line per rendition."""
    if not renditions:
        return "[]"
    if not urls:
        return "[" + ",".join(r.label for r in renditions) + "]"
    lines = "".join(f"        {r.label}: {r.file!r},\n" for r in renditions)
    return f"[\n{lines}    ]"


@dataclass(frozen=True)
class FileStatus:
    """Where a file stands, from what ``/me/file`` answered: the file browser's rows and the
    magics' text tables read it.

    ``state`` is ``"ready"``, ``"converting"`` (``progress`` 0-100 when known),
    ``"not converted"``, ``"failed"`` (``message`` has the reason) or ``"error"``.

    Examples
    --------
    >>> from sv_widgets.errors import FileNotConverted
    >>> FileStatus.from_error(FileNotConverted("converting", progress=42.0)).label
    'converting 42%'
    """

    state: str
    info: FileInfo | None = None
    progress: float | None = None
    message: str = ""

    @classmethod
    def from_info(cls, info: FileInfo) -> FileStatus:
        """A converted file."""
        return cls("ready", info=info)

    @classmethod
    def from_error(cls, exc: SpareVideosError) -> FileStatus:
        """Classify the error ``file_info`` raised."""
        if isinstance(exc, FileNotConverted):
            converting = exc.progress is not None or "progress" in exc.message.lower()
            return cls(
                "converting" if converting else "not converted",
                progress=exc.progress,
                message=exc.message,
            )
        if isinstance(exc, FileserverError):
            return cls("failed", message=exc.summary)
        return cls("error", message=exc.summary)

    @property
    def label(self) -> str:
        """Short text for the thumbnail placeholder."""
        if self.state == "converting" and self.progress is not None:
            return f"converting {self.progress:.0f}%"
        return self.state


@dataclass(frozen=True, order=True)
class Thumbnail:
    """One thumbnail image of a file, from ``{thumbs}/{code}/json/list``.

    Examples
    --------
    >>> Thumbnail.parse_list({"720.03.selected": "c_720_03.jpg", "360.01": "c_360_01.jpg"})[0]
    Thumbnail(height=720, number=3, file_name='c_720_03.jpg', selected=True)
    """

    height: int
    number: int
    file_name: str
    selected: bool = False

    @classmethod
    def from_json(cls, key: str, value: Any) -> Thumbnail:
        """Build from one list entry: key ``"{height}.{nn}"`` (+ ``".selected"``), file name."""
        match = _THUMB_KEY.fullmatch(key) if isinstance(key, str) else None
        if match is None:
            raise InvalidResponse(f"thumbnail list key {key!r} is not 'height.number'")
        if not isinstance(value, str) or not value:
            raise _bad(f"thumbnail {key}", "a file name", value)
        height, number = int(match[1]), int(match[2])
        return cls(height=height, number=number, file_name=value, selected=bool(match[3]))

    @classmethod
    def parse_list(cls, data: Any) -> list[Thumbnail]:
        """Turn the ``/json/list`` object into thumbnails sorted height desc, number desc."""
        items = [cls.from_json(k, v) for k, v in _obj(data, "thumbnail list").items()]
        return sorted(items, key=lambda t: (t.height, t.number), reverse=True)


@dataclass(frozen=True)
class FilePage:
    """One page of ``/me/files``: file codes, oldest first.

    Examples
    --------
    >>> page = FilePage.from_json({"currentPage": 1, "lastPage": 1, "nextPageUrl": None,
    ...                            "codes": ["1488633857-11PYNC"]})
    >>> page.codes, page.has_next
    (('1488633857-11PYNC',), False)
    """

    codes: tuple[str, ...]
    current_page: int
    last_page: int
    next_page_url: str | None

    @property
    def has_next(self) -> bool:
        """Whether a later page exists."""
        return self.current_page < self.last_page

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FilePage:
        """Build from the ``/me/files`` reply (``codes``, ``currentPage``, ``lastPage``, ...)."""
        data = _obj(data, "reply")
        codes = data.get("codes")
        if isinstance(codes, Mapping) and not codes:
            codes = []
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            raise _bad("codes", "a list of strings", codes)
        return cls(
            codes=tuple(codes),
            current_page=_int(data, "currentPage"),
            last_page=_int(data, "lastPage"),
            next_page_url=_opt_str(data, "nextPageUrl"),
        )
