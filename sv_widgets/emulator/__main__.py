"""``python -m sv_widgets.emulator``: run the emulator until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from sv_widgets.emulator.http.control import CONVERSION_MODES
from sv_widgets.emulator.http.faults import parse_fault_spec
from sv_widgets.emulator.runtime.extra import require_extra
from sv_widgets.emulator.runtime.server import DEFAULT_MAX_UPLOAD_BYTES, Emulator
from sv_widgets.wire import is_loopback_host

__all__ = ["build_parser", "main"]

_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}


def _size(text: str) -> int:
    """``8G``, ``500M``, ``1048576``... as bytes."""
    raw = text.strip().lower().removesuffix("ib").removesuffix("b")
    unit = raw[-1:] if raw[-1:] in _UNITS and raw[-1:] else ""
    number = raw[: len(raw) - len(unit)]
    try:
        value = int(float(number) * _UNITS[unit])
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (try 8G or 500M)") from None
    if value < 1:
        raise argparse.ArgumentTypeError("the size must be positive")
    return value


def _account(text: str) -> tuple[str, str]:
    public, sep, private = text.partition(":")
    if not sep or not public or not private:
        raise argparse.ArgumentTypeError("use --account PUBLIC:PRIVATE")
    return public, private


def _fault(text: str) -> str:
    try:
        parse_fault_spec(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def build_parser() -> argparse.ArgumentParser:
    """The command-line options (documented in docs/emulator.md and docs/emulator-guide.md)."""
    p = argparse.ArgumentParser(
        prog="python -m sv_widgets.emulator",
        description="Run a local SpareVideos emulator (API, upload server, thumbnails, media).",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 = any free)")
    p.add_argument("--data-dir", help="state directory (default: a temp dir removed on exit)")
    p.add_argument(
        "--account",
        action="append",
        type=_account,
        default=[],
        metavar="PUBLIC:PRIVATE",
        help="an account to create (repeatable); without it a demo account is generated",
    )
    p.add_argument("--page-size", type=int, default=2000, help="codes per /me/files page")
    p.add_argument(
        "--max-upload-size",
        type=_size,
        default=DEFAULT_MAX_UPLOAD_BYTES,
        metavar="SIZE",
        help="largest upload accepted, e.g. 8G or 500M (default 8G); larger gets error 10006",
    )
    p.add_argument("--workers", type=int, default=2, help="conversions at once (default 2)")
    p.add_argument(
        "--allow-private-remote",
        action="store_true",
        help="let remote_file reach private network ranges (10/8, 192.168/16, ...)",
    )
    p.add_argument("--public-url", help="base URL to put in responses (behind a proxy)")
    p.add_argument(
        "--fault",
        action="append",
        type=_fault,
        default=[],
        metavar="SPEC",
        help="inject faults: ROUTE:KIND[:p=0.3,seed=1,ms=200,retry_after=2,times=N]",
    )
    p.add_argument(
        "--conversions",
        choices=CONVERSION_MODES,
        default="real",
        help="real: transcode with PyAV (default); fast: small valid media in milliseconds; "
        "manual: conversions wait for POST /_emulator/conversions/{code}",
    )
    p.add_argument(
        "--control-token",
        metavar="TOKEN",
        help="require 'Authorization: Bearer TOKEN' on the /_emulator control routes "
        "(without it they are open on loopback and refused on any other address)",
    )
    p.add_argument(
        "--no-cors",
        dest="cors",
        action="store_false",
        help="refuse cross-origin requests to the upload server (allowed by default)",
    )
    p.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    _add_parent_options(p)
    return p


def _add_parent_options(p: argparse.ArgumentParser) -> None:
    """The options for a process that starts the emulator as its child."""
    p.add_argument(
        "--accounts-from-stdin",
        action="store_true",
        help='read accounts as one JSON object {"PUBLIC": "PRIVATE", ...} on the first line '
        "of standard input, so that private keys stay out of the process list",
    )
    p.add_argument(
        "--stop-when-stdin-closes",
        action="store_true",
        help="stop when standard input closes: for a parent process that holds the pipe, "
        "so the emulator ends with it even when it is killed",
    )


def _stdin_accounts() -> dict[str, str]:
    """The accounts on standard input's first line (``--accounts-from-stdin``)."""
    line = sys.stdin.buffer.readline()  # the binary layer: the watcher reads it next
    try:
        accounts = json.loads(line)
    except ValueError:
        accounts = None
    if not isinstance(accounts, dict) or not all(
        isinstance(k, str) and k and isinstance(v, str) and v for k, v in accounts.items()
    ):
        raise ValueError(
            'expected one line {"PUBLIC": "PRIVATE", ...} on standard input (--accounts-from-stdin)'
        )
    return accounts


def _stop_when_stdin_closes(stop: threading.Event) -> None:
    """Set ``stop`` once standard input reaches its end (``--stop-when-stdin-closes``)."""

    def watch() -> None:
        # The descriptor, not sys.stdin: a daemon thread blocked inside a buffered reader
        # holds its lock, and the interpreter aborts when it closes stdin at exit.
        fd = sys.stdin.fileno()
        while os.read(fd, 65536):
            pass
        stop.set()

    threading.Thread(target=watch, name="sv-emulator-stdin", daemon=True).start()


def main(argv: Sequence[str] | None = None) -> int:
    """Run until interrupted; return the exit status."""
    args = build_parser().parse_args(argv)
    try:
        require_extra()
    except ImportError as exc:
        print(f"python -m sv_widgets.emulator: {exc}", file=sys.stderr)
        return 1
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    accounts = dict(args.account)
    if args.accounts_from_stdin:
        try:
            accounts.update(_stdin_accounts())
        except ValueError as exc:
            print(f"python -m sv_widgets.emulator: {exc}", file=sys.stderr)
            return 2
    if not is_loopback_host(args.host):
        print(
            f"WARNING: binding {args.host} exposes the emulator (and its demo keys and files) "
            "to the network; it has no TLS and is meant for loopback. The control routes "
            + ("need the control token." if args.control_token else "are off."),
            file=sys.stderr,
        )
    emulator = Emulator(
        data_dir=args.data_dir,
        host=args.host,
        port=args.port,
        accounts=accounts or None,
        page_size=args.page_size,
        max_upload_bytes=args.max_upload_size,
        workers=args.workers,
        faults=args.fault,
        allow_private_remote=args.allow_private_remote,
        public_url=args.public_url,
        conversions=args.conversions,
        control_token=args.control_token,
        cors=args.cors,
    )
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    if args.stop_when_stdin_closes:
        _stop_when_stdin_closes(stop)
    with emulator:
        _print_banner(emulator)
        while not stop.wait(0.5):
            pass
    return 0


def _print_banner(emulator: Emulator) -> None:
    print(f"SpareVideos emulator ready (data: {emulator.data_dir})")
    print(f"  api:        {emulator.api_url}")
    print(f"  upload:     {emulator.upload_url}")
    print(f"  thumbnails: {emulator.thumbnail_url}")
    print(f"  media:      {emulator.base_url}/media")
    print(f"  control:    {emulator.base_url}/_emulator (faults, reset, conversions)")
    print(f"  conversions: {emulator.conversions}")
    if emulator.demo_account is not None:
        public, private = emulator.demo_account
        # Printing the generated demo key is the point: it exists only on this machine.
        print(f"  demo account: SV_PUBLIC_KEY={public} SV_PRIVATE_KEY={private}")
    print(f"  accounts: {', '.join(sorted(emulator.accounts))}", flush=True)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
