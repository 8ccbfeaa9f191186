"""Every error sv_widgets raises, in one tree.

::

    SpareVideosError                    code, message, endpoint, http_status
    ├── ConfigurationError              missing or bad settings (no credentials, bad URL)
    ├── LocalFileError                  a local file is missing or unreadable (before any request)
    ├── Cancelled                       stopped on request (Cancel, a kernel interrupt)
    │   └── UploadCancelled             an upload stopped; the message says where the file stands
    ├── APIError                        the service answered {"status": "error", ...}
    │   ├── NotAuthorized               401  bad, expired or unknown token / key / algorithm
    │   ├── Forbidden                   403  token for another action, another account's file
    │   ├── NotFound                    404  unknown file code or thumbnail
    │   ├── InternalError               500
    │   ├── ServiceNotAvailable         501  (retried for idempotent calls)
    │   ├── GenericError                1000 bad parameters
    │   ├── UploadNotExecuted           10000
    │   ├── FileserverError             10001 upload or conversion failed on the server
    │   ├── UploadNotValid              10002
    │   ├── InternalSystemError         10004
    │   ├── ServiceAvailabilityError    10005 (retried for idempotent calls)
    │   ├── LimitsExceeded              10006 e.g. file too large
    │   ├── FileNotConverted            100030 not converted yet, or converting
    │   └── FileAlreadyConverted        100031
    ├── TransportError                  no usable answer from the server
    │   ├── RequestTimeout              connect or read timeout
    │   ├── ConnectionFailed            refused, reset, DNS, TLS
    │   └── InvalidResponse             not JSON, or JSON of the wrong shape
    └── ConversionTimeout               wait_for_conversion gave up waiting

``API_ERRORS`` maps each documented code to its class; :func:`error_from_response` builds
the right exception from a decoded error body. Messages never contain a private key or a
whole token. :attr:`SpareVideosError.summary` is the one-line ``"[code] message"`` every
display shows; :func:`summarize` gives the same for any exception.
"""

from __future__ import annotations

from typing import Any

from sv_widgets._values import is_number

__all__ = [
    "API_ERRORS",
    "APIError",
    "Cancelled",
    "ConfigurationError",
    "ConnectionFailed",
    "ConversionTimeout",
    "FileAlreadyConverted",
    "FileNotConverted",
    "FileserverError",
    "Forbidden",
    "GenericError",
    "InternalError",
    "InternalSystemError",
    "InvalidResponse",
    "LimitsExceeded",
    "LocalFileError",
    "NotAuthorized",
    "NotFound",
    "RequestTimeout",
    "ServiceAvailabilityError",
    "ServiceNotAvailable",
    "SpareVideosError",
    "TransportError",
    "UploadCancelled",
    "UploadNotExecuted",
    "UploadNotValid",
    "error_from_response",
    "summarize",
]


class SpareVideosError(Exception):
    """Base of every sv_widgets error.

    Attributes
    ----------
    code
        The API's numeric error code, or ``None`` for errors that did not come from the API.
    message
        Human-readable reason.
    endpoint
        Where it happened, e.g. ``"GET /me/file"`` (never with the token).
    http_status
        The HTTP status of the reply, when there was one.
    """

    default_code: int | None = None

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        endpoint: str | None = None,
        http_status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code if code is not None else self.default_code
        self.endpoint = endpoint
        self.http_status = http_status

    @property
    def summary(self) -> str:
        """One line for people: ``"[code] message"`` (just the message when there is no code).

        Examples
        --------
        >>> NotFound("Not found: no such file", endpoint="GET /me/file").summary
        '[404] Not found: no such file'
        """
        prefix = f"[{self.code}] " if self.code is not None else ""
        return prefix + " ".join(self.message.split())

    def __str__(self) -> str:
        where = f" ({self.endpoint})" if self.endpoint else ""
        return f"{self.summary}{where}"

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(code={self.code!r}, message={self.message!r}, "
            f"endpoint={self.endpoint!r}, http_status={self.http_status!r})"
        )


class ConfigurationError(SpareVideosError):
    """Settings are missing or invalid (for example no credentials in the environment)."""


class LocalFileError(SpareVideosError):
    """A local file to upload is missing, not a file, or unreadable. Raised before any request."""


class Cancelled(SpareVideosError):
    """An operation stopped because it was asked to (a Cancel button, a kernel interrupt)."""


