"""Facts about the SpareVideos wire format that the client and the emulator share.

One home for the rules both sides must agree on, so that they cannot drift apart: the
service's default URLs, which URLs it fetches and links to, what a file code looks like,
the sizes the thumbnail service resizes to, and which hosts are this machine's own.
``docs/wire-contract.md`` says where each comes from.

Pure constants and predicates: no HTTP, no IPython, nothing heavy to import.

Examples
--------
>>> is_file_code("1488633857-11PYNC"), is_file_code("1488633857-11PY")
(True, False)
>>> is_http_url("https://example.org/clip.mp4"), is_http_url("ftp://example.org/clip.mp4")
(True, False)
>>> thumbnail_height(100), thumbnail_height(720), thumbnail_height(99999)
(260, 720, 2160)
>>> is_loopback_host("[::1]"), is_loopback_host("127.8.0.1"), is_loopback_host("10.0.0.1")
(True, True, False)
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

__all__ = [
    "DEFAULT_API_URL",
    "DEFAULT_THUMBNAIL_URL",
    "FILE_CODE",
    "FILE_CODE_EXAMPLE",
    "MAX_THUMBNAIL_HEIGHT",
    "MIN_THUMBNAIL_HEIGHT",
    "STREAM_FORMATS",
    "is_file_code",
    "is_http_url",
    "is_loopback_host",
    "thumbnail_height",
]

#: The real service's API base URL.
DEFAULT_API_URL = "https://devs.sparevideos.com/api/v1"
#: The real service's thumbnail base URL.
DEFAULT_THUMBNAIL_URL = "https://static.sparevideos.com/thumbnail"

#: A file code: the upload's UNIX time, ``-``, six letters or digits.
FILE_CODE = re.compile(r"[0-9]{1,12}-[A-Za-z0-9]{6}")
#: The code the service's own document uses as its example.
FILE_CODE_EXAMPLE = "1488633857-11PYNC"

#: The stream formats a conversion makes, as people name them (the reply's ``streams`` keys
#: are ``hls``, ``mpd``, ``mp4`` and ``webm``): adaptive first, as players prefer them.
STREAM_FORMATS = ("hls", "dash", "mp4", "webm")

_LOOPBACK_V4 = ipaddress.IPv4Network("127.0.0.0/8")
_LOOPBACK_V6 = ipaddress.IPv6Address("::1")

#: The thumbnail service gives at least this many pixels high, whatever size is asked.
MIN_THUMBNAIL_HEIGHT = 260
#: Resized thumbnails are capped at this height (4K).
MAX_THUMBNAIL_HEIGHT = 2160


def is_file_code(text: object) -> bool:
    """Whether ``text`` is a string shaped like a file code (nothing more is checked)."""
    return isinstance(text, str) and FILE_CODE.fullmatch(text) is not None


def thumbnail_height(requested: int) -> int:
    """The height the thumbnail service actually serves for a requested ``size``."""
    return min(max(int(requested), MIN_THUMBNAIL_HEIGHT), MAX_THUMBNAIL_HEIGHT)


def is_http_url(text: object) -> bool:
    """Whether ``text`` is an absolute ``http://`` or ``https://`` URL with a host.

    The only URLs the upload server fetches (``remote_file``), the only base URLs a client
    accepts, and the only links a display makes (never ``javascript:``).
    """
    if not isinstance(text, str):
        return False
    try:
        parts = urlsplit(text.strip())
    except ValueError:  # e.g. an unbalanced "[" in the host
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


def is_loopback_host(host: str) -> bool:
    """Whether ``host`` names this machine, so that nothing elsewhere can reach it.

    Ignoring case and one pair of brackets: ``localhost``, a name under ``.localhost``
    (RFC 6761), an IPv4 address in 127.0.0.0/8, or the IPv6 address ``::1`` (in any spelling;
    not an IPv4-mapped one, and not with a zone). The page's JavaScript has the same rule
    (``js/src/common/loopback.js``), held to the same cases by the tests.
    """
    name = host.lower()
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv4Address):
        return address in _LOOPBACK_V4
    return address == _LOOPBACK_V6
