"""PHP-compatible request tokens for the SpareVideos API, and their verifier.

A token is ``B64 + "." + HEX`` where ``B64`` is PHP's ``base64_encode`` of PHP's
``json_encode`` of the signature array with the trailing ``=`` removed, and ``HEX`` is
``hash_hmac(algo, B64, private_key)`` in lowercase hex (``docs/wire-contract.md``).

This module is pure: no HTTP, no IPython and no clock reads. Callers pass ``now``. It also
knows what a token looks like, so :func:`redact` (the one function that keeps tokens and
keys out of messages, logs and outputs) lives here too.

Examples
--------
>>> payload = {"public_key": "pk", "action": "upload", "expires": 1700000000,
...            "codes": ["a/b"], "t": "\\u00e9", "c": True, "f": 2.0}
>>> php_json(payload)
'{"public_key":"pk","action":"upload","expires":1700000000,"codes":["a\\\\/b"],"t":"\\\\u00e9","c":true,"f":2}'
>>> sign(payload, "secret").split(".")[1][:16]
'759bf353831d5348'
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from decimal import Decimal
from typing import Any

from sv_widgets._values import is_whole_number

__all__ = [
    "CLIENT_ALGOS",
    "DEFAULT_ALGO",
    "MAX_TOKEN_LENGTH",
    "REDACTED",
    "SERVER_ALGOS",
    "AlgorithmNotAllowed",
    "BadSignature",
    "ExpiredToken",
    "InvalidToken",
    "MalformedToken",
    "UnknownPublicKey",
    "encode_payload",
    "php_json",
    "redact",
    "sign",
    "signature_for",
    "verify",
]

DEFAULT_ALGO = "sha256"

#: Algorithms a strict server accepts: the SHA-2 and SHA-3 families.
SERVER_ALGOS: frozenset[str] = frozenset(
    {"sha224", "sha256", "sha384", "sha512", "sha3-224", "sha3-256", "sha3-384", "sha3-512"}
)

#: Names that PHP's ``hash_algos()`` and Python's :mod:`hashlib` both know under the same
#: spelling. Tokens can only be made with one of these.
CLIENT_ALGOS: frozenset[str] = SERVER_ALGOS | {"md5", "sha1"}

#: Tokens longer than this are refused before any decoding (a DELETE of 2000 codes is ~60 KB).
MAX_TOKEN_LENGTH = 256 * 1024

_INT64 = (-(2**63), 2**63 - 1)
_B64_STD = re.compile(r"[A-Za-z0-9+/]+")
_HEX_LOWER = re.compile(r"[0-9a-f]+")
_CANONICAL_INT_KEY = re.compile(r"0|-?[1-9][0-9]*")
_MAX_DEPTH = 64
# an escaped backslash (kept as is) or an escaped DEL (written raw, as PHP does)
_ESCAPED_DEL = re.compile(r"(\\\\)|\\u007f")
# a token=... value in a URL, a form or a JSON/dict repr; and anything shaped like B64.HEX
_TOKEN_PARAM = re.compile(r"(token(?:=|%3D|\"?\s*:\s*\"|'\s*:\s*'))[^&\s\"']+", re.IGNORECASE)
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9+/%]{16,}(?:\.|%2E)[0-9a-f]{32,}")
REDACTED = "[redacted]"


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` without tokens (``token=...`` values and anything token-shaped) or ``secrets``.

    Examples
    --------
    >>> redact("GET /api/v1/me/file?token=eyJhbGciOi.abc123 HTTP/1.1")
    'GET /api/v1/me/file?token=[redacted] HTTP/1.1'
    >>> redact("the key is s3cret", ["s3cret"])
    'the key is [redacted]'
    """
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    text = _TOKEN_PARAM.sub(r"\1" + REDACTED, text)
    return _TOKEN_SHAPE.sub(REDACTED, text)


class InvalidToken(ValueError):
    """A token was refused. ``reason`` is safe to show: it never contains the key."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class MalformedToken(InvalidToken):
    """The token is not ``B64.HEX``, or its payload is not a JSON object."""


class BadSignature(InvalidToken):
    """The HMAC does not match the payload."""


class ExpiredToken(InvalidToken):
    """``expires`` is in the past (beyond the leeway)."""


class UnknownPublicKey(InvalidToken):
    """No account has the token's ``public_key``."""


class AlgorithmNotAllowed(InvalidToken):
    """The token's ``algo`` is not one the verifier accepts."""


# --------------------------------------------------------------------------- encoding


