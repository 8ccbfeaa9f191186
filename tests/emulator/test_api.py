"""The emulator's API routes over raw HTTP: tokens, verbs, errors, listing and deletion."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

from sv_widgets import signing
from sv_widgets.emulator import Emulator
from tests.helpers.api import OTHER_PUBLIC_KEY, PRIVATE_KEY, PUBLIC_KEY, EmulatorAPI


def _error(r: requests.Response) -> tuple[int, str]:
    body = r.json()
    assert body["status"] == "error", body
    assert isinstance(body["message"], str)
    assert body["message"]
    return body["error"], body["message"]


def _get(emulator: Emulator, endpoint: str, token: str, **params: Any) -> requests.Response:
    return requests.get(
        f"{emulator.api_url}/{endpoint}", params={"token": token, **params}, timeout=10
    )


def test_initiate_returns_ticket_on_this_emulator(api: EmulatorAPI, emulator: Emulator) -> None:
    ticket = api.initiate()
    assert ticket["server"] == emulator.upload_url
    assert ticket["ref"]
    assert ticket["token"].count(".") == 1


@pytest.mark.parametrize(
    ("payload_change", "code", "needle"),
    [
        ({"expires": 1}, 401, "expired"),
        ({"algo": "md5"}, 401, "md5"),
        ({"algo": "sha1"}, 401, "sha1"),
        ({"public_key": "nobody"}, 401, "unknown public key"),
        ({"action": "convert"}, 403, "upload/convert"),
        ({"method": "file", "action": "get"}, 403, "file/get"),
    ],
)
def test_initiate_refuses_bad_tokens(
    emulator: Emulator, payload_change: dict[str, Any], code: int, needle: str
) -> None:
    payload = {
        "algo": "sha256",
        "public_key": PUBLIC_KEY,
        "method": "upload",
        "action": "initiate",
        "expires": int(time.time()) + 60,
        **payload_change,
    }
    r = _get(emulator, "upload/initiate", signing.sign(payload, PRIVATE_KEY))
    assert _error(r)[0] == code
    assert needle in _error(r)[1]
    assert r.status_code == code


def test_wrong_private_key_is_401(emulator: Emulator, signed: Any) -> None:
    token = signed("upload", "initiate", private_key="not-the-key")
    assert _error(_get(emulator, "upload/initiate", token)) == (
        401,
        "Not authorized: signature does not match",
    )


def test_raw_plus_in_token_gets_the_percent_encoding_hint(emulator: Emulator, signed: Any) -> None:
    # Find a token whose base64 contains '+', then paste it raw as the plugin does.
    for n in range(200):
        token = signed("upload", "initiate", pad=">" * n)
        if "+" in token:
            break
    else:  # pragma: no cover - base64 of varied payloads always meets a '+'
        pytest.fail("no token with '+'")
    r = requests.get(f"{emulator.api_url}/upload/initiate?token={token}", timeout=10)
    code, message = _error(r)
    assert code == 401
    assert "%2B" in message
    assert _get(emulator, "upload/initiate", token).json()["status"] == "success"


def test_missing_and_malformed_tokens(emulator: Emulator) -> None:
    r = requests.get(f"{emulator.api_url}/upload/initiate", timeout=10)
    assert _error(r)[0] == 401
    for bad in ["abc", "a.b.c", ".", "e30.00", "x" * 300_000]:
        assert _error(_get(emulator, "upload/initiate", bad))[0] == 401


def test_token_in_form_body_is_read_like_request(emulator: Emulator, signed: Any) -> None:
    token = signed("files", "get")
    r = requests.post(
        f"{emulator.api_url}/me/files", data={"token": "junk", "_method": "GET"}, timeout=10
    )
    assert _error(r)[0] == 401  # the form token overrides; GET is not a spoofable verb here
    r = requests.post(
        f"{emulator.api_url}/me/files?token=junk",
        data={"token": signed("files", "delete", codes=["1-AAAAAA"]), "_method": "DELETE"},
        timeout=10,
    )
    assert _error(r)[0] == 404  # form token won over the query's junk; code is unknown
    assert _get(emulator, "me/files", token).json()["status"] == "success"


def test_unknown_route_and_wrong_verb_are_json(emulator: Emulator) -> None:
    r = requests.get(f"{emulator.base_url}/nope", timeout=10)
    assert r.status_code == 404
    assert _error(r)[0] == 404
    r = requests.patch(f"{emulator.api_url}/me/file", timeout=10)
    assert r.status_code == 405
    assert _error(r)[0] == 1000
    r = requests.post(f"{emulator.api_url}/upload/initiate", timeout=10)
    assert r.status_code == 405
    assert _error(r)[0] == 1000


def test_post_without_method_override_is_refused(emulator: Emulator, signed: Any) -> None:
    r = requests.post(
        f"{emulator.api_url}/me/file",
        params={"token": signed("file", "update", file_code="1-AAAAAA", thumbnail="x")},
        timeout=10,
    )
    code, message = _error(r)
    assert code == 1000
    assert "_method" in message


def test_upload_list_and_page(api: EmulatorAPI, emulator: Emulator) -> None:
    codes = [api.upload(b"not a video %d" % i, name="a.avi") for i in range(3)]
    for code in codes:
        stamp, _, tail = code.partition("-")
        assert stamp.isdigit()
        assert len(tail) == 6
        assert tail.isalnum()
    r = api.call("GET", "me/files", "files", "get")
    body = r.json()
    assert body["status"] == "success"
    assert body["currentPage"] == 1
    listed = body["codes"]
    assert listed[-3:] == codes  # oldest first
    r = api.call("GET", "me/files", "files", "get", params={"page": body["lastPage"] + 1})
    assert r.json()["codes"] == []
    assert r.json()["nextPageUrl"] is None


@pytest.mark.sv_emulator(page_size=2)
def test_pagination_with_small_pages(sv_emulator: Emulator) -> None:
    api = EmulatorAPI(sv_emulator)
    r = api.call("GET", "me/files", "files", "get")
    assert r.json() == {
        "status": "success",
        "currentPage": 1,
        "lastPage": 1,
        "nextPageUrl": None,
        "codes": [],
    }
    codes = [api.upload(b"x%d" % i) for i in range(5)]
    seen: list[str] = []
    url = f"{sv_emulator.api_url}/me/files"
    pages = 0
    while url:
        assert "token" not in url
        r = requests.get(
            url,
            params={"token": api.token("files", "get")},
            timeout=10,
        )
        body = r.json()
        pages += 1
        assert body["currentPage"] == pages
        assert body["lastPage"] == 3
        seen += body["codes"]
        url = body["nextPageUrl"]
    assert seen == codes


@pytest.mark.parametrize("page", ["0", "-1", "abc", "1.5", "9999999999", "\uff11"])
def test_bad_page_is_1000(api: EmulatorAPI, page: str) -> None:
    r = api.call("GET", "me/files", "files", "get", params={"page": page})
    assert _error(r)[0] == 1000


def test_unconverted_file_info_and_conversion_errors(api: EmulatorAPI) -> None:
    code = api.upload(b"plain bytes")
    body = api.info(code)
    assert body["error"] == 100030
    assert "conversion" in body["message"]
    assert api.info("1-ZZZZZZ")["error"] == 404
    assert api.info(code, public_key=OTHER_PUBLIC_KEY)["error"] == 403
    assert api.convert(code, public_key=OTHER_PUBLIC_KEY)["error"] == 403
    assert api.convert("1-ZZZZZZ")["error"] == 404
    assert api.convert(code, convert_sd_only="yes")["error"] == 1000
    assert api.convert(code, convert_mp4_only=1)["error"] == 1000
    r = api.call("GET", "upload/conversion/initiate", "upload", "convert")
    assert _error(r)[0] == 1000  # no file_code
    assert api.convert(code) == {"status": "success", "code": code}
    assert api.convert(code)["error"] == 100031
    failed = api.wait_ready(code)
    assert failed["error"] == 10001
    assert "conversion failed" in failed["message"]


def test_update_thumbnail_errors(api: EmulatorAPI) -> None:
    code = api.upload(b"plain bytes")
    r = api.call("PUT", "me/file", "file", "update", file_code=code, thumbnail="x.jpg")
    assert _error(r)[0] == 100030
    r = api.call("POST", "me/file", "file", "update", data={"_method": "UPDATE"}, file_code=code)
    assert _error(r)[0] == 1000  # no thumbnail name signed
    r = api.call(
        "POST", "me/file", "file", "get", data={"_method": "PUT"}, file_code=code, thumbnail="x"
    )
    assert _error(r)[0] == 403  # a file/get token on the update verb


def test_delete_accepts_one_code_as_a_string(api: EmulatorAPI) -> None:
    """The operator's own plugin signs ``codes`` as a single string when it deletes one file."""
    keep, gone = api.upload(b"keep"), api.upload(b"gone")
    r = api.call("POST", "me/files", "files", "delete", data={"_method": "DELETE"}, codes=gone)
    assert r.json() == {"status": "success"}
    listed = api.call("GET", "me/files", "files", "get").json()["codes"]
    assert keep in listed
    assert gone not in listed
    assert api.info(gone)["error"] == 404