class UploadCancelled(Cancelled):
    """An upload was cancelled; ``message`` says what state the file was left in.

    Examples
    --------
    >>> str(UploadCancelled("cancelled: nothing was stored"))
    'cancelled: nothing was stored'
    """


class ConversionTimeout(SpareVideosError):
    """:meth:`Client.wait_for_conversion` waited longer than its ``timeout``."""


class APIError(SpareVideosError):
    """The service answered with ``"status": "error"``."""


class NotAuthorized(APIError):
    """401: the token is malformed, expired, badly signed, or its key or algorithm unknown."""

    default_code = 401


class Forbidden(APIError):
    """403: the token was signed for another action, or the file is another account's."""

    default_code = 403


class NotFound(APIError):
    """404: no such file code, thumbnail or route."""

    default_code = 404


class InternalError(APIError):
    """500: the service failed internally."""

    default_code = 500


class ServiceNotAvailable(APIError):
    """501: the service is not available right now; idempotent calls retry."""

    default_code = 501


class GenericError(APIError):
    """1000: a generic error, usually bad parameters."""

    default_code = 1000


class UploadNotExecuted(APIError):
    """10000: the upload did not happen (no file, spent or unknown ticket)."""

    default_code = 10000


class FileserverError(APIError):
    """10001: the file server failed to process the file (upload or conversion failed)."""

    default_code = 10001


class UploadNotValid(APIError):
    """10002: the upload is not valid (bad request shape, bad remote URL)."""

    default_code = 10002


class InternalSystemError(APIError):
    """10004: internal system error on the file server."""

    default_code = 10004


class ServiceAvailabilityError(APIError):
    """10005: the service is temporarily unavailable; idempotent calls retry."""

    default_code = 10005


class LimitsExceeded(APIError):
    """10006: a service limit was exceeded (for example the file is too large)."""

    default_code = 10006


class FileNotConverted(APIError):
    """100030: the file is not converted yet (or its conversion is still running).

    ``progress`` is the conversion percentage when the server reports one.
    """

    default_code = 100030

    def __init__(self, message: str, *, progress: float | None = None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.progress = progress


class FileAlreadyConverted(APIError):
    """100031: conversion was already requested for this file."""

    default_code = 100031


class TransportError(SpareVideosError):
    """No usable answer came back from the server."""


class RequestTimeout(TransportError):
    """The connection or the reply took longer than the client's timeout."""


class ConnectionFailed(TransportError):
    """The connection could not be made or was dropped."""


class InvalidResponse(TransportError):
    """The reply was not the JSON the API documents."""


API_ERRORS: dict[int, type[APIError]] = {
    cls.default_code: cls
    for cls in (
        NotAuthorized,
        Forbidden,
        NotFound,
        InternalError,
        ServiceNotAvailable,
        GenericError,
        UploadNotExecuted,
        FileserverError,
        UploadNotValid,
        InternalSystemError,
        ServiceAvailabilityError,
        LimitsExceeded,
        FileNotConverted,
        FileAlreadyConverted,
    )
    if cls.default_code is not None
}


def error_from_response(
    body: dict[str, Any], *, endpoint: str | None = None, http_status: int | None = None
) -> APIError:
    """Build the typed exception for an API error body ``{"status": "error", ...}``.

    Unknown codes give a plain :class:`APIError` carrying the code.
    """
    raw_code = body.get("error")
    try:
        code = int(raw_code) if raw_code is not None and not isinstance(raw_code, bool) else None
    except (TypeError, ValueError):
        code = None
    message = body.get("message")
    if not isinstance(message, str) or not message:
        message = "the service reported an error without a message"
    cls = API_ERRORS.get(code, APIError) if code is not None else APIError
    kw: dict[str, Any] = {"code": code, "endpoint": endpoint, "http_status": http_status}
    if cls is FileNotConverted:
        progress = body.get("progress")
        if is_number(progress):
            kw["progress"] = float(progress)
    return cls(message, **kw)


def summarize(exc: BaseException) -> str:
    """One line describing ``exc`` for a person: :attr:`SpareVideosError.summary` for ours,
    ``"TypeName: message"`` for anything else (a bug, a library error).

    Examples
    --------
    >>> summarize(FileNotConverted("File not converted")), summarize(KeyError("x"))
    ('[100030] File not converted', "KeyError: 'x'")
    """
    if isinstance(exc, SpareVideosError):
        return exc.summary
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
