"""IPython magics: ``%load_ext sv_widgets``, then one line per task.

==========================  ==========================================================
``%sv_login``               ask for the keys (private key hidden); ``--save`` keeps them
``%sv_logout``              forget the session's login (``--forget`` deletes the file)
``%sv_status``              which credentials are active (never the private key)
``%sv_upload PATH_OR_URL``  upload, convert, wait; returns the file code
``%%sv_upload``             one path or URL per line, in parallel; returns the codes
``%sv_info CODE``           the file's :class:`~sv_widgets.models.FileInfo`
``%sv_thumbnails CODE``     a :class:`~sv_widgets.widgets.ThumbnailGallery`
``%sv_files``               a :class:`~sv_widgets.widgets.FileBrowser`
``%sv_play CODE``           a :class:`~sv_widgets.widgets.Player`
``%sv_delete CODE ...``     delete after a y/N confirmation (``--yes`` skips it)
==========================  ==========================================================

The magics are thin (STYLE.md): parse the line, resolve the client, hand over to the client
or a widget, return a value. Bad input and API errors raise one-line ``UsageError`` s carrying
the API's code and message. Credentials: :mod:`sv_widgets.credentials`; demo mode:
:mod:`sv_widgets._demo`; settings (``%config SpareVideos``): :mod:`sv_widgets.settings`.

Importing this module loads neither the client (``requests``) nor the widgets (``ipywidgets``)
nor the emulator: each magic imports what it needs when it first runs.
"""

from __future__ import annotations

import argparse
import builtins
import getpass
from typing import TYPE_CHECKING, Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, line_magic, magics_class

from sv_widgets._demo import demo_service
from sv_widgets._magic_support import (
    UploadRequest,
    api_errors,
    argument,
    check_file_code,
    check_source,
    magic_arguments,
    parse_argstring,
    print_help_if_asked,
    run_uploads,
    sources_from_cell,
    summary,
)
from sv_widgets._session import MagicSession, Status
from sv_widgets.credentials import (
    ENV_PRIVATE_KEY,
    ENV_PUBLIC_KEY,
    Credentials,
    credentials_from_environment,
    credentials_path,
    write_credentials_file,
)
from sv_widgets.settings import SpareVideos

if TYPE_CHECKING:  # pragma: no cover
    from sv_widgets.models import FileInfo

