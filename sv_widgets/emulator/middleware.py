"""ASGI middleware around the emulator's routes: the last-resort guard and fault injection.

:class:`Guard` is outermost: any exception that escapes the routes becomes a JSON 500 with
a generic message (the traceback goes to the log, never to the client). :class:`InjectFaults`
applies the instance's :class:`~sv_widgets.emulator.faults.FaultSet` before a request reaches
its route.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sv_widgets.emulator.faults import FaultRule, FaultSet

__all__ = ["Guard", "InjectFaults", "json_error_body", "route_name"]

logger = logging.getLogger("sv_widgets.emulator")

_ROUTES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("/api/v1/upload/initiate", "initiate", ()),
    ("/api/v1/upload/conversion/initiate", "convert", ()),
    ("/api/v1/me/file", "file_get", ("GET", "HEAD")),
    ("/api/v1/me/file", "file_update", ()),
    ("/api/v1/me/files", "files_get", ("GET", "HEAD")),
    ("/api/v1/me/files", "files_delete", ()),
    ("/fileservers/upload/progress", "progress", ()),
    ("/fileservers/upload", "upload", ()),
)


def route_name(method: str, path: str) -> str:
    """The fault-rule name of a request (``""`` when it has none)."""
    for prefix, name, methods in _ROUTES:
        if path.rstrip("/") == prefix and (not methods or method in methods):
            return name
    if path.startswith("/thumbnail/"):
        return "thumbnail"
    if path.startswith("/media/"):
        return "media"
    return ""


def json_error_body(code: int, message: str, **extra: Any) -> bytes:
    """``{"status": "error", "error": code, "message": message, ...}`` as bytes."""
    return json.dumps({"status": "error", "error": code, "message": message, **extra}).encode()


async def _send_json(
    send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class Guard:
    """Turn any unexpected exception into a JSON 500 and log its traceback."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            logger.exception("unexpected error on %s %s", scope.get("method"), scope.get("path"))
            if not started:
                body = json_error_body(500, "Internal error: the emulator failed unexpectedly")
                await _send_json(send, 500, body, [])


class InjectFaults:
    """Apply fault rules to every request outside ``/_emulator``."""

    def __init__(self, app: ASGIApp, faults: Callable[[], FaultSet]) -> None:
        self.app = app
        self.faults = faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path.startswith("/_emulator"):
            await self.app(scope, receive, send)
            return
        latency, rule = self.faults().decide(route_name(scope["method"], path), path)
        if latency:
            await asyncio.sleep(latency / 1000)
        if rule is None:
            await self.app(scope, receive, send)
        else:
            await _apply(rule, receive, send)


async def _apply(rule: FaultRule, receive: Receive, send: Send) -> None:
    retry = (
        [(b"retry-after", str(rule.retry_after).encode())] if rule.retry_after is not None else []
    )
    if rule.kind == "http_500":
        await _send_json(send, 500, json_error_body(500, "Internal error (injected fault)"), [])
    elif rule.kind == "http_503":
        retry = retry or [(b"retry-after", b"1")]
        body = json_error_body(501, "Service not available (injected fault)")
        await _send_json(send, 503, body, retry)
    elif rule.kind == "api_10005":
        body = json_error_body(10005, "Service availability error (injected fault)")
        await _send_json(send, 200, body, retry)
    else:
        await _drop(receive, send)


async def _drop(receive: Receive, send: Send) -> None:
    # uvicorn's send is a bound method of its request cycle, which holds the transport;
    # aborting it closes the TCP connection with no bytes of an answer written.
    transport = getattr(getattr(send, "__self__", None), "transport", None)
    if transport is not None and hasattr(transport, "abort"):
        transport.abort()
        while (await receive())["type"] != "http.disconnect":
            pass
        return
    # Another server: start an answer that never completes, which also ends the connection.
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1")]}
    )