def _php_string(s: str, where: str) -> str:
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"{where}: string is not valid UTF-8 (lone surrogate)") from None
    # json.dumps with ensure_ascii escapes what PHP escapes (controls as lowercase \u00XX,
    # non-ASCII as \uXXXX with surrogate pairs), except that PHP writes "/" as "\/" and
    # leaves DEL (0x7f) raw where json.dumps writes "\u007f".
    encoded = json.dumps(s, ensure_ascii=True).replace("/", "\\/")
    if "\x7f" in s:
        encoded = _ESCAPED_DEL.sub(lambda m: m.group(1) or "\x7f", encoded)
    return encoded


def _php_float(x: float, where: str) -> str:
    if math.isnan(x) or math.isinf(x):
        raise ValueError(f"{where}: {x!r} cannot be encoded (PHP json_encode refuses NaN/INF)")
    sign = "-" if math.copysign(1.0, x) < 0 else ""
    if x == 0:
        return sign + "0"
    # PHP (serialize_precision = -1) prints the shortest round-trip digits, as repr() finds
    # them, in fixed notation when the decimal exponent is in [-4, 17), and otherwise as
    # "d.ddde+N" (mantissa always with a fraction). A zero fraction is dropped: 2.0 -> 2.
    dec = Decimal(repr(abs(x))).normalize()
    _, digit_tuple, exp = dec.as_tuple()
    assert isinstance(exp, int)
    digits = "".join(map(str, digit_tuple))
    exponent = len(digits) - 1 + exp
    if exponent < -4 or exponent >= 17:
        mantissa = digits[0] + "." + (digits[1:] or "0")
        return f"{sign}{mantissa}e{'+' if exponent >= 0 else '-'}{abs(exponent)}"
    if exponent < 0:
        return f"{sign}0.{'0' * (-exponent - 1)}{digits}"
    if len(digits) <= exponent + 1:
        return sign + digits + "0" * (exponent + 1 - len(digits))
    return f"{sign}{digits[: exponent + 1]}.{digits[exponent + 1 :]}"


def _encode(value: Any, where: str, depth: int) -> str:
    if depth > _MAX_DEPTH:
        raise ValueError(f"{where}: nested deeper than {_MAX_DEPTH} levels")
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        if not _INT64[0] <= value <= _INT64[1]:
            raise ValueError(f"{where}: integer {value} does not fit PHP's 64-bit int")
        return str(value)
    if isinstance(value, float):
        return _php_float(value, where)
    if isinstance(value, str):
        return _php_string(value, where)
    if isinstance(value, list | tuple):
        return (
            "["
            + ",".join(_encode(v, f"{where}[{i}]", depth + 1) for i, v in enumerate(value))
            + "]"
        )
    if isinstance(value, Mapping):
        return _encode_mapping(value, where, depth)
    raise ValueError(f"{where}: cannot encode a value of type {type(value).__name__}")


def _encode_mapping(value: Mapping[Any, Any], where: str, depth: int) -> str:
    keys = list(value)
    for k in keys:
        if not isinstance(k, str):
            raise ValueError(f"{where}: key {k!r} is not a string")
    # PHP turns canonical decimal string keys into integer keys, and an array whose keys
    # are exactly 0..n-1 in order is encoded as a JSON list (an empty array included).
    if all(_CANONICAL_INT_KEY.fullmatch(k) for k in keys) and [int(k) for k in keys] == list(
        range(len(keys))
    ):
        return _encode([value[k] for k in keys], where, depth)
    parts = []
    for k in keys:
        label = f"{where}[{k!r}]" if where != "payload" else f"key {k!r}"
        parts.append(_php_string(k, label) + ":" + _encode(value[k], label, depth + 1))
    return "{" + ",".join(parts) + "}"


def php_json(value: Any) -> str:
    """Encode ``value`` exactly as PHP's ``json_encode($value)`` does (no flags).

    Supports ``str``, ``int``, ``bool``, ``None``, ``float``, ``list``, ``tuple`` and
    str-keyed mappings (kept in insertion order). Raises :class:`ValueError`, naming the
    offending key, for NaN, infinities, lone surrogates, out-of-range integers and any
    other type.

    Examples
    --------
    >>> php_json({"url": "a/b", "n": 2.0, "e": "\\u00e9"})
    '{"url":"a\\\\/b","n":2,"e":"\\\\u00e9"}'
    """
    return _encode(value, "payload", 0)


def encode_payload(payload: Mapping[str, Any]) -> str:
    """Return the token's first part: base64 of :func:`php_json`, trailing ``=`` removed."""
    return base64.b64encode(php_json(payload).encode("ascii")).decode("ascii").rstrip("=")


def _digest(algo: str) -> Callable[[], Any]:
    if algo not in CLIENT_ALGOS:
        raise ValueError(
            f"algorithm {algo!r} is not supported; use one of {', '.join(sorted(CLIENT_ALGOS))}"
        )

    def new(data: bytes = b"") -> Any:
        # hmac calls the constructor with the key when the key is longer than the block.
        return hashlib.new(algo, data)

    return new