def test_delete_is_all_or_nothing(api: EmulatorAPI) -> None:
    mine = [api.upload(b"a"), api.upload(b"b")]
    theirs = api.upload(b"c", public_key=OTHER_PUBLIC_KEY)
    r = api.call("DELETE", "me/files", "files", "delete", codes=[*mine, "1-NOPE00"])
    code, message = _error(r)
    assert code == 404
    assert "1-NOPE00" in message
    r = api.call(
        "POST", "me/files", "files", "delete", data={"_method": "DELETE"}, codes=[*mine, theirs]
    )
    code, message = _error(r)
    assert code == 403
    assert theirs in message
    assert mine[0] not in message
    listed = api.call("GET", "me/files", "files", "get").json()["codes"]
    assert set(mine) <= set(listed)
    for bad in ([], "", [1], None, {"a": "b"}, 7):
        r = api.call("DELETE", "me/files", "files", "delete", codes=bad)
        assert _error(r)[0] == 1000
    r = api.call("DELETE", "me/files", "files", "delete", codes="1-NOPE00")
    assert _error(r)[0] == 404  # a string is one code
    r = api.call("POST", "me/files", "files", "delete", data={"_method": "delete"}, codes=mine)
    assert r.json() == {"status": "success"}
    listed = api.call("GET", "me/files", "files", "get").json()["codes"]
    assert not set(mine) & set(listed)
    assert api.info(mine[0])["error"] == 404
    data_dir = api.emulator.data_dir
    assert data_dir is not None
    assert not (data_dir / "files" / mine[0]).exists()
    assert api.info(theirs, public_key=OTHER_PUBLIC_KEY)["error"] == 100030


