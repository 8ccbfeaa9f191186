"""sv_widgets: work with the SpareVideos video API from Jupyter.

Load the magics with ``%load_ext sv_widgets``; script the API with :class:`Client`; show
:class:`UploadProgress`, :class:`UploadDropzone` (files from the person's own computer),
:class:`ThumbnailGallery`, :class:`FileBrowser` and :class:`Player` widgets; run a faithful
local service with :class:`sv_widgets.emulator.Emulator`.

Public names are imported lazily so that ``%load_ext sv_widgets`` and ``import sv_widgets``
stay fast: nothing heavy (widgets, PyAV, the server stack) loads until it is used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# name -> module that defines it
_LAZY: dict[str, str] = {
    "Client": "sv_widgets.client",
    "UploadTicket": "sv_widgets.models",
    "FileInfo": "sv_widgets.models",
    "Streams": "sv_widgets.models",
    "Rendition": "sv_widgets.models",
    "Thumbnail": "sv_widgets.models",
    "FilePage": "sv_widgets.models",
    "SpareVideosError": "sv_widgets.errors",
    "APIError": "sv_widgets.errors",
    "UploadProgress": "sv_widgets.widgets",
    "UploadDropzone": "sv_widgets.widgets",
    "ThumbnailGallery": "sv_widgets.widgets",
    "FileBrowser": "sv_widgets.widgets",
    "Player": "sv_widgets.widgets",
}

__all__ = [
    "APIError",
    "Client",
    "FileBrowser",
    "FileInfo",
    "FilePage",
    "Player",
    "Rendition",
    "SpareVideosError",
    "Streams",
    "Thumbnail",
    "ThumbnailGallery",
    "UploadDropzone",
    "UploadProgress",
    "UploadTicket",
    "__version__",
    "load_ipython_extension",
    "unload_ipython_extension",
]

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from sv_widgets.client import Client
    from sv_widgets.errors import APIError, SpareVideosError
    from sv_widgets.models import FileInfo, FilePage, Rendition, Streams, Thumbnail, UploadTicket
    from sv_widgets.widgets import (
        FileBrowser,
        Player,
        ThumbnailGallery,
        UploadDropzone,
        UploadProgress,
    )


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'sv_widgets' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


def load_ipython_extension(ipython: Any) -> None:
    """Register the sv_widgets magics (``%load_ext sv_widgets``)."""
    from sv_widgets.magics import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """Remove the sv_widgets magics (``%unload_ext sv_widgets``)."""
    from sv_widgets.magics import unload_ipython_extension as unload

    unload(ipython)
