"""ASGI middleware around the emulator's routes: guard, fault injection, control, CORS.

From the outside in: :class:`Cors` lets pages on other origins call the upload server and
read media (and nothing else); :class:`GuardControl` keeps the ``/_emulator`` control routes
to whoever may use them; :class:`InjectFaults` applies the instance's
:class:`~sv_widgets.emulator.http.faults.FaultSet` before a request reaches its route;
:class:`Guard` turns any exception that escapes the routes into a JSON 500 with a generic
message (the traceback goes to the log, never to the client).
"""

from __future__ import annotations

import asyncio
import functools
import hmac
import inspect
import json
import logging
import re
from collections.abc import Callable, Sequence
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sv_widgets.emulator.http.faults import FaultRule, FaultSet
from sv_widgets.emulator.http.routes import CONTROL

__all__ = ["Cors", "Guard", "GuardControl", "InjectFaults", "json_error_body"]

logger = logging.getLogger("sv_widgets.emulator")

#: ``namer(method, path) -> fault-rule name`` (``""`` when the request has none).
RouteNamer = Callable[[str, str], str]

_CORS_MAX_AGE = "7200"  # seconds; Chromium caps preflight caching at two hours
# What a cross-origin page may read: Retry-After (uploads), and what a media player reads.
_EXPOSED = b"Retry-After, Content-Range, Content-Length, Accept-Ranges"
_HEADER_LIST = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]+(\s*,\s*[A-Za-z0-9!#$%&'*+.^_`|~-]+)*")


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


_STALL_POLL = 0.02  # seconds between looks at whether a stall was released


class InjectFaults:
    """Apply fault rules to every request outside the control routes.

    ``namer`` gives each request its fault-rule name from the route table.
    """

    def __init__(self, app: ASGIApp, faults: FaultSet, namer: RouteNamer) -> None:
        self.app = app
        self.faults = faults
        self.namer = namer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path.startswith(CONTROL):
            await self.app(scope, receive, send)
            return
        latency, rule, holds = self.faults.decide(self.namer(scope["method"], path), path)
        if not holds:
            await self._go_on(latency, rule, scope, receive, send)
            return
        self.faults.count_stalled(+1)
        try:
            for hold in holds:
                await self._stall(hold)
            await self._go_on(latency, rule, scope, receive, send)
        finally:
            self.faults.count_stalled(-1)

    async def _go_on(
        self, latency: int, rule: FaultRule | None, scope: Scope, receive: Receive, send: Send
    ) -> None:
        if latency:
            await asyncio.sleep(latency / 1000)
        if rule is None:
            await self.app(scope, receive, send)
        else:
            await _apply(rule, receive, send)

    async def _stall(self, rule: FaultRule) -> None:
        """Wait, reading nothing of the request, until ``rule`` is removed or times out."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + rule.latency_ms / 1000 if rule.latency_ms else None
        self.faults.count_holding(rule, +1)
        try:
            while self.faults.holding(rule) and (deadline is None or loop.time() < deadline):
                await asyncio.sleep(_STALL_POLL)
        finally:
            self.faults.count_holding(rule, -1)


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
    inner = inspect.unwrap(send)
    transport = getattr(getattr(inner, "__self__", None), "transport", None)
    if transport is not None and hasattr(transport, "abort"):
        transport.abort()
        while (await receive())["type"] != "http.disconnect":
            pass
        return
    # Another server: start an answer that never completes, which also ends the connection.
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1")]}
    )


class GuardControl:
    """Refuse the control routes to whoever may not use them.

    With a ``token``, every control request must carry ``Authorization: Bearer TOKEN``
    (401 otherwise). Without one, they are open while the emulator listens on loopback only
    (``loopback``), and refused (403) once it listens on anything else: a reset or a fault
    rule is not for the network to decide.
    """

    def __init__(self, app: ASGIApp, *, token: str | None, loopback: bool) -> None:
        self.app = app
        self.token = token
        self.loopback = loopback

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope.get("path", "").startswith(CONTROL):
            await self.app(scope, receive, send)
            return
        refusal = self._refusal(scope)
        if refusal is None:
            await self.app(scope, receive, send)
        else:
            code, message = refusal
            await _send_json(send, code, json_error_body(code, message), [])

    def _refusal(self, scope: Scope) -> tuple[int, str] | None:
        if self.token is None:
            if self.loopback:
                return None
            return 403, (
                "Forbidden: the control routes are off because the emulator listens on a "
                "non-loopback address; start it with --control-token to use them"
            )
        sent = dict(scope.get("headers", ())).get(b"authorization", b"")
        expected = b"Bearer " + self.token.encode()
        if hmac.compare_digest(sent, expected):
            return None
        return 401, "Not authorized: send the control token as 'Authorization: Bearer TOKEN'"


class Cors:
    """CORS for the cross-origin routes only: answer preflights, mark every answer shareable.

    ``routes`` pairs each cross-origin path pattern with its verbs: the upload server and its
    progress route (uploads carry their ticket in the URL or the form, never in cookies, so any
    origin may call, as the real upload server must allow for the operator's own plugin, which
    posts from any WordPress site), and the media route (an HLS or DASH player in a page reads
    playlists and segments with ``fetch``, which a browser allows across origins only with
    CORS; media are public and need no credentials, so ``*`` shows a page nothing ``curl``
    could not fetch). Every other path passes through untouched: the API and thumbnails send
    no CORS headers.
    """

    def __init__(
        self, app: ASGIApp, routes: Sequence[tuple[re.Pattern[str], tuple[str, ...]]]
    ) -> None:
        self.app = app
        self.routes = list(routes)

    def _methods(self, scope: Scope) -> tuple[str, ...] | None:
        if scope["type"] != "http":
            return None
        path = scope.get("path", "")
        return next((methods for regex, methods in self.routes if regex.match(path)), None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        methods = self._methods(scope)
        if methods is None:
            await self.app(scope, receive, send)
        elif scope["method"] == "OPTIONS":
            await self._preflight(scope, methods, send)
        else:

            @functools.wraps(send)  # __wrapped__: a dropped connection still finds uvicorn's
            async def shareable(message: Message) -> None:
                if message["type"] == "http.response.start":
                    headers = list(message.get("headers", ()))
                    headers += [
                        (b"access-control-allow-origin", b"*"),
                        (b"access-control-expose-headers", _EXPOSED),
                    ]
                    message = {**message, "headers": headers}
                await send(message)

            await self.app(scope, receive, shareable)

    @staticmethod
    async def _preflight(scope: Scope, methods: tuple[str, ...], send: Send) -> None:
        asked = dict(scope.get("headers", ())).get(b"access-control-request-headers", b"")
        allowed = "Content-Type"
        text = asked.decode("latin-1").strip()
        if text and _HEADER_LIST.fullmatch(text):
            allowed = f"Content-Type, {text}"
        headers = [
            (b"access-control-allow-origin", b"*"),
            (b"access-control-allow-methods", ", ".join((*methods, "OPTIONS")).encode()),
            (b"access-control-allow-headers", allowed.encode("latin-1")),
            (b"access-control-max-age", _CORS_MAX_AGE.encode()),
            (b"content-length", b"0"),
        ]
        await send({"type": "http.response.start", "status": 204, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