def test_accounts_are_isolated_in_listing(api: EmulatorAPI) -> None:
    theirs = api.upload(b"theirs", public_key=OTHER_PUBLIC_KEY)
    listed = api.call("GET", "me/files", "files", "get").json()["codes"]
    assert theirs not in listed


ROUTES = [
    ("GET", "/api/v1/upload/initiate", None),
    ("GET", "/api/v1/upload/conversion/initiate", None),
    ("GET", "/api/v1/me/file", None),
    ("PUT", "/api/v1/me/file", None),
    ("POST", "/api/v1/me/file", {"_method": "UPDATE"}),
    ("GET", "/api/v1/me/files", None),
    ("DELETE", "/api/v1/me/files", None),
    ("POST", "/api/v1/me/files", {"_method": "DELETE"}),
    ("POST", "/fileservers/upload", {"ref": "r"}),
]
HOSTILE = [
    "",
    "no-dot",
    "a.b.c",
    "..",
    "e30.zz",
    "-_-_.00",
    "W10.00",  # JSON list, not an object
    "\u00ff\u20ac.00",
    "eyJwdWJsaWNfa2V5IjpbXX0." + "0" * 64,  # public_key is a list
    "x" * 700_000,
    "%00.%00",
]


@pytest.mark.parametrize(("verb", "path", "form"), ROUTES)
def test_hostile_tokens_get_json_errors_never_5xx(
    emulator: Emulator, verb: str, path: str, form: dict[str, str] | None
) -> None:
    for token in HOSTILE:
        r = requests.request(
            verb, emulator.base_url + path, params={"token": token}, data=form, timeout=10
        )
        assert r.status_code < 500, (token[:20], r.text)
        body = r.json()
        assert body["status"] == "error"
        assert body["error"] in (401, 10000, 10002), (token[:20], body)


def test_guard_turns_crashes_into_json_500(caplog: pytest.LogCaptureFixture) -> None:
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from sv_widgets.emulator.http.middleware import Guard

    async def broken(scope: Any, receive: Any, send: Any) -> None:
        raise RuntimeError("secret detail")

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    scope = {"type": "http", "method": "GET", "path": "/x"}
    with caplog.at_level("ERROR", logger="sv_widgets.emulator"), ThreadPoolExecutor(1) as pool:
        # a thread of its own: the test process may already run an event loop on this one
        pool.submit(asyncio.run, Guard(broken)(scope, receive, send)).result()
    assert sent[0]["status"] == 500
    body = sent[1]["body"]
    assert b'"error": 500' in body
    assert b"secret detail" not in body
    assert "secret detail" in caplog.text  # the traceback goes to the log only
