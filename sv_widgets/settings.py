"""Settings of the sv_widgets magics, as a traitlets ``Configurable``.

``%load_ext sv_widgets`` registers one :class:`SpareVideos` instance with the shell, so every
setting can be read and changed from a notebook::

    %config SpareVideos                      # list the settings with their current values
    %config SpareVideos.parallel = 8         # bulk uploads: eight at a time
    %config SpareVideos.display = "text"     # text progress even under a widget front end

or set for good in ``ipython_config.py`` (``c.SpareVideos.poll_interval = 1.0``).

Credentials are deliberately **not** settings: a private key in a config file read by every
kernel, or typed into a ``%config`` line that lands in the input history, is what this package
exists to avoid. See :mod:`sv_widgets.credentials`.
"""

from __future__ import annotations

import sys
from typing import Any

from traitlets import Enum, Float, Int, TraitError, Unicode
from traitlets.config import Configurable

__all__ = ["SpareVideos"]


class SpareVideos(Configurable):
    """Settings for the ``%sv_*`` magics (``%config SpareVideos.<name> = value``).

    Attributes
    ----------
    upload_expires
        Seconds an upload initiation token stays valid (the API document advises 1-2 hours).
    call_expires
        Seconds every other signed call's token stays valid.
    parallel
        Uploads running at once in ``%%sv_upload`` (``--parallel`` overrides it per cell).
    poll_interval
        Seconds between conversion-status polls (uploads, and the rows of ``%sv_files``).
    conversion_timeout
        Seconds ``%sv_upload`` waits for a conversion before giving up (the file stays on the
        service and keeps converting).
    thumbnail_height
        Pixel height of the images ``%sv_thumbnails`` asks for (the service gives at least 260).
    page_size
        Rows per page in ``%sv_files``.
    display
        ``"auto"`` shows widgets when a widget front end is there (Jupyter) and text progress
        otherwise (terminal IPython); ``"widget"`` and ``"text"`` force one or the other.
    demo_data_dir
        Where the demo emulator keeps its files. Empty (the default) means a fresh temporary
        directory per kernel, removed when the kernel exits; a path keeps demo uploads across
        kernel restarts (do not share one directory between kernels running at once).

    Bounds are checked when a value is set: ``%config SpareVideos.parallel = 0`` is refused
    and the old value kept.
    """

    upload_expires = Int(
        3600, min=1, help="Seconds an upload initiation token stays valid (1-2 hours advised)."
    ).tag(config=True)
    call_expires = Int(
        30, min=1, help="Seconds the token of every other signed call stays valid."
    ).tag(config=True)
    parallel = Int(4, min=1, help="Uploads running at once in %%sv_upload.").tag(config=True)
    poll_interval = Float(2.0, min=0.05, help="Seconds between conversion status polls.").tag(
        config=True
    )
    conversion_timeout = Float(
        1800.0, min=1.0, help="Seconds %sv_upload waits for a conversion before giving up."
    ).tag(config=True)
    thumbnail_height = Int(
        260, min=1, help="Pixel height of the thumbnails %sv_thumbnails shows."
    ).tag(config=True)
    page_size = Int(24, min=1, help="Rows per page in %sv_files.").tag(config=True)
    display = Enum(
        ["auto", "widget", "text"],
        default_value="auto",
        help="Widgets under a widget front end ('auto'), or always 'widget' or 'text'.",
    ).tag(config=True)
    demo_data_dir = Unicode(
        "",
        help="Demo emulator data directory; empty for a temporary one removed at exit.",
    ).tag(config=True)

    @classmethod
    def from_shell(cls, shell: Any) -> SpareVideos:
        """Settings from ``shell``'s config, skipping (and naming) any value that is refused.

        A refused ``%config SpareVideos.x = bad`` has already been merged into the shell's
        config; a later ``%load_ext`` must not fail because of it.
        """
        try:
            return cls(parent=shell)
        except TraitError:
            settings = cls()
        for name, value in dict(shell.config.get("SpareVideos", {})).items():
            try:
                setattr(settings, name, value)
            except (TraitError, AttributeError, TypeError) as e:
                print(
                    f"sv_widgets: ignoring SpareVideos.{name} from the config: {e}", file=sys.stderr
                )
        return settings