def signature_for(b64: str, private_key: str, algo: str = DEFAULT_ALGO) -> str:
    """``hash_hmac(algo, b64, private_key)`` as lowercase hex."""
    return hmac.new(private_key.encode("utf-8"), b64.encode("ascii"), _digest(algo)).hexdigest()


def sign(payload: Mapping[str, Any], private_key: str) -> str:
    """Return the token for ``payload`` signed with ``private_key``.

    The HMAC algorithm is ``payload["algo"]`` (``sha256`` when absent).

    Examples
    --------
    >>> token = sign({"algo": "sha256", "public_key": "pk", "expires": 1}, "secret")
    >>> token.count(".")
    1
    """
    algo = payload.get("algo", DEFAULT_ALGO)
    if not isinstance(algo, str):
        raise ValueError(f"key 'algo': must be a string, not {type(algo).__name__}")
    b64 = encode_payload(payload)
    return f"{b64}.{signature_for(b64, private_key, algo)}"


# --------------------------------------------------------------------------- verifying


def _decode_b64(b64: str) -> bytes:
    if not _B64_STD.fullmatch(b64):
        if " " in b64:
            raise MalformedToken(
                "token contains a space: a '+' was sent unencoded; send '+' as '%2B'"
            )
        if "-" in b64 or "_" in b64:
            raise MalformedToken(
                "token uses the URL-safe base64 alphabet ('-', '_'); use standard base64"
            )
        raise MalformedToken("token payload is not base64")
    if len(b64) % 4 == 1:
        raise MalformedToken("token payload has an impossible base64 length")
    try:
        return base64.b64decode(b64 + "=" * (-len(b64) % 4), validate=True)
    except binascii.Error:
        raise MalformedToken("token payload is not base64") from None


def _parse_payload(raw: bytes) -> dict[str, Any]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedToken("token payload is not UTF-8") from None
    try:
        payload = json.loads(text, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        raise MalformedToken("token payload is not valid JSON") from None
    if not isinstance(payload, dict):
        raise MalformedToken("token payload is not a JSON object")
    return payload


def _refuse_constant(name: str) -> Any:
    raise ValueError(name)


def verify(
    token: str,
    secret_for: Callable[[str], str | None],
    *,
    now: float,
    leeway: float = 0,
    allowed_algos: Collection[str] = SERVER_ALGOS,
    max_length: int = MAX_TOKEN_LENGTH,
) -> dict[str, Any]:
    """Check ``token`` and return its payload.

    Parameters
    ----------
    token
        The token as received (already percent-decoded).
    secret_for
        Maps a public key to its private key, or ``None`` when unknown.
    now
        Current UNIX time in seconds (this module never reads the clock).
    leeway
        Seconds an expired token is still accepted, for clock skew.
    allowed_algos
        Algorithm names accepted; others raise :class:`AlgorithmNotAllowed`.
    max_length
        Longer tokens are refused before any decoding.

    Raises
    ------
    InvalidToken
        One of :class:`MalformedToken`, :class:`BadSignature`, :class:`ExpiredToken`,
        :class:`UnknownPublicKey`, :class:`AlgorithmNotAllowed`.
    """
    if not isinstance(token, str) or not token:
        raise MalformedToken("token is missing")
    if len(token) > max_length:
        raise MalformedToken(f"token is longer than {max_length} characters")
    if token.count(".") != 1:
        raise MalformedToken("token must be two parts separated by one '.'")
    b64, sig = token.split(".")
    if not b64 or not sig:
        raise MalformedToken("token has an empty part")
    payload = _parse_payload(_decode_b64(b64))

    public_key = payload.get("public_key")
    if not isinstance(public_key, str) or not public_key:
        raise MalformedToken("token payload has no public_key")
    algo = payload.get("algo", DEFAULT_ALGO)
    if not isinstance(algo, str) or algo not in allowed_algos:
        shown = algo if isinstance(algo, str) else type(algo).__name__
        raise AlgorithmNotAllowed(
            f"algorithm {shown[:32]!r} is not allowed; "
            f"use one of {', '.join(sorted(allowed_algos))}"
        )
    secret = secret_for(public_key)
    if secret is None:
        raise UnknownPublicKey("unknown public key")
    expected = signature_for(b64, secret, algo)
    # Compare in constant time even when the shape is wrong, so timing says nothing.
    if not (hmac.compare_digest(expected, sig) and _HEX_LOWER.fullmatch(sig)):
        raise BadSignature("signature does not match")

    expires = payload.get("expires")
    if not is_whole_number(expires):
        raise MalformedToken("token payload 'expires' must be an integer of UNIX seconds")
    if expires + leeway < now:
        raise ExpiredToken(f"token expired {int(now - expires)} s ago")
    return payload
