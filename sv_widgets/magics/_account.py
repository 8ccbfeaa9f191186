"""``%sv_login`` and ``%sv_logout``: the session's credentials, the private key kept hidden.

The key is asked for with a hidden prompt (``getpass``; in a Jupyter kernel that is a stdin
request), so it lands in no cell, output or history. Where credentials come from, and in
which order: :mod:`sv_widgets.credentials`.
"""

from __future__ import annotations

import builtins
import getpass
from typing import Any

from IPython.core.error import UsageError

from sv_widgets.credentials import (
    ENV_PRIVATE_KEY,
    ENV_PUBLIC_KEY,
    Credentials,
    credentials_from_environment,
    credentials_path,
    write_credentials_file,
)
from sv_widgets.magics._command import api_errors
from sv_widgets.magics._session import MagicSession

__all__ = ["login", "logout"]


def _ask_keys(public_key: str | None) -> tuple[str, str]:
    try:
        public_key = public_key or builtins.input("SpareVideos public key: ").strip()
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
    return public_key, private_key


def login(session: MagicSession, args: Any) -> None:
    """Ask for the keys, check them against the API (unless ``--no-check``), log in."""
    public_key, private_key = _ask_keys(args.public_key)
    creds = Credentials(
        public_key=public_key,
        private_key=private_key,
        source="login",
        api_url=args.api_url,
        thumbnail_url=args.thumbnail_url,
    )
    if not args.no_check:
        session.check_keys(creds)
    message = f"Logged in as {public_key!r} for this session"
    if args.save:  # before logging in: a failed save leaves everything as it was
        try:
            path = write_credentials_file(creds)
        except OSError as e:
            raise UsageError(f"login not changed, cannot save the keys: {e}") from None
        message += f"; saved to {path} (mode 0600)"
    session.resolver.login(creds)
    with api_errors():
        if credentials_from_environment() is not None:
            message += f" (overrides {ENV_PUBLIC_KEY}/{ENV_PRIVATE_KEY} until %sv_logout)"
    print(message + ".")


def logout(session: MagicSession, *, forget: bool) -> None:
    """Forget the session's login (and with ``forget`` the credentials file); say what was
    done in one sentence, then what the magics use now (``%sv_status``'s lines)."""
    done = []
    if session.resolver.logout() is not None:
        done.append("logged out of this session")
    path = credentials_path()
    if forget and path.exists():
        path.unlink()
        done.append(f"deleted {path}")
    session.close()
    status = session.status()
    if done:
        sentence = "; ".join(done)
        sentence = sentence[0].upper() + sentence[1:] + "."
    else:
        sentence = f"Nothing to log out of: {_not_logged_in(status.source, path)}."
    print(f"{sentence}\n{status!r}")


def _not_logged_in(source: str, path: Any) -> str:
    """Why there was nothing to log out of, and where the keys come from instead."""
    if source == "environment":
        return f"the keys come from {ENV_PUBLIC_KEY}/{ENV_PRIVATE_KEY}; unset them to stop"
    if source == "file":
        return f"the keys come from {path}; %sv_logout --forget deletes it"
    return "there is no %sv_login in this session (the magics use demo mode)"
