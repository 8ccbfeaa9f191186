"""What to ask of the service once an upload's bytes are stored: the one options object."""

from __future__ import annotations

from dataclasses import dataclass

from sv_widgets.wire import MIN_THUMBNAIL_HEIGHT

__all__ = ["UploadOptions"]


@dataclass(frozen=True)
class UploadOptions:
    """An upload's choices, shared by the widget, the magics and the terminal text.

    Parameters
    ----------
    convert
        Request conversion once uploaded (``False`` ends right after the upload).
    sd_only, mp4_only
        Conversion options: no rendition above 480p; mp4 only (no webm, HLS or DASH).
    wait
        Wait for the conversion to finish, so that ``ready`` means playable.
    poll_interval
        Seconds between conversion-status polls.
    conversion_timeout
        Seconds to wait for the conversion before giving up waiting (the file keeps
        converting on the service); ``None`` waits as long as it takes.
    thumbnail_size
        Height in pixels of the thumbnail fetched once the file is ready.

    Examples
    --------
    >>> UploadOptions(sd_only=True).convert
    True
    >>> UploadOptions(poll_interval=0)
    Traceback (most recent call last):
    ...
    ValueError: poll_interval must be > 0, not 0
    """

    convert: bool = True
    sd_only: bool = False
    mp4_only: bool = False
    wait: bool = True
    poll_interval: float = 1.0
    conversion_timeout: float | None = None
    thumbnail_size: int = MIN_THUMBNAIL_HEIGHT

    def __post_init__(self) -> None:
        if not self.poll_interval > 0:
            raise ValueError(f"poll_interval must be > 0, not {self.poll_interval!r}")
        if self.conversion_timeout is not None and not self.conversion_timeout >= 0:
            raise ValueError(f"conversion_timeout must be >= 0, not {self.conversion_timeout!r}")
