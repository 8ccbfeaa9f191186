"""The magics' session: which credentials are active, and the clients built from them.

One :class:`MagicSession` per loaded extension. It resolves credentials on every magic call
(so a changed environment or a new credentials file takes effect at once), falls back to the
demo emulator, and caches one :class:`~sv_widgets.client.Client` per set of credentials with the
``%config SpareVideos`` expiries applied.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from IPython.core.error import UsageError

from sv_widgets.credentials import CredentialResolver, Credentials
from sv_widgets.errors import SpareVideosError
from sv_widgets.magics._command import api_errors, one_line
from sv_widgets.magics._demo import demo_service, no_emulator_extra
from sv_widgets.settings import SpareVideos
from sv_widgets.wire import DEFAULT_API_URL, DEFAULT_THUMBNAIL_URL

if TYPE_CHECKING:  # pragma: no cover
    from sv_widgets.client import Client

__all__ = ["SETTINGS_HELP", "MagicSession", "Status"]

#: Where the credentials and the service come from, named in full wherever the magics say so.
_SETTINGS = (
    "SV_PUBLIC_KEY and SV_PRIVATE_KEY (the keys)",
    "SV_API_URL and SV_THUMBNAIL_URL (the service; sparevideos.com when unset)",
    "or %sv_login --save",
)
SETTINGS_HELP = ", ".join(_SETTINGS)


# One source per line: the status stays readable in an 80-column terminal.
_SETTINGS_LINE = "  settings:   " + ",\n              ".join(_SETTINGS)


@dataclass(frozen=True)
class Status:
    """What ``%sv_status`` returns: the active credential source, never the private key.

    Attributes
    ----------
    source
        ``"login"``, ``"environment"``, ``"file"`` or ``"demo"``.
    public_key, api_url, thumbnail_url
        The active account and service (``None`` while demo mode has not started).
    detail
        One sentence saying where the credentials come from.
    """

    source: str
    public_key: str | None
    api_url: str | None
    thumbnail_url: str | None
    detail: str

    def __repr__(self) -> str:
        lines = [f"SpareVideos: {self.detail}"]
        if self.api_url:
            lines.append(f"  API:        {self.api_url}")
        if self.thumbnail_url:
            lines.append(f"  thumbnails: {self.thumbnail_url}")
        lines.append(_SETTINGS_LINE)
        return "\n".join(lines)

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(repr(self))


def _client_for(creds: Credentials, **kwargs: Any) -> Client:
    from sv_widgets.client import Client

    with api_errors(creds.private_key):
        return Client(
            creds.public_key,
            creds.private_key,
            api_url=creds.api_url or DEFAULT_API_URL,
            thumbnail_url=creds.thumbnail_url or DEFAULT_THUMBNAIL_URL,
            **kwargs,
        )


def _has_kernel(shell: Any) -> bool:
    # ipykernel's shell (Jupyter, VS Code, Colab) has a kernel, and with it a widget comm
    # channel; terminal IPython and a plain InteractiveShell have none.
    return getattr(shell, "kernel", None) is not None


class MagicSession:
    """Credentials and clients for the magics of one shell.

    Parameters
    ----------
    settings
        The ``SpareVideos`` settings (expiries, demo data directory).
    """

    def __init__(self, settings: SpareVideos, shell: Any = None) -> None:
        self.settings = settings
        self.shell = shell
        self.resolver = CredentialResolver()
        self._clients: dict[tuple[str | None, ...], Client] = {}

    @property
    def in_kernel(self) -> bool:
        """Whether the magics run in a Jupyter kernel (else a terminal or a plain shell)."""
        return _has_kernel(self.shell)

    def credentials(self) -> Credentials:
        """The active credentials, starting the demo emulator when nothing is configured.

        Starting it prints the one line that says so and how to use a real account.
        """
        with api_errors():
            creds = self.resolver.resolve()
            if creds is None:
                demo = demo_service()
                creds, started = demo.credentials(self.settings.demo_data_dir)
                if started:
                    session = "the kernel" if self.in_kernel else "this IPython session"
                    print(demo.announcement(session=session))
        return creds

    def client(self) -> Client:
        """A client for the active credentials (cached per credentials), settings applied."""
        creds = self.credentials()
        import hashlib

        # A digest, not the key: no repr of this dict can ever show the key.
        digest = hashlib.sha256(creds.private_key.encode()).hexdigest()
        key = (creds.source, creds.public_key, creds.api_url, creds.thumbnail_url, digest)
        client = self._clients.get(key)
        if client is None:
            client = self._clients[key] = _client_for(creds)
        client.expires_in = self.settings.call_expires
        client.upload_expires_in = self.settings.upload_expires
        return client

    def check_keys(self, creds: Credentials) -> None:
        """Make one signed call (list page 1) with ``creds``; ``UsageError`` if refused."""
        try:
            with _client_for(creds, retries=0) as probe:
                probe.list_files(1)
        except SpareVideosError as e:
            message = one_line(str(e), (creds.private_key,))
            raise UsageError(f"login not changed, the keys did not work: {message}") from None

    def status(self) -> Status:
        """The active source, without starting the demo emulator."""
        with api_errors():
            creds = self.resolver.resolve()
        if creds is None:
            demo = demo_service()
            missing = None if demo.running else demo.missing_module()
            if missing is not None:
                return Status("demo", None, None, None, no_emulator_extra(missing))
            if not demo.running:
                detail = (
                    "demo mode (a local emulator starts on first use); %sv_login for a real account"
                )
                return Status("demo", None, None, None, detail)
            creds, _ = demo.credentials()
        api_url = creds.api_url or DEFAULT_API_URL
        thumbnail_url = creds.thumbnail_url or DEFAULT_THUMBNAIL_URL
        return Status(creds.source, creds.public_key, api_url, thumbnail_url, creds.describe())

    def use_widgets(self, shell: Any) -> bool:
        """Whether to draw widgets (``display`` setting; ``"auto"`` asks the shell)."""
        mode = self.settings.display
        if mode != "auto":
            return bool(mode == "widget")
        return _has_kernel(shell)

    def close(self) -> None:
        """Close every cached client."""
        for client in self._clients.values():
            client.close()
        self._clients.clear()
