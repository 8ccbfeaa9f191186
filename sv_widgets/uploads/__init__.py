"""The one upload pipeline: a source, options, a job, and one observable state.

Every upload, whatever shows it, runs here:

- :class:`UploadOptions`: what to ask of the service once the bytes are stored;
- :class:`Upload`: the controller (start, cancel, retry, wait) running an
  :class:`UploadJob` in a background thread;
- :class:`UploadState`: the observable state (phase, progress, figures, error) that the
  ``UploadProgress`` widget, the terminal text (:class:`TextProgress`) and the magics read;
- transfers: how the bytes travel (the client streams a file, the service fetches a URL,
  or the browser sends them from the person's own computer: :class:`PageLink`, directly to
  the upload server or relayed through the kernel as a :class:`RelayStream`).

Nothing here imports ``ipywidgets``: text mode builds no widget.

Examples
--------
>>> from sv_widgets.uploads import run_text            # doctest: +SKIP
>>> code = run_text(client, "clip.mp4")                 # doctest: +SKIP
clip.mp4: initiating
clip.mp4: uploading 25% (25.0 MB of 100 MB) 48.2 MB/s 2 s left
...
"""

from __future__ import annotations

import sys
from typing import IO, TYPE_CHECKING, Any

from sv_widgets.uploads._job import (
    RateMeter,
    Transfer,
    TransferProgress,
    UploadJob,
    local_transfer,
)
from sv_widgets.uploads._options import UploadOptions
from sv_widgets.uploads._page import BrowserFile, BrowserUploadError, clean_file_name
from sv_widgets.uploads._page_link import MODES, PageLink
from sv_widgets.uploads._protocol import CANCEL_BUTTON
from sv_widgets.uploads._relay import RelayStream
from sv_widgets.uploads._state import TERMINAL_PHASES, UploadState
from sv_widgets.uploads._text import TextProgress, status_line
from sv_widgets.uploads._upload import Upload

if TYPE_CHECKING:
    from sv_widgets.client import Client

__all__ = [
    "CANCEL_BUTTON",
    "MODES",
    "TERMINAL_PHASES",
    "BrowserFile",
    "BrowserUploadError",
    "PageLink",
    "RateMeter",
    "RelayStream",
    "TextProgress",
    "Transfer",
    "TransferProgress",
    "Upload",
    "UploadJob",
    "UploadOptions",
    "UploadState",
    "clean_file_name",
    "local_transfer",
    "run_text",
    "status_line",
]


def run_text(
    client: Client,
    source: Any,
    options: UploadOptions | None = None,
    *,
    stream: IO[str] | None = None,
) -> str:
    """Upload with plain-text progress (terminals, logs, no widget front end).

    Returns the file code or raises as :meth:`Upload.wait` does. Ctrl-C cancels the upload
    cleanly before the ``KeyboardInterrupt`` propagates.
    """
    upload = Upload(client, source, options)
    renderer = TextProgress(upload.state, stream if stream is not None else sys.stdout)
    try:
        upload.start()
        return upload.wait()
    finally:
        renderer.close()
