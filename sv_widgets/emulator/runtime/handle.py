"""What a test or a notebook does with a running emulator, wherever it runs.

:class:`~sv_widgets.emulator.Emulator` (a thread of this process) and
:class:`~sv_widgets.emulator.EmulatorProcess` (a child process, driven over the
``/_emulator`` control routes) both satisfy :class:`EmulatorHandle`, with the same methods,
the same signatures and the same return types: code written against the protocol runs on
either. :class:`Lifecycle` gives both their ``with`` block, :func:`client_for` their
``client()``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, TypeVar, runtime_checkable

if TYPE_CHECKING:  # pragma: no cover
    from sv_widgets.client import Client
    from sv_widgets.emulator.http.faults import FaultLike

__all__ = ["EmulatorHandle", "Lifecycle", "client_for"]


@runtime_checkable
class EmulatorHandle(Protocol):
    """A running emulator: its URLs, its accounts, clients of it, and its test controls.

    Examples
    --------
    >>> def fresh(emulator: EmulatorHandle) -> None:   # doctest: +SKIP
    ...     emulator.reset()
    ...     emulator.set_faults(["files_get:http_503:times=1"])
    """

    @property
    def base_url(self) -> str:
        """``http://HOST:PORT`` of the running emulator."""
        ...

    @property
    def api_url(self) -> str:
        """``{base_url}/api/v1``."""
        ...

    @property
    def upload_url(self) -> str:
        """``{base_url}/fileservers/upload``."""
        ...

    @property
    def thumbnail_url(self) -> str:
        """``{base_url}/thumbnail``."""
        ...

    @property
    def accounts(self) -> dict[str, str]:
        """Every account, public key to private key."""
        ...

    def client(self, public_key: str | None = None, **client_kwargs: Any) -> Client:
        """A :class:`sv_widgets.client.Client` for ``public_key`` (default: the first account)."""
        ...

    def set_faults(self, rules: Iterable[FaultLike]) -> None:
        """Replace the fault rules."""
        ...

    def clear_faults(self) -> None:
        """Remove every fault rule."""
        ...

    def reset(self, *, accounts: bool = False) -> dict[str, int]:
        """Remove every file, ticket, conversion and fault rule; return how many went."""
        ...

    def list_conversions(self) -> list[dict[str, Any]]:
        """Every requested conversion: code, owner, state, progress, reason and flags."""
        ...

    def set_conversion(
        self,
        code: str,
        *,
        progress: float | None = None,
        state: str | None = None,
        reason: str | None = None,
    ) -> dict[str, Any]:
        """Move a waiting conversion on (``conversions="manual"`` only); return its state."""
        ...

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the emulator (a temporary data directory goes with it)."""
        ...


class _Startable(Protocol):
    def start(self) -> object: ...

    def stop(self, timeout: float = 30.0) -> None: ...


_S = TypeVar("_S", bound=_Startable)


class Lifecycle:
    """``with emulator:`` starts it and stops it, whatever happens inside."""

    def __enter__(self: _S) -> _S:
        self.start()
        return self

    def __exit__(
        self: _Startable,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def client_for(
    accounts: Mapping[str, str],
    api_url: str,
    thumbnail_url: str,
    public_key: str | None,
    client_kwargs: dict[str, Any],
) -> Client:
    """A client of an emulator for ``public_key`` (default: its first account)."""
    from sv_widgets.client import Client

    key = public_key if public_key is not None else next(iter(accounts))
    if key not in accounts:
        raise KeyError(f"no account with public key {key!r}")
    client_kwargs.setdefault("api_url", api_url)
    client_kwargs.setdefault("thumbnail_url", thumbnail_url)
    return Client(key, accounts[key], **client_kwargs)
