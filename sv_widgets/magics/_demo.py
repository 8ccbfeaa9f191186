"""Demo mode: one local emulator per kernel, for when no credentials are configured.

The first magic that needs the service, finding no credentials (see :mod:`sv_widgets.credentials`),
starts the emulator in a child process (:class:`sv_widgets.emulator.EmulatorProcess`) on
``127.0.0.1`` with a port chosen by the system and a single account whose public key is
:data:`DEMO_PUBLIC_KEY` and whose private key is random, made for this process, handed to the
child through a pipe and never shown. Later magics reuse it; it stops at interpreter exit
(``atexit``), on ``%unload_ext sv_widgets``, or by itself when the kernel dies.

A child process and not a thread of the kernel: what the service does (receiving uploads at
hundreds of MB/s, transcoding at a few hundred MB of memory) stays out of the kernel's memory
and off its GIL, so the kernel stays as light and responsive as with the real service, and the
kernel's Interrupt does not reach the emulator.

Where the data lives is a decision: by default a fresh temporary directory, removed when the
emulator stops. Demo uploads are throwaway and two kernels can never trip over each other's
files. Setting ``%config SpareVideos.demo_data_dir = "..."`` keeps them in that directory across
kernel restarts instead (the emulator's store survives restarts); one directory must then not be
used by two kernels at once.
"""

from __future__ import annotations

import atexit
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from sv_widgets.credentials import Credentials
from sv_widgets.errors import ConfigurationError

if TYPE_CHECKING:  # pragma: no cover
    from sv_widgets.emulator import EmulatorProcess

__all__ = ["DEMO_PUBLIC_KEY", "DemoService", "demo_service"]

DEMO_PUBLIC_KEY = "demo"


def no_emulator_extra(module: str) -> str:
    """What the magics say when demo mode would start but the ``emulator`` extra is missing."""
    from sv_widgets.emulator.runtime.extra import INSTALL_HINT

    return (
        f"no credentials found, and demo mode needs the emulator extra, which is not installed "
        f"(no module {module!r}): %{INSTALL_HINT}, then restart the kernel; "
        "or use an account: %sv_login --save"
    )


class DemoService:
    """Starts the demo emulator on first use, once, and stops it at exit.

    Thread-safe: concurrent first uses start one emulator.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._emulator: EmulatorProcess | None = None
        self._credentials: Credentials | None = None
        self._data_dir: Path | None = None
        self._atexit_registered = False
        self._replaced = ""  # how the previous emulator ended, when it ended by itself

    @property
    def running(self) -> bool:
        """Whether the demo emulator is up."""
        return self._emulator is not None and self._emulator.running

    @staticmethod
    def missing_module() -> str | None:
        """The first module of the ``emulator`` extra that is not installed, if any."""
        from sv_widgets.emulator.runtime.extra import missing_module

        return missing_module()

    def credentials(self, data_dir: str = "") -> tuple[Credentials, bool]:
        """Credentials for the demo account, starting the emulator if needed.

        Parameters
        ----------
        data_dir
            Persistent data directory; empty for a temporary one. Only read when starting.

        Returns
        -------
        tuple
            The credentials (source ``"demo"``) and whether this call started the emulator.

        Raises
        ------
        ConfigurationError
            The emulator's dependencies (the ``emulator`` extra) are not installed, or it failed
            to start.
        """
        with self._lock:
            if self._credentials is not None:
                if self.running:
                    return self._credentials, False
                self._forget_ended()
            missing = self.missing_module()
            if missing is not None:
                raise ConfigurationError(no_emulator_extra(missing))
            import secrets  # here, not at import: keeps %load_ext fast

            private_key = secrets.token_hex(32)
            directory = Path(data_dir).expanduser() if data_dir else None
            try:
                emulator = self._start(directory, private_key)
            except ImportError as e:  # its message names the missing module and the fix
                raise ConfigurationError(
                    f"demo mode needs the emulator: {e}; or use an account: %sv_login --save"
                ) from None
            except Exception as e:
                raise ConfigurationError(f"the demo emulator failed to start: {e}") from e
            self._emulator = emulator
            self._data_dir = directory
            self._credentials = Credentials(
                public_key=DEMO_PUBLIC_KEY,
                private_key=private_key,
                source="demo",
                api_url=emulator.api_url,
                thumbnail_url=emulator.thumbnail_url,
                origin=emulator.base_url,
            )
            if not self._atexit_registered:
                atexit.register(self.stop)
                self._atexit_registered = True
            return self._credentials, True

    def _forget_ended(self) -> None:
        """The child ended by itself (killed, out of memory): note how, so that the next
        announcement says a new one started and the old uploads are gone."""
        assert self._emulator is not None
        how = self._emulator.ended or "ended"
        self._replaced = f"the demo emulator had stopped ({how}); "
        self._emulator.stop()  # reaps it and closes its pipes
        self._emulator = None
        self._credentials = None

    @staticmethod
    def _start(directory: Path | None, private_key: str) -> EmulatorProcess:
        from sv_widgets.emulator.runtime.extra import require_extra
        from sv_widgets.emulator.runtime.process import EmulatorProcess

        require_extra()  # in this process: the error names what to install
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True)
        return EmulatorProcess(directory, accounts={DEMO_PUBLIC_KEY: private_key}).start()

    def announcement(self, *, session: str = "the kernel") -> str:
        """The notice saying demo mode is on, and how to use a real account instead.

        ``session`` names what the temporary data lives as long as (``"the kernel"``, or
        ``"this IPython session"`` in a terminal). Wrapped to :data:`NOTICE_WIDTH` columns,
        continuation lines indented.
        """
        if self._credentials is None:
            return "sv_widgets: demo mode is not running"
        origin = self._credentials.origin
        if self._replaced:
            lost = "" if self._data_dir is not None else " (its uploads went with it)"
            return _wrap(
                f"sv_widgets demo mode: {self._replaced}started a new one at {origin}{lost}."
            )
        where = (
            f"data in {self._data_dir}"
            if self._data_dir is not None
            else f"temporary data, deleted when {session} exits"
        )
        return "\n".join(
            [
                _wrap(
                    "sv_widgets demo mode: no credentials found, so the magics use a local "
                    f"emulator at {origin} ({where})."
                ),
                _wrap(
                    "  For a real account: %sv_login --save, or set SV_PUBLIC_KEY and "
                    "SV_PRIVATE_KEY (and SV_API_URL and SV_THUMBNAIL_URL for a service other "
                    "than sparevideos.com)."
                ),
            ]
        )

    def stop(self) -> None:
        """Stop the emulator (if running); its temporary data is removed."""
        with self._lock:
            emulator, self._emulator = self._emulator, None
            self._credentials = None
            self._data_dir = None
            self._replaced = ""
        if emulator is not None:
            emulator.stop()


#: Columns the demo notice is wrapped to (a terminal's 80, with room for a prompt's margin).
NOTICE_WIDTH = 78


def _wrap(text: str) -> str:
    """``text`` wrapped to :data:`NOTICE_WIDTH`, its continuation lines indented two spaces;
    a URL or a path is never broken."""
    import textwrap

    return textwrap.fill(
        text,
        width=NOTICE_WIDTH,
        initial_indent="",
        subsequent_indent="  ",
        break_long_words=False,
        break_on_hyphens=False,
    )


_SERVICE = DemoService()


def demo_service() -> DemoService:
    """The process-wide (so, per-kernel) :class:`DemoService`."""
    return _SERVICE
