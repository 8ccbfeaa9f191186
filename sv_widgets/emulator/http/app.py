"""HTTP routes of the emulator: parse the request, verify it, call the service, answer JSON.

Parameters are read the way the real (PHP) service reads ``$_REQUEST``: the query string
with form fields overriding it, percent-decoded with ``+`` as a space. ``POST`` with
``_method=PUT|UPDATE|DELETE`` stands for the verb it names (Laravel's method spoofing).
:func:`error_response` is the one translator from :class:`ServiceError` (and Starlette's own
404/405/400) to the API's ``{"status": "error", "error": N, "message": ...}``.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from sv_widgets.emulator.domain.errors import ServiceError, http_status_for
from sv_widgets.emulator.domain.service import SpareVideosService
from sv_widgets.emulator.http.control import Control
from sv_widgets.emulator.http.faults import FaultSet
from sv_widgets.emulator.http.files import open_file
from sv_widgets.emulator.http.middleware import (
    Cors,
    Guard,
    GuardControl,
    InjectFaults,
    RouteNamer,
    json_error_body,
)
from sv_widgets.emulator.http.multipart import read_upload
from sv_widgets.emulator.http.routes import ROUTES, RouteSpec
from sv_widgets.wire import thumbnail_height

__all__ = ["AppSettings", "create_app", "error_response"]

_MAX_API_BODY = 1024 * 1024
_HOST_HEADER = re.compile(r"[A-Za-z0-9.\-]+(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")
_RESIZED_CACHE_ENTRIES = 512  # ~10 MB of 260 px JPEGs


@dataclass
class AppSettings:
    """What the routes need besides the service.

    ``loopback``: the emulator listens on loopback only (the control routes are open without
    ``control_token``). ``cors``: pages on other origins may use the upload server and read media.
    """

    base_url: str
    public_url: str | None
    max_upload_bytes: int
    faults: FaultSet
    control: Control
    control_token: str | None = None
    loopback: bool = True
    cors: bool = True


def error_response(exc: ServiceError) -> JSONResponse:
    """The JSON answer for an API error."""
    body = {"status": "error", "error": exc.code, "message": exc.message, **exc.extra}
    return JSONResponse(body, status_code=http_status_for(exc.code))


def create_app(service: SpareVideosService, settings: AppSettings) -> ASGIApp:
    """Build the ASGI app of one emulator (all state comes from ``service``/``settings``)."""
    h = _Handlers(service, settings)
    routes = [
        (Route(spec.path, getattr(h, spec.handler), methods=list(spec.methods)), spec)
        for spec in ROUTES
    ]
    app = Starlette(
        routes=[route for route, _ in routes],
        exception_handlers={
            ServiceError: _on_service_error,
            HTTPException: _on_http_exception,
            # Starlette's own error middleware would answer text/plain before Guard sees the
            # exception; this keeps the answer JSON. Guard still logs the traceback.
            Exception: _on_unexpected,
        },
    )
    # "/x/" must not redirect to "/x" (an empty 307 built from the Host header): JSON 404.
    app.router.redirect_slashes = False
    served: ASGIApp = InjectFaults(Guard(app), settings.faults, _fault_namer(routes))
    served = GuardControl(served, token=settings.control_token, loopback=settings.loopback)
    if settings.cors:
        shared = [(route.path_regex, spec.methods) for route, spec in routes if spec.cross_origin]
        served = Cors(served, shared)
    return served


def _fault_namer(routes: list[tuple[Route, RouteSpec]]) -> RouteNamer:
    """``namer(method, path)``: the fault-rule name of the table's route matching ``path``."""
    compiled = [(route.path_regex, spec) for route, spec in routes]

    def namer(method: str, path: str) -> str:
        for regex, spec in compiled:
            if regex.match(path):
                return spec.fault_name(method)
        return ""

    return namer


async def _on_unexpected(request: Request, exc: Exception) -> Response:
    body = json_error_body(500, "Internal error: the emulator failed unexpectedly")
    return Response(body, status_code=500, media_type="application/json")


async def _on_service_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ServiceError)
    return error_response(exc)


async def _on_http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        err = ServiceError(404, f"Not found: no route {request.url.path[:200]}")
    elif exc.status_code == 405:
        allowed = (exc.headers or {}).get("Allow", "")
        err = ServiceError(1000, f"Generic error: {request.method} is not allowed here ({allowed})")
    else:
        err = ServiceError(1000, f"Generic error: bad request ({exc.detail})")
    response = error_response(err)
    response.status_code = exc.status_code
    response.headers.update(exc.headers or {})
    return response


class _Handlers:
    def __init__(self, service: SpareVideosService, settings: AppSettings) -> None:
        self.service = service
        self.settings = settings
        # Resized thumbnails, newest last: a file browser asks for the same 260 px images on
        # every page and refresh (a CDN in front of the real service would cache them too).
        # Keyed by the file's mtime, so a re-converted file is never served stale. Only the
        # event loop's thread touches it.
        self._resized: OrderedDict[tuple[str, int, int], bytes] = OrderedDict()

    # ---------------------------------------------------------------- helpers
    def _base(self, request: Request) -> str:
        if self.settings.public_url:
            return self.settings.public_url.rstrip("/")
        host = request.headers.get("host", "")
        if _HOST_HEADER.fullmatch(host):
            return f"{request.url.scheme}://{host}"
        return self.settings.base_url

    async def _params(self, request: Request) -> dict[str, str]:
        """``$_REQUEST``: query string, then form fields of a small body overriding it."""
        params = {k: v for k, v in request.query_params.items()}
        if request.method in ("GET", "HEAD"):
            return params
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype not in ("application/x-www-form-urlencoded", "multipart/form-data"):
            return params
        request._body = await _small_body(request)
        form = await request.form(max_files=0, max_fields=100, max_part_size=_MAX_API_BODY)
        for key, value in form.multi_items():
            if isinstance(value, str):
                params[key] = value
        await form.close()
        return params

    def _auth(self, params: dict[str, str], method: str, action: str) -> dict[str, Any]:
        return self.service.authenticate(params.get("token"), method, action)

    @staticmethod
    def _override(request: Request, params: dict[str, str]) -> str:
        if request.method == "POST":
            spoofed = params.get("_method", "").upper()
            return spoofed or "POST"
        return request.method

    # ---------------------------------------------------------------- API
    async def initiate(self, request: Request) -> Response:
        payload = self._auth(await self._params(request), "upload", "initiate")
        ref, token = self.service.initiate_upload(payload)
        server = f"{self._base(request)}/fileservers/upload"
        return JSONResponse({"status": "success", "server": server, "ref": ref, "token": token})

    async def convert(self, request: Request) -> Response:
        payload = self._auth(await self._params(request), "upload", "convert")
        code = self.service.request_conversion(payload["public_key"], payload)
        return JSONResponse({"status": "success", "code": code})

    async def me_file(self, request: Request) -> Response:
        params = await self._params(request)
        verb = self._override(request, params)
        if verb == "GET":
            payload = self._auth(params, "file", "get")
            base = self._base(request)
            body = self.service.file_info(
                payload["public_key"],
                payload.get("file_code"),
                media_base=f"{base}/media",
                thumbnail_base=f"{base}/thumbnail",
            )
            return JSONResponse(body)
        if verb in ("PUT", "UPDATE"):
            payload = self._auth(params, "file", "update")
            self.service.select_thumbnail(
                payload["public_key"], payload.get("file_code"), payload.get("thumbnail")
            )
            return JSONResponse({"status": "success"})
        raise _wrong_verb(verb, "GET, PUT (or POST with _method=PUT or _method=UPDATE)")

    async def me_files(self, request: Request) -> Response:
        params = await self._params(request)
        verb = self._override(request, params)
        if verb == "GET":
            payload = self._auth(params, "files", "get")
            page = _page(params.get("page"))
            codes, last = self.service.list_codes(payload["public_key"], page)
            next_url = (
                f"{self._base(request)}/api/v1/me/files?page={page + 1}" if page < last else None
            )
            return JSONResponse(
                {
                    "status": "success",
                    "currentPage": page,
                    "lastPage": last,
                    "nextPageUrl": next_url,
                    "codes": codes,
                }
            )
        if verb == "DELETE":
            payload = self._auth(params, "files", "delete")
            self.service.delete(payload["public_key"], payload.get("codes"))
            return JSONResponse({"status": "success"})
        raise _wrong_verb(verb, "GET, DELETE (or POST with _method=DELETE)")

    # ---------------------------------------------------------------- upload server
    async def upload(self, request: Request) -> Response:
        query_ref = request.query_params.get("ref")

        def on_bytes(received: int, total: int | None) -> None:
            if total:
                self.service.set_upload_progress(query_ref, min(99.0, received * 100.0 / total))

        temp = self.service.store.new_temp_path("upload")
        form = await read_upload(
            request, temp, max_file_bytes=self.settings.max_upload_bytes, on_bytes=on_bytes
        )
        try:
            params = {**dict(request.query_params.items()), **form.fields}
            ref = params.get("ref", "")
            owner = self.service.check_ticket(params.get("token"), ref)
            remote_url = params.get("remote_file", "")
            if form.file_path is not None and remote_url:
                raise ServiceError(
                    10002, "Upload not valid: send 'file' or 'remote_file', not both"
                )
            if form.file_path is not None:
                code = await asyncio.to_thread(
                    self.service.store_upload,
                    ref=ref,
                    owner=owner,
                    temp=form.file_path,
                    filename=form.file_name,
                )
            elif remote_url:
                code = await asyncio.to_thread(
                    self.service.store_remote, ref=ref, owner=owner, url=remote_url
                )
            else:
                raise ServiceError(10000, "Upload not executed: no 'file' or 'remote_file' sent")
        finally:
            temp.unlink(missing_ok=True)
        return JSONResponse({"status": "success", "code": code})

    async def progress(self, request: Request) -> Response:
        ref = request.query_params.get("ref", "")
        return PlainTextResponse(str(self.service.upload_progress(ref)))

    # ---------------------------------------------------------------- thumbnails, media
    async def thumb_list(self, request: Request) -> Response:
        return JSONResponse(self.service.thumbnail_list(request.path_params["code"]))

    async def thumb_exact(self, request: Request) -> Response:
        p = request.path_params
        return await open_file(self.service.thumbnail_path(p["code"], p["name"]))

    async def thumb_resized(self, request: Request) -> Response:
        p = request.path_params
        name = None if p["name"] == "default.jpg" else p["name"]
        path = self.service.thumbnail_path(p["code"], name)
        from sv_widgets.emulator.media import pipeline

        height = thumbnail_height(int(p["size"]))
        try:
            key = (str(path), path.stat().st_mtime_ns, height)
        except OSError:  # deleted meanwhile
            raise ServiceError(404, "Not found: no such thumbnail") from None
        data = self._resized.get(key)
        if data is None:
            data = await asyncio.to_thread(pipeline.resize_jpeg, path, height)
            self._resized[key] = data
            if len(self._resized) > _RESIZED_CACHE_ENTRIES:
                self._resized.popitem(last=False)
        else:
            self._resized.move_to_end(key)
        return Response(data, media_type="image/jpeg")

    async def media(self, request: Request) -> Response:
        p = request.path_params
        return await open_file(self.service.media_path(p["code"], p["path"]))

    # ---------------------------------------------------------------- control
    async def faults(self, request: Request) -> Response:
        if request.method == "POST":
            data = await _json_body(request)
            rules = data.get("rules") if isinstance(data, dict) else data
            try:
                if not isinstance(rules, list):
                    raise ValueError('send a JSON list of rules or {"rules": [...]}')
                self.settings.faults.set(rules)
            except ValueError as exc:
                raise ServiceError(1000, f"Generic error: bad fault rules: {exc}") from exc
        elif request.method == "DELETE":
            self.settings.faults.clear()
        faults = self.settings.faults
        return JSONResponse(
            {"status": "success", "rules": faults.to_json(), "stalled": faults.stalled}
        )

    async def reset(self, request: Request) -> Response:
        drop = request.query_params.get("accounts", "") not in ("", "0", "false")
        counts = await asyncio.to_thread(self.settings.control.reset, accounts=drop)
        return JSONResponse({"status": "success", "removed": counts})

    async def conversions(self, request: Request) -> Response:
        listed = self.settings.control.conversions()
        return JSONResponse({"status": "success", "conversions": listed})

    async def set_conversion(self, request: Request) -> Response:
        body = await _json_body(request)
        code = request.path_params["code"]
        changed = await asyncio.to_thread(self.settings.control.update, code, body)
        return JSONResponse({"status": "success", "conversion": changed})


async def _small_body(request: Request) -> bytes:
    """The whole body of an API or control request, refused (1000) past 1 MiB."""
    size = 0
    chunks = []
    async for chunk in request.stream():
        size += len(chunk)
        if size > _MAX_API_BODY:
            raise ServiceError(1000, "Generic error: request body too large")
        chunks.append(chunk)
    return b"".join(chunks)


async def _json_body(request: Request) -> Any:
    """A control route's JSON body (error 1000 when it is not JSON)."""
    body = await _small_body(request)
    try:
        return json.loads(body)
    except ValueError as exc:  # JSONDecodeError and bad UTF-8 are ValueErrors
        raise ServiceError(1000, f"Generic error: the body is not JSON ({exc})") from exc


def _page(raw: str | None) -> int:
    if raw is None:
        return 1
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9 or int(raw) < 1:
        raise ServiceError(1000, "Generic error: 'page' must be a whole number from 1")
    return int(raw)


def _wrong_verb(verb: str, allowed: str) -> ServiceError:
    return ServiceError(
        1000, f"Generic error: method {verb[:16]!r} is not allowed here; use {allowed}"
    )
