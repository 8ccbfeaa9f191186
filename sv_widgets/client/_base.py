"""Construction, configuration and request plumbing of :class:`~sv_widgets.client.Client`.

:class:`ClientBase` owns the keys, the URLs and the transport, and turns "sign this
``method``/``action`` with these fields and call that path" into one retried or unretried
HTTP call. The endpoints themselves are the methods of ``Client`` in ``_client.py``.

Examples
--------
>>> ClientBase("pk", "sk").api_url
'https://devs.sparevideos.com/api/v1'
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from typing import Any, TypeVar
from urllib.parse import quote

from sv_widgets import signing
from sv_widgets.client._replies import check_binary, parse_json
from sv_widgets.client._transport import Attempt, RequestAbort, Transport
from sv_widgets.errors import ConfigurationError
from sv_widgets.wire import DEFAULT_API_URL, DEFAULT_THUMBNAIL_URL, is_http_url

__all__ = ["ClientBase"]

_C = TypeVar("_C", bound="ClientBase")


def _base_url(url: str, what: str) -> str:
    if not is_http_url(url):
        raise ConfigurationError(f"{what} must be an http(s) URL, got {url!r}")
    return url.strip().rstrip("/")


def _code(file_code: str) -> str:
    if not isinstance(file_code, str) or not file_code.strip():
        raise ValueError(f"file_code must be a non-empty string, got {file_code!r}")
    return file_code


class ClientBase:
    """Keys, URLs, token signing and the transport (see :class:`~sv_widgets.client.Client`)."""

    def __init__(
        self,
        public_key: str,
        private_key: str,
        *,
        api_url: str = DEFAULT_API_URL,
        thumbnail_url: str = DEFAULT_THUMBNAIL_URL,
        algo: str = "sha256",
        timeout: tuple[float, float] = (10, 120),
        retries: int = 3,
        session: Any = None,
        expires_in: int = 30,
        upload_expires_in: int = 3600,
        backoff: float = 0.5,
        max_retry_after: float = 60.0,
    ) -> None:
        if not isinstance(public_key, str) or not public_key:
            raise ConfigurationError("public_key must be a non-empty string")
        if not isinstance(private_key, str) or not private_key:
            raise ConfigurationError("private_key must be a non-empty string")
        if algo not in signing.CLIENT_ALGOS:
            raise ConfigurationError(
                f"algo {algo!r} is not supported; use one of {sorted(signing.CLIENT_ALGOS)}"
            )
        if retries < 0 or expires_in <= 0 or upload_expires_in <= 0:
            raise ConfigurationError(
                "retries must be >= 0, and expires_in and upload_expires_in > 0"
            )
        self._public_key = public_key
        self._private_key = private_key
        self._api_url = _base_url(api_url, "api_url")
        self._thumbnail_url = _base_url(thumbnail_url, "thumbnail_url")
        self.algo = algo
        self.expires_in = expires_in
        self.upload_expires_in = upload_expires_in
        self._transport = Transport(
            timeout=(float(timeout[0]), float(timeout[1])),
            retries=retries,
            backoff=backoff,
            max_retry_after=max_retry_after,
            session=session,
            secrets=(private_key,),
        )

    @classmethod
    def from_env(cls: type[_C], environ: Mapping[str, str] | None = None, **kwargs: Any) -> _C:
        """Build a client from ``SV_PUBLIC_KEY``, ``SV_PRIVATE_KEY`` (required),
        ``SV_API_URL`` and ``SV_THUMBNAIL_URL`` (optional); ``kwargs`` go to the constructor.

        Examples
        --------
        >>> from sv_widgets import Client
        >>> Client.from_env({"SV_PUBLIC_KEY": "pk", "SV_PRIVATE_KEY": "sk"}).public_key
        'pk'
        """
        env = os.environ if environ is None else environ
        missing = [n for n in ("SV_PUBLIC_KEY", "SV_PRIVATE_KEY") if not env.get(n)]
        if missing:
            raise ConfigurationError(
                f"missing environment variable{'s' if len(missing) > 1 else ''}: "
                f"{', '.join(missing)} (set them to your SpareVideos API keys)"
            )
        for name, kw in (("SV_API_URL", "api_url"), ("SV_THUMBNAIL_URL", "thumbnail_url")):
            if env.get(name):
                kwargs.setdefault(kw, env[name])
        return cls(env["SV_PUBLIC_KEY"], env["SV_PRIVATE_KEY"], **kwargs)

    public_key = property(lambda self: self._public_key, doc="The account's public key.")
    api_url = property(lambda self: self._api_url, doc="Base URL of the API.")
    thumbnail_url = property(lambda self: self._thumbnail_url, doc="Base URL of thumbnails.")

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(public_key={self._public_key!r}, api_url={self._api_url!r}, "
            f"thumbnail_url={self._thumbnail_url!r})"
        )

    def close(self) -> None:
        """Close the HTTP sessions this client opened."""
        self._transport.close()

    def __enter__(self: _C) -> _C:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ plumbing

    def _token(self, method: str, action: str, expires_in: int, **extra: Any) -> str:
        payload = {
            "algo": self.algo,
            "public_key": self._public_key,
            "method": method,
            "action": action,
            "expires": int(time.time()) + int(expires_in),
            **extra,
        }
        return signing.sign(payload, self._private_key)

    def _api(
        self,
        http: str,
        path: str,
        signed: tuple[str, str],
        *,
        idempotent: bool,
        expires_in: int | None = None,
        params: Mapping[str, str] | None = None,
        form: Mapping[str, str] | None = None,
        abort: RequestAbort | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        def build() -> Attempt:
            token = self._token(*signed, expires_in or self.expires_in, **extra)
            url = self._api_url + path
            query = {"token": token, **(params or {})}
            return Attempt(http, url, query, form, {}, (token,), abort=abort)

        endpoint = f"{http} {path}"
        result: dict[str, Any] = self._transport.send(
            build, endpoint=endpoint, idempotent=idempotent, parse=parse_json
        )
        return result

    def _get_bytes(self, url: str, endpoint: str, parse: Any = check_binary) -> Any:
        return self._transport.send(
            lambda: Attempt("GET", url), endpoint=endpoint, idempotent=True, parse=parse
        )

    def _thumb(self, file_code: str, *parts: str) -> str:
        return "/".join([self._thumbnail_url, *(quote(p, safe="") for p in (file_code, *parts))])