__all__ = [
    "SpareVideosMagics",
    "Status",
    "load_ipython_extension",
    "unload_ipython_extension",
]


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
        self.session = MagicSession(settings)

    def _args(self, name: str, line: str) -> argparse.Namespace | None:
        """The parsed arguments of magic ``name``; ``None`` after printing ``--help``."""
        magic = getattr(type(self), name)
        if print_help_if_asked(magic, line):
            return None
        return parse_argstring(magic, line)

    # -- credentials ------------------------------------------------------------------------
    @magic_arguments()
    @argument("-h", "--help", action="store_true", help="show this help and return")
    @argument("--public-key", metavar="PK", help="public key (asked for when missing)")
    @argument("--api-url", help="API base URL (default: the real service)")
    @argument("--thumbnail-url", help="thumbnail base URL (default: the real service)")
    @argument("--save", action="store_true", help="also save to the credentials file (0600)")
    @argument("--no-check", action="store_true", help="do not test the keys against the API")
    @line_magic
    def sv_login(self, line: str) -> None:
        """Log in for this session; the private key is asked for with a hidden prompt.

        The key never appears in a cell, an output or the history. With ``--save`` it is also
        written to the credentials file (mode 0600) for later sessions.
        """
        args = self._args("sv_login", line)
        if args is None:
            return
        try:
            public_key = args.public_key or builtins.input("SpareVideos public key: ").strip()
            if not public_key:
                raise UsageError("no public key given; nothing changed")
            # Looked up at call time: ipykernel swaps getpass.getpass for a stdin request.
            private_key = getpass.getpass("SpareVideos private key (hidden): ").strip()
        except (EOFError, KeyboardInterrupt, NotImplementedError):
            raise UsageError(
                "cannot prompt for the keys here (no stdin); set "
                f"{ENV_PUBLIC_KEY}/{ENV_PRIVATE_KEY} or write {credentials_path()}"
            ) from None
        if not private_key:
            raise UsageError("no private key given; nothing changed")
        creds = Credentials(
            public_key=public_key,
            private_key=private_key,
            source="login",
            api_url=args.api_url,
            thumbnail_url=args.thumbnail_url,
        )
        if not args.no_check:
            self.session.check_keys(creds)
        message = f"Logged in as {public_key!r} for this session"
        if args.save:  # before logging in: a failed save leaves everything as it was
            try:
                path = write_credentials_file(creds)
            except OSError as e:
                raise UsageError(f"login not changed, cannot save the keys: {e}") from None
            message += f"; saved to {path} (mode 0600)"
        self.session.resolver.login(creds)
        with api_errors():
            if credentials_from_environment() is not None:
                message += f" (overrides {ENV_PUBLIC_KEY}/{ENV_PRIVATE_KEY} until %sv_logout)"
        print(message + ".")

    @magic_arguments()
    @argument("-h", "--help", action="store_true", help="show this help and return")
    @argument("--forget", action="store_true", help="also delete the saved credentials file")
    @line_magic
    def sv_logout(self, line: str) -> None:
        """Forget this session's ``%sv_login`` (and with ``--forget`` the saved file)."""
        args = self._args("sv_logout", line)
        if args is None:
            return
        done = []
        if self.session.resolver.logout() is not None:
            done.append("logged out of this session")
        if args.forget:
            path = credentials_path()
            if path.exists():
                path.unlink()
                done.append(f"deleted {path}")
        self.session.close()
        print(("; ".join(done) or "nothing to log out of") + ". " + repr(self.session.status()))

    @magic_arguments()
    @argument("-h", "--help", action="store_true", help="show this help and return")
    @line_magic
    def sv_status(self, line: str) -> Status | None:
        """Show which credentials the magics use (never the private key); returns a Status."""
        if self._args("sv_status", line) is None:
            return None
        return self.session.status()

    # -- uploads --------------------------------------------------------------------------
    @magic_arguments()
    @argument("-h", "--help", action="store_true", help="show this help and return")
    @argument("source", nargs="?", metavar="PATH_OR_URL", help="local file or http(s) URL")
    @argument("--no-convert", action="store_true", help="upload only, request no conversion")
    @argument("--sd-only", action="store_true", help="convert to no rendition above 480p")
    @argument("--mp4-only", action="store_true", help="convert to mp4 only (no webm/HLS/DASH)")
    @argument("--no-wait", action="store_true", help="request conversion, do not wait for it")
    @argument("--parallel", type=int, metavar="N", help="cell form: uploads at once")
    @line_cell_magic
    def sv_upload(self, line: str, cell: str | None = None) -> str | list[str | None] | None:
        """Upload a file (or have the service fetch a URL), convert it, wait; returns the code.

        Shows an UploadProgress widget in Jupyter, text progress in a terminal. Cell form
        ``%%sv_upload [--parallel N]``: one path or URL per line (blank lines and ``#``
        comments ignored, ``$variables`` expanded), uploaded N at a time (default
        ``%config SpareVideos.parallel``), one progress row each; every local file is checked
        before anything is sent. Returns the codes in input order (``None`` where nothing was
        stored; a file whose conversion failed keeps its code, so it can be deleted) and
        prints a summary naming each failure with the API's code and message.
        """
        args = self._args("sv_upload", line)
        if args is None:
            return None
        if args.no_convert and (args.sd_only or args.mp4_only or args.no_wait):
            raise UsageError("--sd-only, --mp4-only and --no-wait need conversion: drop one")
        if cell is None:
            if args.source is None:
                raise UsageError("what to upload? %sv_upload PATH_OR_URL (or %%sv_upload)")
            if args.parallel is not None:
                raise UsageError("--parallel is for the cell form, %%sv_upload")
            sources = [(1, check_source(args.source))]
        else:
            if args.source is not None:
                raise UsageError("%%sv_upload reads paths from the cell body, one per line")
            namespace = self.shell.user_ns if self.shell is not None else {}
            sources = sources_from_cell(cell, namespace)
        parallel = self.settings.parallel if args.parallel is None else args.parallel
        if parallel < 1:
            raise UsageError(f"--parallel must be at least 1, not {parallel}")
        request = UploadRequest(
            convert=not args.no_convert,
            sd_only=args.sd_only,
            mp4_only=args.mp4_only,
            wait=not args.no_wait,
            poll_interval=self.settings.poll_interval,
            conversion_timeout=self.settings.conversion_timeout,
        )
        from IPython.display import display

        client = self.session.client()
        outcomes = run_uploads(
            client,
            sources,
            request,
            parallel=parallel,
            widgets=self.session.use_widgets(self.shell),
            display=display,
        )
        if cell is not None:
            print(summary(outcomes))
            return [o.code for o in outcomes]  # a kept file (conversion failed) keeps its code
        outcome = outcomes[0]
        for note in outcome.notes:
            print(note)
        if outcome.error is not None:
            kept = f" (file {outcome.code} kept)" if outcome.code else ""
            raise UsageError(outcome.error + kept)
        return outcome.code

    # -- files ----------------------------------------------------------------------------
    @magic_arguments()
    @argument("-h", "--help", action="store_true", help="show this help and return")
    @argument("code", help="the file code, e.g. 1488633857-11PYNC")
    @argument("--json", action="store_true", help="return the raw /me/file reply as a dict")
    @line_magic
    def sv_info(self, line: str) -> FileInfo | dict[str, Any] | None:
        """Show a file: returns its FileInfo (a card in Jupyter), or with ``--json`` a dict.

        A file that is not converted yet, or still converting, gets a one-line status and the
        magic returns ``None``; a failed conversion raises a ``UsageError`` with the API's
        code and reason.
        """
        args = self._args("sv_info", line)
        if args is None:
            return None
        code = check_file_code(args.code)
        from sv_widgets.errors import FileNotConverted, SpareVideosError

        client = self.session.client()
        with api_errors():
            try:
                info = client.file_info(code)
            except FileNotConverted as e:
                if e.progress is not None:
                    print(f"{code}: converting, {e.progress:.0f}% done")
                else:
                    print(f"{code}: {e.message}")
                return None
        if args.json:
            return dict(info.raw)
        try:  # embed the image: the browser may not reach the thumbnail URL (Binder)
            return info.with_thumbnail_image(client.thumbnail_image(code))
        except SpareVideosError:
            return info  # the card links to the URL instead

    @magic_arguments()
    @argument("-h", "--help", action="store_true", help="show this help and return")
    @argument("code", help="the file code")
    @line_magic
    def sv_thumbnails(self, line: str) -> Any:
        """Show a file's thumbnails; click one to make it the selected thumbnail.

        Returns the ThumbnailGallery (its ``value`` is the selected file name).
        """
        args = self._args("sv_thumbnails", line)
        if args is None:
            return None
        code = check_file_code(args.code)
        from sv_widgets.widgets import ThumbnailGallery

        client = self.session.client()
        with api_errors():
            return ThumbnailGallery(client, code, size=self.settings.thumbnail_height)

    @magic_arguments()
    @argument("-h", "--help", action="store_true", help="show this help and return")
    @argument("--page-size", type=int, metavar="N", help="rows per page (%%config default)")
    @line_magic
    def sv_files(self, line: str) -> Any:
        """Browse the account's files; returns the FileBrowser."""
        args = self._args("sv_files", line)
        if args is None:
            return None
        page_size = self.settings.page_size if args.page_size is None else args.page_size
        if page_size < 1:
            raise UsageError(f"--page-size must be at least 1, not {page_size}")
        from sv_widgets.widgets import FileBrowser

        client = self.session.client()
        with api_errors():
            return FileBrowser(
                client, page_size=page_size, poll_interval=self.settings.poll_interval
            )

    @magic_arguments()
    @argument("-h", "--help", action="store_true", help="show this help and return")
    @argument("code", help="the file code")
    @argument("--rendition", metavar="LABEL", help="start with this rendition, e.g. 720")
    @line_magic
    def sv_play(self, line: str) -> Any:
        """Play a converted file; returns the Player (rendition selectable)."""
        args = self._args("sv_play", line)
        if args is None:
            return None
        code = check_file_code(args.code)
        from sv_widgets.widgets import Player

        client = self.session.client()
        with api_errors():
            return Player(client, code, rendition=args.rendition)

    @magic_arguments()
    @argument("-h", "--help", action="store_true", help="show this help and return")
    @argument("codes", nargs="+", metavar="CODE", help="file codes to delete")
    @argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    @line_magic
    def sv_delete(self, line: str) -> list[str]:
        """Delete files, all or nothing, after a y/N confirmation; returns the deleted codes.

        In a notebook the question is a text box below the cell (a stdin request); anything but
        ``y``/``yes`` deletes nothing and returns ``[]``.
        """
        args = self._args("sv_delete", line)
        if args is None:
            return []
        codes = list(dict.fromkeys(check_file_code(c) for c in args.codes))  # unique, in order
        client = self.session.client()
        if not args.yes:
            listing = ", ".join(codes)
            question = f"Delete {len(codes)} file{'s' * (len(codes) > 1)} ({listing})? [y/N] "
            try:
                answer = builtins.input(question)
            except (EOFError, KeyboardInterrupt, NotImplementedError):
                answer = ""
            if answer.strip().lower() not in ("y", "yes"):
                print("Nothing deleted.")
                return []
        with api_errors():
            client.delete(codes)
        print(f"Deleted {len(codes)} file{'s' * (len(codes) > 1)}.")
        return codes


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
