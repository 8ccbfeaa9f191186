"""The :class:`Emulator`: one store, one service, one uvicorn server in a background thread."""

from __future__ import annotations

import atexit
import functools
import logging
import secrets
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sv_widgets.emulator.http.faults import FaultLike, FaultSet
from sv_widgets.emulator.runtime.extra import require_extra
from sv_widgets.emulator.runtime.handle import Lifecycle, client_for
from sv_widgets.wire import is_loopback_host

if TYPE_CHECKING:  # pragma: no cover
    from sv_widgets.client import Client
    from sv_widgets.emulator.domain.conversions import Converter
    from sv_widgets.emulator.domain.service import SpareVideosService
    from sv_widgets.emulator.domain.store import Store
    from sv_widgets.emulator.http.control import Control

__all__ = ["DEFAULT_MAX_UPLOAD_BYTES", "Emulator"]

logger = logging.getLogger("sv_widgets.emulator")

DEFAULT_MAX_UPLOAD_BYTES = 8 * 1024**3


class Emulator(Lifecycle):
    """A local SpareVideos service: API, upload server, thumbnails and media, with real
    transcoding. Use it as a context manager or call :meth:`start` and :meth:`stop`.

    Parameters
    ----------
    data_dir
        Where state lives (survives restarts); ``None`` makes a temporary directory that is
        removed on :meth:`stop`.
    host, port
        Address to bind; ``port=0`` picks a free port.
    accounts
        ``{public_key: private_key}`` to create. ``None``: reuse the data directory's demo
        account, or generate one.
    page_size
        Codes per ``/me/files`` page (the real service uses 2000).
    max_upload_bytes
        Largest upload accepted; larger ones get error 10006.
    workers
        Conversions running at once.
    faults
        Fault rules (:class:`FaultRule`, JSON objects or compact specs).
    allow_private_remote
        Let ``remote_file`` reach private network ranges. Loopback is allowed while the
        emulator itself listens on loopback only, refused once it binds anything else (a
        remote caller could otherwise reach the host's local services); link-local and
        cloud metadata addresses never are.
    public_url
        Base URL written into responses, when the emulator is reached through a proxy.
    converter
        Replaces the PyAV transcoder: ``converter(record, work_dir, on_progress,
        should_stop) -> outputs`` (see ``domain/catalog.py`` for the ``outputs`` shape); raise
        ``ValueError(reason)`` for a failure. ``conversions="fast"`` covers most needs.
    conversions
        ``"real"`` (PyAV transcodes each upload), ``"fast"`` (small valid media in
        milliseconds, whatever was uploaded) or ``"manual"`` (a conversion waits until
        :meth:`set_conversion` or ``POST /_emulator/conversions/{code}`` moves it on).
    control_token
        Required (``Authorization: Bearer TOKEN``) by the ``/_emulator`` control routes.
        Without it they are open on loopback and refused on any other address.
    cors
        Let pages on other origins use the upload server (preflight and
        ``Access-Control-Allow-Origin`` on ``/fileservers/upload`` and its progress route
        only), as the real one allows the operator's plugin. ``False`` refuses them.

    Examples
    --------
    >>> with Emulator() as emu:                      # doctest: +SKIP
    ...     code = emu.client().upload("clip.mp4")
    """

    def __init__(
        self,
        *,
        data_dir: str | Path | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        accounts: Mapping[str, str] | None = None,
        page_size: int = 2000,
        max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES,
        workers: int = 2,
        faults: Iterable[FaultLike] | None = None,
        allow_private_remote: bool = False,
        public_url: str | None = None,
        converter: Converter | None = None,
        conversions: str = "real",
        control_token: str | None = None,
        cors: bool = True,
    ) -> None:
        from sv_widgets.emulator.http.control import CONVERSION_MODES

        if conversions not in CONVERSION_MODES:
            raise ValueError(
                f"conversions must be one of {', '.join(CONVERSION_MODES)}, not {conversions!r}"
            )
        if control_token is not None and not control_token:
            raise ValueError("control_token must not be empty")
        self.conversions = conversions
        self.control_token = control_token
        self.cors = cors
        self.host = host
        self.port = port
        self.page_size = page_size
        self.max_upload_bytes = max_upload_bytes
        self.workers = workers
        self.allow_private_remote = allow_private_remote
        self.public_url = public_url
        self._converter = converter
        self._data_dir_arg = Path(data_dir) if data_dir is not None else None
        self._accounts_arg = dict(accounts) if accounts is not None else None
        self._faults = FaultSet(faults or ())
        self._temp_dir: Path | None = None
        self._exit_cleanup: Callable[[], object] | None = None
        self._service: SpareVideosService | None = None
        self._control: Control | None = None
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self.data_dir: Path | None = None
        self.demo_account: tuple[str, str] | None = None

    def __repr__(self) -> str:
        state = self.base_url if self._thread is not None else "stopped"
        return f"<Emulator {state}>"

    # ------------------------------------------------------------------ URLs and accounts
    @property
    def base_url(self) -> str:
        """``http://HOST:PORT`` of the running emulator."""
        if self._thread is None:
            raise RuntimeError("the emulator is not running; call start() first")
        if self.public_url:
            return self.public_url.rstrip("/")
        host = self.host if self.host not in ("0.0.0.0", "::", "") else "127.0.0.1"
        host = f"[{host}]" if ":" in host else host
        return f"http://{host}:{self.port}"

    @property
    def api_url(self) -> str:
        """``{base_url}/api/v1``."""
        return f"{self.base_url}/api/v1"

    @property
    def thumbnail_url(self) -> str:
        """``{base_url}/thumbnail``."""
        return f"{self.base_url}/thumbnail"

    @property
    def upload_url(self) -> str:
        """``{base_url}/fileservers/upload``."""
        return f"{self.base_url}/fileservers/upload"

    @property
    def accounts(self) -> dict[str, str]:
        """Every account, public key to private key (a copy)."""
        return self._running_service().accounts

    def client(self, public_key: str | None = None, **client_kwargs: Any) -> Client:
        """A :class:`sv_widgets.client.Client` for ``public_key`` (default: the first account)."""
        return client_for(
            self.accounts, self.api_url, self.thumbnail_url, public_key, client_kwargs
        )

    # ------------------------------------------------------------------ faults
    def set_faults(self, rules: Iterable[FaultLike]) -> None:
        """Replace the fault rules."""
        self._faults.set(rules)

    def clear_faults(self) -> None:
        """Remove every fault rule."""
        self._faults.clear()

    @property
    def faults(self) -> FaultSet:
        """The live rule set."""
        return self._faults

    # ------------------------------------------------------------------ test control
    def reset(self, *, accounts: bool = False) -> dict[str, int]:
        """Remove every file, ticket, conversion and fault rule, without a restart.

        Accounts stay; ``accounts=True`` also deletes those not given at start. Requests
        running meanwhile see the old state or the new one, never an error of the reset's
        making. Returns how many files, tickets and accounts went.
        """
        return self._running_control().reset(accounts=accounts)

    def list_conversions(self) -> list[dict[str, Any]]:
        """Every requested conversion: code, owner, state, progress, reason and flags."""
        return self._running_control().conversions()

    def set_conversion(
        self,
        code: str,
        *,
        progress: float | None = None,
        state: str | None = None,
        reason: str | None = None,
    ) -> dict[str, Any]:
        """Move a waiting conversion on (``conversions="manual"`` only).

        ``progress`` (0-100) keeps it converting; ``state="ready"`` finishes it (with the
        fast mode's media); ``state="failed"`` with ``reason`` fails it (``/me/file`` then
        answers 10001 with that reason). Returns the conversion's new state.
        """
        update = {"progress": progress, "state": state, "reason": reason}
        return self._running_control().update(code, update)

    # ------------------------------------------------------------------ lifecycle
    def start(self, timeout: float = 30.0) -> Emulator:
        """Open the store, start the workers and the server; return when it accepts requests."""
        if self._thread is not None:
            raise RuntimeError("the emulator is already running")
        require_extra()
        if self._data_dir_arg is None:
            self._temp_dir = Path(tempfile.mkdtemp(prefix="sv-emulator-"))
            # One started and never stopped (a notebook's ``Emulator().start()``) still takes
            # its temporary data with it when the interpreter exits (a kernel shutting down).
            self._exit_cleanup = functools.partial(
                shutil.rmtree, self._temp_dir, ignore_errors=True
            )
            atexit.register(self._exit_cleanup)
        self.data_dir = self._data_dir_arg or self._temp_dir
        assert self.data_dir is not None
        try:
            self._service = self._open_service(self.data_dir)
            initial = self._setup_accounts(self._service)
            from sv_widgets.emulator.http.control import Control

            self._control = Control(self._service, self._faults, initial)
            self._serve(self._control, timeout)
        except BaseException:
            self.stop()
            raise
        logger.info("emulator serving on %s (data in %s)", self.base_url, self.data_dir)
        return self

    def _open_service(self, data_dir: Path) -> SpareVideosService:
        """The store and the domain, with the conversion mode's converter."""
        from sv_widgets.emulator.domain.service import SpareVideosService
        from sv_widgets.emulator.domain.store import Store
        from sv_widgets.emulator.network.remote import FetchPolicy

        store = Store(data_dir)
        exposed = not is_loopback_host(self.host)
        if exposed:
            logger.warning(
                "binding %s exposes the emulator to the network (no TLS); remote uploads "
                "from loopback are refused, control routes %s",
                self.host,
                "need the control token" if self.control_token else "are off",
            )
        policy = FetchPolicy(
            allow_private=self.allow_private_remote,
            allow_loopback=not exposed,
            max_bytes=self.max_upload_bytes,
        )
        return SpareVideosService(
            store,
            self._converter or self._default_converter(store),
            page_size=self.page_size,
            workers=self.workers,
            remote_policy=policy,
            manual=self.conversions == "manual",
        )

    def _default_converter(self, store: Store) -> Converter:
        from sv_widgets.emulator.domain import catalog
        from sv_widgets.emulator.domain.canned import CannedMedia

        if self.conversions == "real":
            return functools.partial(catalog.convert_with_media, files_dir=store.files_dir)
        return CannedMedia(store.data_dir / "templates", store.new_temp_path).convert

    def _serve(self, control: Control, timeout: float) -> None:
        """Listen, start uvicorn on its own thread and wait until it accepts requests."""
        import uvicorn

        from sv_widgets.emulator.http.app import AppSettings, create_app

        sock = _listen(self.host, self.port)
        self.port = sock.getsockname()[1]
        self._thread = threading.Thread(target=lambda: None)  # makes base_url usable
        settings = AppSettings(
            base_url=self.base_url,
            public_url=self.public_url,
            max_upload_bytes=self.max_upload_bytes,
            faults=self._faults,
            control=control,
            control_token=self.control_token,
            loopback=is_loopback_host(self.host),
            cors=self.cors,
        )
        config = uvicorn.Config(
            create_app(control.service, settings),
            log_level="warning",
            access_log=False,
            lifespan="off",
            timeout_graceful_shutdown=5,
            # h11 always (httptools has other limits): a request line of up to 8 MiB
            # still reaches the app, so an absurd token gets a JSON 401, not a bare 400.
            http="h11",
            h11_max_incomplete_event_size=8 * 1024 * 1024,
            # The service speaks no WebSocket: with "auto", uvicorn would import whichever
            # websockets package the environment has (older uvicorns its deprecated legacy
            # module, a warning at every start).
            ws="none",
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name="sv-emulator", daemon=True
        )
        self._thread.start()
        self._wait_ready(timeout)

    def _setup_accounts(self, service: SpareVideosService) -> list[str]:
        """Create the accounts asked for (or the demo one); return the public keys a reset
        with ``accounts=True`` keeps: those asked for, else all the emulator started with."""
        if self._accounts_arg:
            for public, private in self._accounts_arg.items():
                service.add_account(public, private)
        self.demo_account = service.store.demo_account()
        if not service.accounts:
            public = "demo-" + secrets.token_hex(6)
            service.add_account(public, secrets.token_hex(24), demo=True)
            self.demo_account = service.store.demo_account()
        return list(self._accounts_arg or service.accounts)

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if self._thread is None or not self._thread.is_alive():
                raise RuntimeError("the emulator's server thread ended before it was ready")
            if time.monotonic() > deadline:
                raise TimeoutError(f"the emulator was not ready within {timeout} s")
            time.sleep(0.01)

    def stop(self, timeout: float = 30.0) -> None:
        """Stop serving, stop the workers, close the store; remove a temporary data dir."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None and self._thread.ident is not None:
            self._thread.join(timeout)
        self._thread = None
        self._server = None
        if self._service is not None:
            self._service.close()
            self._service.store.close()
            self._service = None
        self._control = None
        if self._temp_dir is not None:
            shutil.rmtree(self._temp_dir, ignore_errors=True)
            self._temp_dir = None
        if self._exit_cleanup is not None:
            atexit.unregister(self._exit_cleanup)
            self._exit_cleanup = None

    def _running_service(self) -> SpareVideosService:
        if self._service is None:
            raise RuntimeError("the emulator is not running; call start() first")
        return self._service

    def _running_control(self) -> Control:
        if self._control is None:
            raise RuntimeError("the emulator is not running; call start() first")
        return self._control


def _listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket whose accepted connections get ``TCP_NODELAY``.

    ``socket.create_server`` makes sockets with protocol 0, and asyncio only sets
    ``TCP_NODELAY`` on sockets whose protocol is ``IPPROTO_TCP``: every reply on a kept-alive
    connection then waited for Nagle and delayed ACKs (benchmarks/results.md). Linux copies the
    option from the listener to the sockets it accepts; the explicit protocol covers the asyncio
    check.
    """
    family = _family(host)
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((host, port))
        sock.listen(socket.SOMAXCONN)
    except BaseException:
        sock.close()
        raise
    return sock


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET
