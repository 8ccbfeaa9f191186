"""Decoding the service's replies: API JSON, plain-text progress, thumbnail lists, bytes.

Each parser takes ``(response, endpoint, secrets)`` and returns a value or raises the typed
error: :func:`~sv_widgets.errors.error_from_response` for ``"status": "error"`` bodies and
:class:`~sv_widgets.errors.InvalidResponse` (naming the HTTP status and the first ~200
bytes, tokens redacted) for anything else that is not what the API documents.

Examples
--------
>>> import requests
>>> r = requests.Response(); r.status_code = 502; r._content = b"<p>Bad gateway"
>>> parse_json(r, "GET /me/files", ())
Traceback (most recent call last):
...
sv_widgets.errors.InvalidResponse: HTTP 502: expected JSON, got '<p>Bad gateway' (GET /me/files)
"""

from __future__ import annotations

import json
from typing import Any

import requests

from sv_widgets.client._transport import SNIPPET
from sv_widgets.errors import InvalidResponse, NotFound, error_from_response
from sv_widgets.models import Thumbnail
from sv_widgets.signing import redact

__all__ = ["check_binary", "parse_json", "parse_progress", "parse_thumbnail_list", "snippet"]


def snippet(response: requests.Response, secrets: tuple[str, ...]) -> str:
    """The first ~200 bytes of a reply, decoded leniently and redacted."""
    text = response.content[:SNIPPET].decode("utf-8", "replace")
    return redact(text, secrets)


def parse_json(response: requests.Response, endpoint: str, secrets: tuple[str, ...]) -> Any:
    """Decode an API reply: the success object, or raise the typed error."""
    status = response.status_code
    try:
        body = json.loads(response.content)
    except (ValueError, UnicodeDecodeError) as e:
        raise InvalidResponse(
            f"HTTP {status}: expected JSON, got {snippet(response, secrets)!r}",
            endpoint=endpoint,
            http_status=status,
        ) from e
    if isinstance(body, dict) and body.get("status") == "error":
        raise error_from_response(body, endpoint=endpoint, http_status=status)
    if not isinstance(body, dict) or body.get("status") != "success":
        raise InvalidResponse(
            f"HTTP {status}: expected a JSON object with status success or error, "
            f"got {snippet(response, secrets)!r}",
            endpoint=endpoint,
            http_status=status,
        )
    return body


def check_binary(response: requests.Response, endpoint: str, secrets: tuple[str, ...]) -> bytes:
    """Return the body of a successful non-API reply (media, thumbnails), else raise."""
    status = response.status_code
    if status < 400:
        return response.content
    try:
        body = json.loads(response.content)
    except (ValueError, UnicodeDecodeError):
        body = None
    if isinstance(body, dict) and body.get("status") == "error":
        raise error_from_response(body, endpoint=endpoint, http_status=status)
    if status == 404:
        raise NotFound("not found", endpoint=endpoint, http_status=status)
    raise InvalidResponse(
        f"HTTP {status}: {snippet(response, secrets)!r}", endpoint=endpoint, http_status=status
    )


def parse_progress(response: requests.Response, endpoint: str, secrets: tuple[str, ...]) -> float:
    """Decode the upload server's plain-text progress (0-100)."""
    text = check_binary(response, endpoint, secrets).decode("utf-8", "replace").strip()
    if text.startswith("{"):  # an API error instead of a number: typed, so retries apply
        try:
            body = json.loads(text)
        except ValueError:
            body = None
        if isinstance(body, dict) and body.get("status") == "error":
            raise error_from_response(body, endpoint=endpoint, http_status=response.status_code)
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 <= value <= 100:  # also refuses NaN
        raise InvalidResponse(
            f"HTTP {response.status_code}: progress should be a number 0-100, got {text[:40]!r}",
            endpoint=endpoint,
            http_status=response.status_code,
        )
    return value


def parse_thumbnail_list(
    response: requests.Response, endpoint: str, secrets: tuple[str, ...]
) -> list[Thumbnail]:
    """Decode ``/json/list`` into sorted thumbnails, or raise the typed error."""
    body = parse_json_any(check_binary(response, endpoint, secrets), response, endpoint)
    if isinstance(body, dict) and body.get("status") == "error":
        raise error_from_response(body, endpoint=endpoint, http_status=response.status_code)
    return Thumbnail.parse_list(body)


def parse_json_any(content: bytes, response: requests.Response, endpoint: str) -> Any:
    """Decode JSON of any shape, or raise :class:`InvalidResponse` naming the HTTP status."""
    try:
        return json.loads(content)
    except (ValueError, UnicodeDecodeError) as e:
        shown = redact(content[:SNIPPET].decode("utf-8", "replace"))
        raise InvalidResponse(
            f"HTTP {response.status_code}: expected JSON, got {shown!r}",
            endpoint=endpoint,
            http_status=response.status_code,
        ) from e
