"""The one exception the emulated service raises: an API error code and its message.

``http/app.py`` turns it into ``{"status": "error", "error": code, "message": message, ...}``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["ServiceError", "http_status_for"]

# HTTP statuses mirroring API codes (docs/wire-contract.md); every other code answers 200 and
# the client decides on the JSON body.
_HTTP_STATUS = {401: 401, 403: 403, 404: 404, 500: 500, 501: 503, 1000: 400, 10006: 413}


class ServiceError(Exception):
    """An API error: ``code`` and ``message`` go to the client as they are.

    ``extra`` holds additive response fields (``progress``).
    """

    def __init__(self, code: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.extra = extra


def http_status_for(code: int) -> int:
    """The HTTP status that goes with API error ``code``."""
    return _HTTP_STATUS.get(code, 200)
