"""The magics that take file codes: ``%sv_info``, ``%sv_thumbnails``, ``%sv_files``,
``%sv_play`` and ``%sv_delete``."""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Any

from IPython.core.error import UsageError

from sv_widgets.magics._command import api_errors
from sv_widgets.magics._session import MagicSession
from sv_widgets.wire import FILE_CODE_EXAMPLE, MIN_THUMBNAIL_HEIGHT, is_file_code

if TYPE_CHECKING:  # pragma: no cover
    from sv_widgets.client import Client
    from sv_widgets.magics._text import FileTable
    from sv_widgets.models import FileInfo, FilePage

__all__ = [
    "browser",
    "check_file_code",
    "converted",
    "delete",
    "info",
    "play",
    "thumbnails",
]


def check_file_code(text: str) -> str:
    """``text`` if it looks like a file code, else a ``UsageError`` showing what one looks like."""
    if not is_file_code(text):
        raise UsageError(f"not a file code: {text!r} (file codes look like {FILE_CODE_EXAMPLE})")
    return text


def info(session: MagicSession, code: str, *, raw: bool) -> FileInfo | dict[str, Any] | None:
    """``%sv_info``: the card (thumbnail embedded), the raw reply, or a status line."""
    code = check_file_code(code)
    from sv_widgets.errors import FileNotConverted, SpareVideosError

    client = session.client()
    with api_errors():
        try:
            file_info = client.file_info(code)
        except FileNotConverted as e:
            if e.progress is not None:
                print(f"{code}: converting, {e.progress:.0f}% done")
            else:
                print(f"{code}: {e.message}")
            return None
    if raw:
        return dict(file_info.raw)
    try:  # embed the image, small: the browser may not reach the thumbnail URL (Binder)
        return file_info.with_thumbnail_image(
            client.thumbnail_image(code, size=MIN_THUMBNAIL_HEIGHT)
        )
    except SpareVideosError:
        return file_info  # the card links to the URL instead


def converted(client: Client, code: str) -> FileInfo:
    """The info of a converted file, or a one-line ``UsageError`` saying what to do first."""
    from sv_widgets.errors import FileNotConverted

    with api_errors():
        try:
            return client.file_info(code)
        except FileNotConverted as e:
            if e.progress is not None or "progress" in e.message.lower():
                done = f" ({e.progress:.0f}% done)" if e.progress is not None else ""
                why = f"{code} is still converting{done}; %sv_info {code} tells when it is ready"
            else:
                why = f"{code} is not converted; %sv_convert {code} requests it"
            raise UsageError(FileNotConverted(why).summary) from None


def thumbnails(session: MagicSession, code: str, *, widgets: bool) -> Any:
    """``%sv_thumbnails``: the gallery of a converted file (a list of names in text mode)."""
    code = check_file_code(code)
    client = session.client()
    converted(client, code)
    if not widgets:
        from sv_widgets.magics._text import ThumbnailList

        with api_errors():
            return ThumbnailList(client.thumbnails(code))
    from sv_widgets.widgets import ThumbnailGallery

    return ThumbnailGallery(client, code, size=session.settings.thumbnail_height)


def browser(session: MagicSession, page_size: int | None, *, widgets: bool) -> Any:
    """``%sv_files``: the file browser (a table of the first page in text mode)."""
    size = session.settings.page_size if page_size is None else page_size
    if size < 1:
        raise UsageError(f"--page-size must be at least 1, not {size}")
    client = session.client()
    with api_errors():
        first = client.list_files(1)  # refused keys or an unreachable service: said here
        if not widgets:
            return _file_table(client, first, size)
    from sv_widgets.widgets import FileBrowser

    return FileBrowser(client, page_size=size, poll_interval=session.settings.poll_interval)


def _file_table(client: Client, first: FilePage, size: int) -> FileTable:
    from concurrent.futures import ThreadPoolExecutor

    from sv_widgets.errors import SpareVideosError
    from sv_widgets.magics._text import FileTable
    from sv_widgets.models import FileStatus

    total = len(first.codes)
    if first.last_page > 1:
        total = (first.last_page - 1) * len(first.codes) + len(
            client.list_files(first.last_page).codes
        )

    def status(code: str) -> FileStatus:
        try:
            return FileStatus.from_info(client.file_info(code))
        except SpareVideosError as e:
            return FileStatus.from_error(e)

    codes = list(first.codes[:size])
    with ThreadPoolExecutor(max_workers=8, thread_name_prefix="sv-files") as pool:
        return FileTable(zip(codes, pool.map(status, codes), strict=True), total)


def play(
    session: MagicSession,
    code: str,
    *,
    rendition: str | None,
    widgets: bool,
    format: str = "auto",
) -> Any:
    """``%sv_play``: the player (the stream URLs in text mode)."""
    code = check_file_code(code)
    client = session.client()
    file_info = converted(client, code)
    labels = [r.label for r in file_info.streams.mp4]
    if rendition is not None and rendition not in labels:
        raise UsageError(
            f"{code} has no {rendition!r} rendition; it has {', '.join(labels) or 'none'}"
        )
    s = file_info.streams
    present = (("hls", s.hls), ("dash", s.mpd), ("mp4", s.mp4), ("webm", s.webm))
    formats = [name for name, there in present if there]
    if format != "auto" and format not in formats:
        raise UsageError(f"{code} has no {format} stream; it has {', '.join(formats)}")
    if not widgets:
        from sv_widgets.magics._text import StreamLinks

        return StreamLinks.of(file_info)
    from sv_widgets.widgets import Player

    return Player(client, code, rendition=rendition, format=format)


def delete(session: MagicSession, codes: list[str], *, confirm: bool) -> list[str]:
    """``%sv_delete``: all or nothing, after a y/N question unless ``confirm`` is false."""
    codes = list(dict.fromkeys(check_file_code(c) for c in codes))  # unique, in order
    client = session.client()
    noun = "file" if len(codes) == 1 else "files"
    if confirm:
        question = f"Delete {len(codes)} {noun} ({', '.join(codes)})? [y/N] "
        try:
            answer = builtins.input(question)
        except (EOFError, KeyboardInterrupt, NotImplementedError):
            answer = ""
        if answer.strip().lower() not in ("y", "yes"):
            print("Nothing deleted.")
            return []
    with api_errors():
        client.delete(codes)
    print(f"Deleted {len(codes)} {noun}.")
    return codes
