"""IPython magics: ``%load_ext sv_widgets``, then one line per task.

==========================  ==========================================================
``%sv_login``               ask for the keys (private key hidden); ``--save`` keeps them
``%sv_logout``              forget the session's login (``--forget`` deletes the file)
``%sv_status``              which credentials are active (never the private key)
``%sv_client``              the ``Client`` the magics use (demo or real)
``%sv_upload PATH_OR_URL``  upload, convert, wait; returns the file code
``%sv_upload``              an upload area for files on the person's own computer
``%%sv_upload``             one path or URL per line, in parallel; returns the codes
``%sv_convert CODE``        convert a file uploaded with ``--no-convert``
``%sv_info CODE``           the file's :class:`~sv_widgets.models.FileInfo`
``%sv_thumbnails CODE``     a :class:`~sv_widgets.widgets.ThumbnailGallery`
``%sv_files``               a :class:`~sv_widgets.widgets.FileBrowser`
``%sv_play CODE``           a :class:`~sv_widgets.widgets.Player`
``%sv_delete CODE ...``     delete after a y/N confirmation (``--yes`` skips it)
==========================  ==========================================================

The magics are thin: parse the line, resolve the client, hand over to the client, the
upload pipeline or a widget, return a value. Each is one short method here; the modules
behind them are ``_command`` (arguments, help, the one error style), ``_session``
(credentials and clients), ``_demo`` (the demo emulator), ``_account`` (login and status),
``_uploads`` (uploads, one or many) and ``_files`` (everything that takes a file code). Settings:
:mod:`sv_widgets.settings` (``%config SpareVideos``).

Importing this package loads neither the client (``requests``) nor the widgets
(``ipywidgets``) nor the emulator: each magic imports what it needs when it first runs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from IPython.core.magic import Magics, line_cell_magic, line_magic, magics_class

from sv_widgets.magics import _account, _files, _uploads
from sv_widgets.magics._command import arg, command
from sv_widgets.magics._demo import demo_service
from sv_widgets.magics._session import MagicSession, Status
from sv_widgets.settings import SpareVideos
from sv_widgets.wire import STREAM_FORMATS

if TYPE_CHECKING:  # pragma: no cover
    import argparse

    from sv_widgets.models import FileInfo

__all__ = [
    "SpareVideosMagics",
    "Status",
    "load_ipython_extension",
    "unload_ipython_extension",
]

_CODE = arg("code", help="the file code, e.g. 1488633857-11PYNC")


@magics_class
class SpareVideosMagics(Magics):
    """The ``%sv_*`` magics, bound to one shell and its :class:`SpareVideos` settings.

    Parameters
    ----------
    shell
        The IPython shell.
    settings
        The settings object registered for ``%config SpareVideos``.
    """

    def __init__(self, shell: Any, settings: SpareVideos) -> None:
        super().__init__(shell)
        self.settings = settings
        self.session = MagicSession(settings, shell)

    @property
    def _widgets(self) -> bool:
        """Whether to answer with widgets (Jupyter) or text (a terminal, display="text")."""
        return self.session.use_widgets(self.shell)

    # -- credentials ------------------------------------------------------------------------
    @line_magic
    @command(
        arg("--public-key", metavar="PK", help="public key (asked for when missing)"),
        arg("--api-url", help="API base URL (default: the real service)"),
        arg("--thumbnail-url", help="thumbnail base URL (default: the real service)"),
        arg("--save", action="store_true", help="also save to the credentials file (0600)"),
        arg("--no-check", action="store_true", help="do not test the keys against the API"),
    )
    def sv_login(self, args: argparse.Namespace) -> None:
        """Log in for this session; the private key is asked for with a hidden prompt.

        The key never appears in a cell, an output or the history. With --save it is also
        written to the credentials file (mode 0600) for later sessions.
        """
        _account.login(self.session, args)

    @line_magic
    @command(arg("--forget", action="store_true", help="also delete the saved credentials file"))
    def sv_logout(self, args: argparse.Namespace) -> None:
        """Forget this session's %sv_login (and with --forget the saved file)."""
        _account.logout(self.session, forget=args.forget)

    @line_magic
    @command()
    def sv_status(self, args: argparse.Namespace) -> Status:
        """Show which credentials the magics use (never the private key); returns a Status."""
        return self.session.status()

    @line_magic
    @command()
    def sv_client(self, args: argparse.Namespace) -> Any:
        """Return the Client the magics use (demo or real), for scripting: client = %sv_client.

        Its repr shows the public key and the service's URLs, never the private key.
        """
        return self.session.client()

    # -- uploads ----------------------------------------------------------------------------
    @line_cell_magic
    @command(
        arg(
            "source",
            nargs="?",
            metavar="PATH_OR_URL",
            help="local file or http(s) URL; none: an area to choose or drop your own files",
        ),
        arg("--no-convert", action="store_true", help="upload only, request no conversion"),
        arg("--sd-only", action="store_true", help="convert to no rendition above 480p"),
        arg("--mp4-only", action="store_true", help="convert to mp4 only (no webm/HLS/DASH)"),
        arg("--no-wait", action="store_true", help="request conversion, do not wait for it"),
        arg(
            "--parallel",
            type=int,
            metavar="N",
            help="uploads at once: in %%%%sv_upload, default %%config SpareVideos.parallel "
            "(4 unless changed); with no path (the upload area), default 2",
        ),
        arg(
            "--transport",
            # The upload area's modes, spelled here so that loading the extension does not
            # import the upload pipeline; a test holds them to ``sv_widgets.uploads.MODES``.
            choices=("auto", "direct", "relay"),
            help="no path: how files go from the page (default auto)",
        ),
        cell=True,
    )
    def sv_upload(self, args: argparse.Namespace, cell: str | None) -> Any:
        """Upload a file (or have the service fetch a URL), convert it, wait; returns the code.

        Shows an UploadProgress widget in Jupyter, text progress in a terminal. Paths are
        read as a shell reads them: quote names with spaces ("my clip.mp4") or escape the
        spaces (my\\ clip.mp4); $name expands to a variable's value as one word.

        With no path, in a notebook: shows an UploadDropzone and returns it, to upload
        videos from your own computer (on Binder or JupyterHub too): choose files or drop
        them on it. --no-convert, --sd-only, --mp4-only and --parallel N apply to its
        files; it uploads 2 at once unless --parallel says otherwise. --transport direct
        sends each file from the page straight to the upload server; relay sends it
        through the kernel in chunks; auto (the default) goes direct when the page can
        reach the server and relays otherwise.

        Cell form %%sv_upload [--parallel N]: one path or URL per line (blank lines and #
        comments ignored, $variables expanded), uploaded N at a time (default
        %config SpareVideos.parallel, which is 4 unless changed), one progress row each;
        every local file is checked before anything is sent. Returns the codes in input
        order (None where nothing was stored; a file whose conversion failed keeps its
        code, so it can be deleted) and prints a summary naming each failure with the
        API's code and message.

        Ctrl-C (or a kernel interrupt, or Cancel while the cell waits) stops the upload
        and prints one line saying where the file was left. The line form then returns
        the code of a file already stored (it stays on the service, converting if that
        was requested: %sv_info CODE follows it, %sv_delete CODE removes it), or None
        when nothing was stored.
        """
        return _uploads.upload(self, args, cell)

    @line_magic
    @command(
        _CODE,
        arg("--sd-only", action="store_true", help="convert to no rendition above 480p"),
        arg("--mp4-only", action="store_true", help="convert to mp4 only (no webm/HLS/DASH)"),
        arg("--no-wait", action="store_true", help="request conversion, do not wait for it"),
    )
    def sv_convert(self, args: argparse.Namespace) -> str | None:
        """Convert a file uploaded with --no-convert, with the same progress as an upload.

        Returns the code once converted (or once requested, with --no-wait).
        """
        return _uploads.convert(self, args)

    # -- files ------------------------------------------------------------------------------
    @line_magic
    @command(_CODE, arg("--json", action="store_true", help="return the raw reply as a dict"))
    def sv_info(self, args: argparse.Namespace) -> FileInfo | dict[str, Any] | None:
        """Show a file: returns its FileInfo (a card in Jupyter), or with --json a dict.

        A file that is not converted yet, or still converting, gets a one-line status and the
        magic returns None; a failed conversion raises a UsageError with the API's code and
        reason.
        """
        return _files.info(self.session, args.code, raw=args.json)

    @line_magic
    @command(_CODE)
    def sv_thumbnails(self, args: argparse.Namespace) -> Any:
        """Show a file's thumbnails; click one to make it the selected thumbnail.

        Returns the ThumbnailGallery (its value is the selected file name).
        """
        return _files.thumbnails(self.session, args.code, widgets=self._widgets)

    @line_magic
    @command(arg("--page-size", type=int, metavar="N", help="rows per page (%%config default)"))
    def sv_files(self, args: argparse.Namespace) -> Any:
        """Browse the account's files; returns the FileBrowser."""
        return _files.browser(self.session, args.page_size, widgets=self._widgets)

    @line_magic
    @command(
        _CODE,
        arg(
            "--format",
            choices=("auto", *STREAM_FORMATS),
            default="auto",
            help="auto (HLS, else DASH, else MP4, as the browser can), hls, dash, mp4 or webm",
        ),
        arg("--rendition", metavar="LABEL", help="start with this rendition (e.g. 360)"),
    )
    def sv_play(self, args: argparse.Namespace) -> Any:
        """Play a converted file; returns the Player (format and rendition selectable)."""
        return _files.play(
            self.session,
            args.code,
            rendition=args.rendition,
            format=args.format,
            widgets=self._widgets,
        )

    @line_magic
    @command(
        arg("codes", nargs="+", metavar="CODE", help="file codes to delete"),
        arg("-y", "--yes", action="store_true", help="do not ask for confirmation"),
    )
    def sv_delete(self, args: argparse.Namespace) -> list[str]:
        """Delete files, all or nothing, after a y/N confirmation; returns the deleted codes.

        In a notebook the question is a text box below the cell (a stdin request); anything
        but y or yes deletes nothing and returns [].
        """
        return _files.delete(self.session, args.codes, confirm=not args.yes)


