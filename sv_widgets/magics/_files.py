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
    from sv_widgets.models import FileInfo

__all__ = ["browser", "check_file_code", "delete", "info", "play", "thumbnails"]


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


def thumbnails(session: MagicSession, code: str) -> Any:
    """``%sv_thumbnails``: the gallery of a converted file."""
    code = check_file_code(code)
    from sv_widgets.widgets import ThumbnailGallery

    client = session.client()
    with api_errors():
        return ThumbnailGallery(client, code, size=session.settings.thumbnail_height)


def browser(session: MagicSession, page_size: int | None) -> Any:
    """``%sv_files``: the file browser."""
    size = session.settings.page_size if page_size is None else page_size
    if size < 1:
        raise UsageError(f"--page-size must be at least 1, not {size}")
    from sv_widgets.widgets import FileBrowser

    client = session.client()
    with api_errors():
        return FileBrowser(client, page_size=size, poll_interval=session.settings.poll_interval)


def play(session: MagicSession, code: str, *, rendition: str | None, format: str = "auto") -> Any:
    """``%sv_play``: the player."""
    code = check_file_code(code)
    from sv_widgets.widgets import Player

    client = session.client()
    with api_errors():
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
