"""No route lets one account read, change, list or delete another's files.

BOB attacks ALICE's files through every signed route and verb (``_method`` overrides
included), alone and mixed with his own codes; every attempt is a 403 and ALICE's state is
checked unchanged afterwards. Unknown codes are 404 (the contract's distinction). The
unsigned thumbnail and media routes are public by design, as on the real service: a file
code is the capability, so codes must not leak through listings of other accounts.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import requests

from sv_widgets.emulator import Emulator
from tests.helpers.api import EmulatorAPI

from .conftest import ALICE, BOB_KEY, expect_error


def _listing(api: EmulatorAPI) -> list[str]:
    codes: list[str] = []
    page = 1
    for _ in range(1000):  # bounded: pages are few
        body = api.call("GET", "me/files", "files", "get", params={"page": str(page)}).json()
        assert body["status"] == "success", body
        codes += body["codes"]
        if body["nextPageUrl"] is None:
            return codes
        assert "token" not in body["nextPageUrl"]
        page += 1
    raise AssertionError("listing never ended")


@pytest.fixture
def victim(alice: EmulatorAPI, converted: dict[str, str]) -> dict[str, str]:
    """ALICE's converted file and a fresh unconverted one."""
    return {"ready": converted["alice"], "fresh": alice.upload(os.urandom(1000), "v.bin")}


def test_bob_cannot_read_alice_files(
    bob: EmulatorAPI, alice: EmulatorAPI, victim: dict[str, str]
) -> None:
    for code in victim.values():
        body = expect_error(bob.call("GET", "me/file", "file", "get", file_code=code), 403)
        assert "streams" not in body
        assert "thumbnail" not in body
    assert alice.info(victim["ready"])["status"] == "success"


@pytest.mark.parametrize(
    ("verb", "form"),
    [("PUT", None), ("POST", {"_method": "PUT"}), ("POST", {"_method": "UPDATE"})],
)
def test_bob_cannot_pick_alice_thumbnail(
    bob: EmulatorAPI,
    alice: EmulatorAPI,
    victim: dict[str, str],
    verb: str,
    form: dict[str, str] | None,
) -> None:
    code = victim["ready"]
    before = alice.info(code)["thumbnail"]
    names = [
        n
        for n in requests.get(f"{alice.emulator.thumbnail_url}/{code}/json/list", timeout=10).json()
    ]
    assert names
    for key in names:
        height, number = key.split(".")[:2]
        name = f"{code}_{height}_{number}.jpg"
        r = bob.call(verb, "me/file", "file", "update", data=form, file_code=code, thumbnail=name)
        expect_error(r, 403)
    assert alice.info(code)["thumbnail"] == before


def test_bob_cannot_convert_alice_file(
    bob: EmulatorAPI, alice: EmulatorAPI, victim: dict[str, str]
) -> None:
    flag_sets: list[dict[str, Any]] = [{}, {"convert_sd_only": True}, {"convert_mp4_only": True}]
    for flags in flag_sets:
        r = bob.call(
            "GET",
            "upload/conversion/initiate",
            "upload",
            "convert",
            file_code=victim["fresh"],
            **flags,
        )
        expect_error(r, 403)
    # Still unconverted, and ALICE's own conversion request is the first one.
    assert alice.info(victim["fresh"])["error"] == 100030
    assert alice.convert(victim["fresh"]) == {"status": "success", "code": victim["fresh"]}


@pytest.mark.parametrize(("verb", "form"), [("DELETE", None), ("POST", {"_method": "DELETE"})])
def test_bob_cannot_delete_alice_files_even_mixed_with_his_own(
    bob: EmulatorAPI,
    alice: EmulatorAPI,
    victim: dict[str, str],
    verb: str,
    form: dict[str, str] | None,
) -> None:
    own = bob.upload(os.urandom(500), "b.bin")
    for codes in (
        [victim["fresh"]],
        [own, victim["fresh"]],
        [victim["fresh"], own],
        [own, victim["ready"], victim["fresh"]],
        [victim["fresh"], victim["fresh"]],
    ):
        r = bob.call(verb, "me/files", "files", "delete", data=form, codes=codes)
        body = expect_error(r, 403)
        assert own not in body["message"]  # names only the codes that are not his
    assert victim["fresh"] in _listing(alice)
    assert victim["ready"] in _listing(alice)
    assert own in _listing(bob)  # all or nothing: his own file survived too
    assert bob.call(verb, "me/files", "files", "delete", data=form, codes=[own]).json() == {
        "status": "success"
    }


def test_listings_never_show_another_account(
    alice: EmulatorAPI, bob: EmulatorAPI, victim: dict[str, str]
) -> None:
    mine = [bob.upload(os.urandom(100), "l.bin") for _ in range(3)]
    alice_codes, bob_codes = set(_listing(alice)), set(_listing(bob))
    assert not alice_codes & bob_codes
    assert set(victim.values()) <= alice_codes
    assert set(mine) <= bob_codes
    # A page far beyond the end is empty, not someone else's.
    body = bob.call("GET", "me/files", "files", "get", params={"page": "999999"}).json()
    assert body["codes"] == []


def test_unknown_codes_are_404_and_bad_ones_1000(bob: EmulatorAPI) -> None:
    expect_error(bob.call("GET", "me/file", "file", "get", file_code="1-abcdef"), 404)
    expect_error(bob.call("GET", "me/file", "file", "get", file_code=["1-abcdef"]), 1000)
    expect_error(bob.call("GET", "me/file", "file", "get"), 1000)
    # one code as a string is one code (the operator's plugin sends that): unknown, 404
    expect_error(bob.call("DELETE", "me/files", "files", "delete", codes="1-abcdef"), 404)
    expect_error(bob.call("DELETE", "me/files", "files", "delete", codes=""), 1000)
    expect_error(bob.call("DELETE", "me/files", "files", "delete", codes=[]), 1000)


def test_claiming_alice_public_key_with_bob_secret_is_401(
    hostile: Emulator, victim: dict[str, str]
) -> None:
    import time

    from sv_widgets import signing

    for method, action, path in [
        ("file", "get", "me/file"),
        ("files", "get", "me/files"),
        ("files", "delete", "me/files"),
    ]:
        token = signing.sign(
            {
                "public_key": ALICE,
                "method": method,
                "action": action,
                "expires": int(time.time()) + 60,
                "file_code": victim["fresh"],
                "codes": [victim["fresh"]],
            },
            BOB_KEY,
        )
        verb = "DELETE" if action == "delete" else "GET"
        r = requests.request(verb, f"{hostile.api_url}/{path}", params={"token": token}, timeout=10)
        expect_error(r, 401)


def test_bob_cannot_upload_into_alice_ticket(alice: EmulatorAPI, bob: EmulatorAPI) -> None:
    theirs, mine = alice.initiate(), bob.initiate()
    for token, ref in ((mine["token"], theirs["ref"]), (theirs["token"], mine["ref"])):
        r = requests.post(
            theirs["server"],
            params={"ref": ref, "token": token},
            files={"file": ("x.mp4", b"x")},
            timeout=30,
        )
        expect_error(r, 10000)
    # Both tickets still work for their owners, and the files land in the right accounts.
    for api, t in ((alice, theirs), (bob, mine)):
        r = requests.post(
            t["server"],
            params={"ref": t["ref"], "token": t["token"]},
            files={"file": ("x.mp4", b"x")},
            timeout=30,
        ).json()
        assert r["status"] == "success", r
        assert r["code"] in _listing(api)
