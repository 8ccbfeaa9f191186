"""sv_widgets.models: parsing (tolerant of extras, strict on documented fields) and displays."""

from __future__ import annotations

import dataclasses
import html.parser
from typing import Any

import pytest
from IPython.lib.pretty import pretty

from sv_widgets.display import format_duration
from sv_widgets.errors import InvalidResponse
from sv_widgets.models import (
    FileInfo,
    FilePage,
    Rendition,
    Streams,
    Thumbnail,
    UploadTicket,
)

CODE = "1488633857-11PYNC"
# The document's /json/list example, verbatim.
DOC_LIST = {
    f"{h}.{n:02d}{'.selected' if (h, n) == (720, 3) else ''}": f"{CODE}_{h}_{n:02d}.jpg"
    for h in (720, 480, 360)
    for n in range(5, 0, -1)
}
INFO = {
    "status": "success",
    "extension": "avi",
    "playtime": 15,
    "thumbnail": f"https://static.example/thumbnail/{CODE}/exact/{CODE}_720_03.jpg",
    "streams": {
        "mp4": [
            {"file": "https://m/360.mp4", "label": "360"},
            {"file": "https://m/720.mp4", "label": 720},
        ],
        "webm": [{"file": "https://m/360.webm", "label": "360"}],
        "hls": {"file": "https://m/master.m3u8"},
        "mpd": {"file": "https://m/manifest.mpd"},
        "future": {"file": "x"},
    },
    "added_later": {"anything": True},
}


def test_upload_ticket_hides_token() -> None:
    t = UploadTicket.from_json(
        {"status": "success", "server": "https://u", "ref": "r", "token": "SECRET.abc"}
    )
    assert t.token == "SECRET.abc"
    assert "SECRET" not in repr(t)
    assert "SECRET" not in str(t)
    assert repr(t) == "UploadTicket(server='https://u', ref='r', token=<hidden>)"
    with pytest.raises(dataclasses.FrozenInstanceError):
        t.ref = "x"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"server": "s", "ref": "r"}, "token"),
        ({"server": 1, "ref": "r", "token": "t"}, "server"),
        ({"server": "s", "ref": None, "token": "t"}, "ref"),
    ],
)
def test_upload_ticket_strict(body: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidResponse, match=field):
        UploadTicket.from_json(body)


def test_file_info_parses_the_document_example() -> None:
    info = FileInfo.from_json(INFO, code=CODE)
    assert info.code == CODE
    assert info.playtime == 15.0
    assert isinstance(info.playtime, float)
    assert info.streams.mp4 == (
        Rendition("https://m/360.mp4", "360"),
        Rendition("https://m/720.mp4", "720"),
    )
    assert [r.height for r in info.streams.mp4] == [360, 720]
    assert info.streams.hls == "https://m/master.m3u8"
    assert info.streams.mpd == "https://m/manifest.mpd"
    assert info.raw["added_later"] == {"anything": True}
    with pytest.raises(TypeError):
        info.raw["x"] = 1  # type: ignore[index]
    assert info.duration_text == "0:15"


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"playtime": "15"}, "playtime"),
        ({"playtime": True}, "playtime"),
        ({"extension": None}, "extension"),
        ({"thumbnail": 3}, "thumbnail"),
        ({"streams": "none"}, "streams"),
        ({"streams": {"mp4": {"file": "x"}}}, "streams.mp4"),
        ({"streams": {"mp4": [{"file": "x", "label": None}]}}, "streams.mp4[0].label"),
        ({"streams": {"mp4": [{"file": 1, "label": "360"}]}}, "streams.mp4[0].file"),
        ({"streams": {"hls": "https://not-an-object"}}, "streams.hls"),
        ({"streams": {"mpd": {"file": 5}}}, "streams.mpd.file"),
    ],
)
def test_file_info_strict_about_documented_fields(patch: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidResponse, match=field.replace("[", r"\[").replace("]", r"\]")):
        FileInfo.from_json({**INFO, **patch})


def test_php_empty_arrays_are_accepted() -> None:
    info = FileInfo.from_json(
        {"extension": "mp4", "playtime": 1.5, "thumbnail": None, "streams": []}
    )
    assert info.streams == Streams()
    s = Streams.from_json({"mp4": [], "webm": {}, "hls": [], "mpd": None})
    assert s == Streams()
    assert Thumbnail.parse_list([]) == []
    assert (
        FilePage.from_json(
            {"currentPage": 1, "lastPage": 1, "nextPageUrl": None, "codes": {}}
        ).codes
        == ()
    )


def test_rendition_height() -> None:
    assert Rendition("u", "1080").height == 1080
    assert Rendition("u", "hd").height is None
    assert Rendition("u", "\u0661\u0662").height is None  # Arabic-Indic digits are not a height


