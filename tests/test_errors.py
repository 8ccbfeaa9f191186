"""sv_widgets.errors: one tree, one table, readable and secret-free messages."""

from __future__ import annotations

from typing import Any

import pytest

from sv_widgets import errors
from sv_widgets.errors import (
    API_ERRORS,
    APIError,
    ConversionTimeout,
    FileNotConverted,
    InvalidResponse,
    NotFound,
    SpareVideosError,
    TransportError,
    error_from_response,
)

DOCUMENTED = {
    401,
    403,
    404,
    500,
    501,
    1000,
    10000,
    10001,
    10002,
    10004,
    10005,
    10006,
    100030,
    100031,
}


def test_table_covers_every_documented_code() -> None:
    assert set(API_ERRORS) == DOCUMENTED  # the API document's list of codes
    for code, cls in API_ERRORS.items():
        assert issubclass(cls, APIError)
        assert cls.default_code == code
        assert cls.__doc__


def test_every_exported_name_is_in_the_tree() -> None:
    for name in errors.__all__:
        obj = getattr(errors, name)
        if isinstance(obj, type):
            assert issubclass(obj, SpareVideosError)


@pytest.mark.parametrize("code", sorted(DOCUMENTED))
def test_error_from_response_picks_the_class(code: int) -> None:
    e = error_from_response(
        {"status": "error", "error": code, "message": "boom"},
        endpoint="GET /me/file",
        http_status=200,
    )
    assert type(e) is API_ERRORS[code]
    assert (e.code, e.message, e.endpoint, e.http_status) == (code, "boom", "GET /me/file", 200)
    assert str(e) == f"[{code}] boom (GET /me/file)"
    assert repr(e).startswith(f"{type(e).__name__}(code={code}, message='boom'")


@pytest.mark.parametrize(
    ("body", "cls", "code"),
    [
        ({"status": "error", "error": "404", "message": "m"}, NotFound, 404),
        ({"status": "error", "error": 77, "message": "m"}, APIError, 77),
        ({"status": "error", "error": None}, APIError, None),
        ({"status": "error", "error": True, "message": "m"}, APIError, None),
        ({"status": "error", "error": "x", "message": "m"}, APIError, None),
    ],
)
def test_odd_codes(body: dict[str, Any], cls: type[APIError], code: int | None) -> None:
    e = error_from_response(body)
    assert type(e) is cls
    assert e.code == code
    assert e.message  # never empty


def test_file_not_converted_progress() -> None:
    e = error_from_response(
        {"status": "error", "error": 100030, "message": "converting", "progress": 42}
    )
    assert isinstance(e, FileNotConverted)
    assert e.progress == 42.0
    e = error_from_response({"status": "error", "error": 100030, "message": "m", "progress": "42"})
    assert isinstance(e, FileNotConverted)
    assert e.progress is None


def test_transport_and_local_errors_have_no_code() -> None:
    e = InvalidResponse("HTTP 502: expected JSON", endpoint="GET /me/files", http_status=502)
    assert isinstance(e, TransportError)
    assert e.code is None
    assert str(e) == "HTTP 502: expected JSON (GET /me/files)"
    assert str(ConversionTimeout("waited")) == "waited"