def load_ipython_extension(ipython: Any) -> None:
    """Register the magics and the ``SpareVideos`` settings with ``ipython``.

    Called by ``%load_ext sv_widgets``. Settings from the shell's config (for example
    ``c.SpareVideos.parallel = 8`` in ``ipython_config.py``) apply.
    """
    settings = next((c for c in ipython.configurables if isinstance(c, SpareVideos)), None)
    if settings is None:
        settings = SpareVideos.from_shell(ipython)
        ipython.configurables.append(settings)
    ipython.register_magics(SpareVideosMagics(ipython, settings))


def unload_ipython_extension(ipython: Any) -> None:
    """Remove the magics and settings, close clients and stop the demo emulator.

    Called by ``%unload_ext sv_widgets``; ``%load_ext`` afterwards starts afresh.
    """
    manager = ipython.magics_manager
    magics = manager.registry.pop(SpareVideosMagics.__name__, None)
    if isinstance(magics, SpareVideosMagics):
        for kind, names in magics.magics.items():
            table = manager.magics[kind]
            for name in names:
                if getattr(table.get(name), "__self__", None) is magics:
                    del table[name]
        magics.session.close()
    ipython.configurables[:] = [c for c in ipython.configurables if not isinstance(c, SpareVideos)]
    demo_service().stop()
