"""Jupyter widgets for SpareVideos: upload progress, an upload area for files on the person's
own computer, thumbnail gallery, file browser, player.

Every widget takes a :class:`~sv_widgets.client.Client` (it never builds one nor speaks HTTP
itself), does its network work off the kernel's main thread, and shows errors in place with
the API's code and message. Nothing synced to the front end holds a key or a token.

Without a widget front end (a terminal, a log), :meth:`UploadProgress.run_text` uploads
with plain-text progress, and :class:`TextProgress` prints any upload's steps; neither
builds a widget (both live in :mod:`sv_widgets.uploads`).

Examples
--------
>>> from sv_widgets.widgets import FileBrowser   # doctest: +SKIP
>>> FileBrowser(client)                           # doctest: +SKIP
"""

from __future__ import annotations

from sv_widgets.errors import UploadCancelled
from sv_widgets.uploads import TextProgress
from sv_widgets.widgets.dropzone import UploadDropzone
from sv_widgets.widgets.file_browser import FileBrowser
from sv_widgets.widgets.gallery import ThumbnailGallery
from sv_widgets.widgets.player import Player
from sv_widgets.widgets.upload import UploadProgress

__all__ = [
    "FileBrowser",
    "Player",
    "TextProgress",
    "ThumbnailGallery",
    "UploadCancelled",
    "UploadDropzone",
    "UploadProgress",
]
