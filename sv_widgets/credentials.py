"""Where the magics find SpareVideos credentials, and how they keep the private key out of sight.

Sources, in the order the magics look (the first one found wins):

1. ``%sv_login`` in this kernel: asks for the private key with a hidden prompt (``getpass``; in a
   Jupyter kernel that is a stdin request, so the key lands in no cell, output or history).
   Explicitly logging in overrides the sources below for the rest of the session;
   ``%sv_logout`` gives them back.
2. The environment: ``SV_PUBLIC_KEY`` and ``SV_PRIVATE_KEY`` (with optional ``SV_API_URL`` and
   ``SV_THUMBNAIL_URL``), as read by :meth:`sv_widgets.Client.from_env`.
3. The credentials file :func:`credentials_path` (``$SV_CONFIG_DIR/credentials.json``, else
   ``$XDG_CONFIG_HOME/sv-widgets/credentials.json`` or ``~/.config/sv-widgets/credentials.json``;
   ``%APPDATA%\\sv-widgets`` on Windows), written by ``%sv_login --save`` with mode 0600. A file
   that other users can read still works, with an :class:`InsecureCredentialsWarning` giving the
   ``chmod`` that fixes it.
4. None of these: the magics fall back to demo mode (:mod:`sv_widgets._demo`).

Nothing here imports the client or the network stack, so ``%load_ext sv_widgets`` stays fast.
"""

from __future__ import annotations

import json
import os
import stat
import sys
import tempfile
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from sv_widgets.errors import ConfigurationError

__all__ = [
    "ENV_API_URL",
    "ENV_CONFIG_DIR",
    "ENV_PRIVATE_KEY",
    "ENV_PUBLIC_KEY",
    "ENV_THUMBNAIL_URL",
    "CredentialResolver",
    "Credentials",
    "InsecureCredentialsWarning",
    "Source",
    "config_dir",
    "credentials_from_environment",
    "credentials_path",
    "read_credentials_file",
    "write_credentials_file",
]

ENV_PUBLIC_KEY = "SV_PUBLIC_KEY"
ENV_PRIVATE_KEY = "SV_PRIVATE_KEY"
ENV_API_URL = "SV_API_URL"
ENV_THUMBNAIL_URL = "SV_THUMBNAIL_URL"
ENV_CONFIG_DIR = "SV_CONFIG_DIR"

Source = Literal["login", "environment", "file", "demo"]

_FILE_NAME = "credentials.json"


class InsecureCredentialsWarning(UserWarning):
    """The credentials file can be read by users other than its owner."""


@dataclass(frozen=True)
class Credentials:
    """A public/private key pair, the service URLs, and where they came from.

    ``repr`` and ``str`` show the public key, URLs and source only, never the private key.

    Parameters
    ----------
    public_key, private_key
        The account's key pair.
    source
        ``"login"``, ``"environment"``, ``"file"`` or ``"demo"``.
    api_url, thumbnail_url
        Service URLs; ``None`` means the client's defaults (the real service).
    origin
        Where exactly: the file's path, or the demo emulator's base URL.
    """

    public_key: str
    private_key: str = field(repr=False)
    source: Source
    api_url: str | None = None
    thumbnail_url: str | None = None
    origin: str | None = None

    def __repr__(self) -> str:
        return (
            f"Credentials(source={self.source!r}, public_key={self.public_key!r}, "
            f"api_url={self.api_url!r}, thumbnail_url={self.thumbnail_url!r})"
        )

    __str__ = __repr__

    def describe(self) -> str:
        """One line naming the source, for ``%sv_status`` and messages."""
        where = {
            "login": "%sv_login in this session",
            "environment": f"environment ({ENV_PUBLIC_KEY}/{ENV_PRIVATE_KEY})",
            "file": f"credentials file {self.origin}",
            "demo": f"demo emulator at {self.origin}",
        }[self.source]
        return f"{where}, public key {self.public_key!r}"


def config_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The directory holding ``credentials.json``.

    ``SV_CONFIG_DIR`` wins (tests and unusual setups); then ``%APPDATA%\\sv-widgets`` on Windows,
    ``$XDG_CONFIG_HOME/sv-widgets`` or ``~/.config/sv-widgets`` elsewhere.
    """
    env = os.environ if environ is None else environ
    if env.get(ENV_CONFIG_DIR):
        return Path(env[ENV_CONFIG_DIR]).expanduser()
    if sys.platform == "win32" and env.get("APPDATA"):
        return Path(env["APPDATA"]) / "sv-widgets"
    base = env.get("XDG_CONFIG_HOME", "")
    # The XDG spec says a relative XDG_CONFIG_HOME is invalid and must be ignored.
    root = Path(base) if base and os.path.isabs(base) else Path.home() / ".config"
    return root / "sv-widgets"


def credentials_path(environ: Mapping[str, str] | None = None) -> Path:
    """The credentials file's path (it may not exist)."""
    return config_dir(environ) / _FILE_NAME