def test_thumbnail_list_of_the_document() -> None:
    thumbs = Thumbnail.parse_list(dict(reversed(list(DOC_LIST.items()))))
    assert [(t.height, t.number) for t in thumbs] == [
        (h, n) for h in (720, 480, 360) for n in range(5, 0, -1)
    ]
    selected = [t for t in thumbs if t.selected]
    assert selected == [Thumbnail(720, 3, f"{CODE}_720_03.jpg", True)]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("720", "x.jpg"),
        ("720.01.chosen", "x.jpg"),
        ("a.01", "x.jpg"),
        ("720.01", 5),
        ("720.01", ""),
    ],
)
def test_thumbnail_list_strict(key: str, value: Any) -> None:
    with pytest.raises(InvalidResponse):
        Thumbnail.parse_list({key: value})


def test_file_page() -> None:
    page = FilePage.from_json(
        {
            "status": "success",
            "currentPage": 1,
            "lastPage": 3,
            "nextPageUrl": "https://x?page=2",
            "codes": ["a", "b"],
            "extra": 1,
        }
    )
    assert page == FilePage(("a", "b"), 1, 3, "https://x?page=2")
    assert page.has_next
    for bad in ({"currentPage": "1"}, {"lastPage": None}, {"codes": ["a", 1]}, {"nextPageUrl": 5}):
        with pytest.raises(InvalidResponse):
            FilePage.from_json(
                {"currentPage": 1, "lastPage": 1, "nextPageUrl": None, "codes": [], **bad}
            )


def test_not_an_object() -> None:
    for cls in (FileInfo, FilePage, UploadTicket):
        with pytest.raises(InvalidResponse, match="object"):
            cls.from_json("nope")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "0:00"),
        (59.4, "0:59"),
        (59.6, "1:00"),
        (3600, "1:00:00"),
        (3725.4, "1:02:05"),
        (360000, "100:00:00"),
        (-5, "-"),
        (float("nan"), "-"),
    ],
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


class _Collect(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_repr_html_card() -> None:
    out = FileInfo.from_json(INFO, code=CODE)._repr_html_()
    p = _Collect()
    p.feed(out)
    imgs = [a for t, a in p.tags if t == "img"]
    assert imgs[0]["src"] == INFO["thumbnail"]
    links = [a["href"] for t, a in p.tags if t == "a"]
    assert "https://m/master.m3u8" in links
    assert "https://m/manifest.mpd" in links
    assert "https://m/720.mp4" in links
    assert "https://m/360.webm" in links
    text = "".join(p.text)
    assert "0:15" in text
    assert "avi" in text
    assert CODE in text
    assert sum(1 for t, _ in p.tags if t == "tr") == 1 + 3  # header + 3 renditions
    # every rendition with its URL, the highest first (the reply lists 360 first)
    rendition_links = [a for a in links if a.endswith((".mp4", ".webm"))]
    assert rendition_links == ["https://m/720.mp4", "https://m/360.mp4", "https://m/360.webm"]
    assert "https://m/720.mp4" in text  # the URL is shown, not only linked


def test_repr_html_escapes_everything() -> None:
    evil = '"><script>alert(1)</script>'
    info = FileInfo.from_json(
        {
            "extension": evil,
            "playtime": 1,
            "thumbnail": "javascript:alert(1)",
            "streams": {
                "mp4": [{"file": "https://x/" + evil, "label": evil}],
                "hls": {"file": "javascript:x"},
            },
        },
        code=evil,
    )
    out = info._repr_html_()
    assert "<script>" not in out
    p = _Collect()
    p.feed(out)
    assert not [t for t, _ in p.tags if t == "script"]
    assert not any((a.get("href") or "").startswith("javascript") for _, a in p.tags)
    assert not any(t == "img" for t, _ in p.tags)  # a non-http thumbnail is not shown


def test_text_reprs() -> None:
    info = FileInfo.from_json(INFO, code=CODE)
    r = repr(info)
    assert r.startswith("FileInfo(code='1488633857-11PYNC', extension='avi', playtime=15 (0:15)")
    assert "mp4=[720,360]" in r  # the highest first, as every view orders them
    assert "webm=[360]" in r
    assert "\n" not in r
    multi = pretty(info)
    assert multi.count("\n") >= 8
    assert "hls='https://m/master.m3u8'" in multi
    # what a terminal shows for %sv_info: every rendition with its URL, the highest first
    assert (
        "    mp4=[\n        720: 'https://m/720.mp4',\n        360: 'https://m/360.mp4',\n    ],"
        in (multi)
    )
    assert "    webm=[\n        360: 'https://m/360.webm',\n    ]," in multi
