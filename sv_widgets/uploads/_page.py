"""What the kernel accepts from a page: file names, sizes, ids, and the upload server's answer.

The page (a browser tab showing the upload area) is untrusted input to the kernel: whatever
it claims about a file is checked here before anything is sent, and a claim that does not
hold is refused with a reason a person can read. The names the service gets are cleaned
base names (:func:`clean_file_name`).

Examples
--------
>>> clean_file_name("  holiday\\u202e.mp4 ")
'holiday.mp4'
>>> clean_file_name("../../etc/passwd")
Traceback (most recent call last):
...
ValueError: the file name contains a path separator
>>> check_size(0)
Traceback (most recent call last):
...
ValueError: the file is empty: there is nothing to upload
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass

from sv_widgets._values import is_whole_number, shown
from sv_widgets.errors import InvalidResponse, SpareVideosError, error_from_response
from sv_widgets.signing import redact
from sv_widgets.uploads._protocol import LIMITS, check_id
from sv_widgets.wire import is_file_code

__all__ = [
    "MAX_NAME_CHARS",
    "MAX_SIZE",
    "BrowserFile",
    "BrowserUploadError",
    "check_id",
    "check_size",
    "clean_file_name",
    "parse_upload_reply",
]

#: Longest file name accepted, in characters (what common file systems allow).
MAX_NAME_CHARS: int = LIMITS.name_chars
#: Largest size a page may declare: JavaScript's largest exact integer.
MAX_SIZE: int = LIMITS.size_max
#: Characters a person cannot see that change how a name reads (bidi overrides, zero-width).
_INVISIBLE = frozenset({"Cf"})
_SNIPPET = 200


class BrowserUploadError(SpareVideosError):
    """An upload from the page could not go on: the page refused or broke the protocol, went
    away, or could not send; the message says why and that nothing was stored."""


@dataclass(frozen=True)
class BrowserFile:
    """A file chosen in a page, as far as the kernel knows it.

    Attributes
    ----------
    page
        The id of the page (browser tab) that holds the file; only it can send the bytes.
    key
        The page's own id for the file.
    name
        The cleaned base name sent to the service.
    size
        Bytes the page declared; exactly this many are sent.
    """

    page: str
    key: str
    name: str
    size: int


def check_size(value: object) -> int:
    """A declared file size: a whole number of bytes, at least one, or ``ValueError``."""
    if not is_whole_number(value):
        raise ValueError(f"the file size {shown(value)} is not a whole number of bytes")
    if value == 0:
        raise ValueError("the file is empty: there is nothing to upload")
    if not 0 < value <= MAX_SIZE:
        raise ValueError(f"the file size {value} is out of range")
    return value


def clean_file_name(name: object) -> str:
    """The base name to send to the service, or ``ValueError`` saying why it is refused.

    Refused: anything but text, a path separator (``/`` or ``\\``), a control character, a
    lone surrogate, more than :data:`MAX_NAME_CHARS` characters, or nothing left once
    cleaned. Cleaning removes invisible format characters (bidi overrides, zero-width
    spaces), folds runs of spaces, trims spaces and dots at either end, and normalises to NFC.
    """
    if not isinstance(name, str):
        raise ValueError("the file name is not text")
    if len(name) > MAX_NAME_CHARS:
        raise ValueError(
            f"the file name is {len(name):,} characters long (at most {MAX_NAME_CHARS})"
        )
    if "/" in name or "\\" in name:
        raise ValueError("the file name contains a path separator")
    categories = {unicodedata.category(c) for c in name}
    if "Cc" in categories:
        raise ValueError("the file name contains control characters")
    if "Cs" in categories:
        raise ValueError("the file name is not valid Unicode")
    visible = "".join(c for c in name if unicodedata.category(c) not in _INVISIBLE)
    cleaned = unicodedata.normalize("NFC", " ".join(visible.split())).strip(" .")
    if not cleaned:
        raise ValueError("the file name is empty once cleaned")
    return cleaned


def parse_upload_reply(status: object, body: object, *, token: str) -> str:
    """The file code in the upload server's answer to a page's POST, or its typed error.

    ``status`` and ``body`` are the HTTP status and text the page reports (untrusted, like
    everything from the page); ``token`` is redacted from any snippet shown.

    Examples
    --------
    >>> parse_upload_reply(200, '{"status": "success", "code": "1700000000-AbC123"}', token="t")
    '1700000000-AbC123'
    >>> parse_upload_reply(413, '{"status": "error", "error": 10006, "message": "too big"}',
    ...                    token="t")
    Traceback (most recent call last):
    ...
    sv_widgets.errors.LimitsExceeded: [10006] too big (POST upload from the page)
    """
    endpoint = "POST upload from the page"
    http_status = status if is_whole_number(status) else None
    text = body if isinstance(body, str) else ""
    snippet = redact(text[:_SNIPPET], (token,))
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict) and data.get("status") == "error":
        raise error_from_response(data, endpoint=endpoint, http_status=http_status)
    if (
        isinstance(data, dict)
        and data.get("status") == "success"
        and is_file_code(data.get("code"))
    ):
        return str(data["code"])
    raise InvalidResponse(
        f"HTTP {http_status}: expected a JSON success with a file code, got {snippet!r}",
        endpoint=endpoint,
        http_status=http_status,
    )