def credentials_from_environment(environ: Mapping[str, str] | None = None) -> Credentials | None:
    """Credentials from ``SV_*`` variables, ``None`` when neither key variable is set.

    Raises
    ------
    ConfigurationError
        Only one of ``SV_PUBLIC_KEY`` and ``SV_PRIVATE_KEY`` is set: half a configuration is a
        mistake to report, not a reason to fall back to another account silently.
    """
    env = os.environ if environ is None else environ
    public_key = env.get(ENV_PUBLIC_KEY, "")
    private_key = env.get(ENV_PRIVATE_KEY, "")
    if not public_key and not private_key:
        return None
    missing = [
        name for name, v in ((ENV_PUBLIC_KEY, public_key), (ENV_PRIVATE_KEY, private_key)) if not v
    ]
    if missing:
        present = ENV_PRIVATE_KEY if missing[0] == ENV_PUBLIC_KEY else ENV_PUBLIC_KEY
        raise ConfigurationError(f"{present} is set but {missing[0]} is not; set both or neither")
    return Credentials(
        public_key=public_key,
        private_key=private_key,
        source="environment",
        api_url=env.get(ENV_API_URL) or None,
        thumbnail_url=env.get(ENV_THUMBNAIL_URL) or None,
    )


def read_credentials_file(path: Path | None = None) -> Credentials | None:
    """Credentials from the JSON file at ``path`` (default :func:`credentials_path`).

    Returns ``None`` when the file does not exist. Warns with
    :class:`InsecureCredentialsWarning` when group or others may read it.

    Raises
    ------
    ConfigurationError
        The file is unreadable, not JSON, or lacks ``public_key``/``private_key``. The message
        names the file and never quotes its content.
    """
    path = credentials_path() if path is None else path
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as e:
        raise ConfigurationError(f"cannot read credentials file {path}: {e.strerror}") from None
    _warn_if_readable_by_others(path)
    try:
        data = json.loads(text)
    except ValueError:
        # The decoder's error object holds the whole document: never chain it.
        raise ConfigurationError(f"credentials file {path} is not valid JSON") from None
    if not isinstance(data, dict):
        raise ConfigurationError(f"credentials file {path} must hold a JSON object")
    values: dict[str, str | None] = {}
    for name in ("public_key", "private_key", "api_url", "thumbnail_url"):
        value = data.get(name)
        if value is not None and not isinstance(value, str):
            raise ConfigurationError(f"credentials file {path}: {name!r} must be a string")
        values[name] = value or None
    public_key, private_key = values["public_key"], values["private_key"]
    if not public_key or not private_key:
        missing = "public_key" if not public_key else "private_key"
        raise ConfigurationError(f"credentials file {path} has no {missing!r}")
    return Credentials(
        public_key=public_key,
        private_key=private_key,
        source="file",
        api_url=values["api_url"],
        thumbnail_url=values["thumbnail_url"],
        origin=str(path),
    )


def write_credentials_file(credentials: Credentials, path: Path | None = None) -> Path:
    """Save ``credentials`` to ``path`` (default :func:`credentials_path`), mode 0600, atomically.

    The file is written under a temporary name created 0600 in the same directory, flushed to
    disk, then renamed over the old one, so a reader sees the old or the new file, whole, and the
    key is never readable by others, not even for a moment. The directory is created 0700.
    """
    path = credentials_path() if path is None else path
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    data: dict[str, Any] = {
        "public_key": credentials.public_key,
        "private_key": credentials.private_key,
    }
    if credentials.api_url:
        data["api_url"] = credentials.api_url
    if credentials.thumbnail_url:
        data["thumbnail_url"] = credentials.thumbnail_url
    # mkstemp creates the file 0600 (O_EXCL), before any byte of the key is written.
    fd, tmp_name = tempfile.mkstemp(prefix=".credentials-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=2)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp_name, 0o600)
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return path


def _warn_if_readable_by_others(path: Path) -> None:
    if os.name != "posix":
        return
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return
    if mode & 0o077:
        warnings.warn(
            f"credentials file {path} can be read by other users (mode {mode:04o}); "
            f"fix it with: chmod 600 {path}",
            InsecureCredentialsWarning,
            stacklevel=3,
        )


class CredentialResolver:
    """Resolves the credentials the magics use, and holds a ``%sv_login`` for the session.

    The private key of a login lives only in this object's memory (and in the file, when the
    user asks to save it).
    """

    def __init__(self) -> None:
        self._login: Credentials | None = None

    @property
    def logged_in(self) -> bool:
        """Whether ``%sv_login`` credentials are active for this session."""
        return self._login is not None

    def login(self, credentials: Credentials) -> None:
        """Use ``credentials`` (source ``"login"``) for the rest of the session."""
        if credentials.source != "login":
            raise ValueError("only credentials from a login can be logged in")
        self._login = credentials

    def logout(self) -> Credentials | None:
        """Forget the session's login; returns what was forgotten (``None`` if nothing)."""
        login, self._login = self._login, None
        return login

    def resolve(self) -> Credentials | None:
        """The active credentials, or ``None`` for demo mode.

        Raises
        ------
        ConfigurationError
            The environment or the file is half or badly configured.
        """
        if self._login is not None:
            return self._login
        return credentials_from_environment() or read_credentials_file()
