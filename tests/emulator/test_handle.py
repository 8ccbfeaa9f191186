"""Emulator and EmulatorProcess hold to one protocol, EmulatorHandle, and behave alike.

The protocol's members are compared signature by signature (names, kinds, defaults,
annotations and return types), then the same test controls are run against an emulator in
this process and one in a child process.
"""

from __future__ import annotations

import inspect
import io
from collections.abc import Iterator

import pytest

from sv_widgets.emulator import Emulator, EmulatorHandle, EmulatorProcess, FaultRule
from sv_widgets.emulator.domain.errors import ServiceError
from sv_widgets.errors import InternalError, ServiceNotAvailable

ACCOUNTS = {"me": "my-private-key", "you": "your-private-key"}
MEMBERS = sorted(
    name
    for name, value in vars(EmulatorHandle).items()
    if not name.startswith("_") and (callable(value) or isinstance(value, property))
)


def test_the_protocol_names_what_a_test_does_with_an_emulator() -> None:
    assert MEMBERS == [
        "accounts",
        "api_url",
        "base_url",
        "clear_faults",
        "client",
        "list_conversions",
        "reset",
        "set_conversion",
        "set_faults",
        "stop",
        "thumbnail_url",
        "upload_url",
    ]


@pytest.mark.parametrize("name", [n for n in MEMBERS if callable(vars(EmulatorHandle)[n])])
def test_both_have_each_method_with_the_protocols_signature(name: str) -> None:
    declared = inspect.signature(getattr(EmulatorHandle, name))
    assert inspect.signature(getattr(Emulator, name)) == declared
    assert inspect.signature(getattr(EmulatorProcess, name)) == declared


@pytest.fixture(params=["thread", "process"])
def handle(request: pytest.FixtureRequest) -> Iterator[EmulatorHandle]:
    """An emulator with manual conversions: the plugin's in this process, or a child."""
    if request.param == "thread":
        yield request.getfixturevalue("emu")
        return
    with EmulatorProcess(accounts=ACCOUNTS, options=["--conversions", "manual"]) as process:
        yield process


@pytest.mark.sv_emulator(accounts=ACCOUNTS, conversions="manual")
def test_urls_accounts_and_clients(handle: EmulatorHandle) -> None:
    assert isinstance(handle, EmulatorHandle)
    base = handle.base_url
    assert base.startswith("http://127.0.0.1:")
    assert handle.api_url == f"{base}/api/v1"
    assert handle.upload_url == f"{base}/fileservers/upload"
    assert handle.thumbnail_url == f"{base}/thumbnail"
    assert handle.accounts == ACCOUNTS
    with handle.client("you") as client:
        assert client.public_key == "you"
        assert client.list_files().codes == ()
    with pytest.raises(KeyError, match="no account with public key 'nobody'"):
        handle.client("nobody")


@pytest.mark.sv_emulator(accounts=ACCOUNTS, conversions="manual")
def test_conversions_are_listed_and_moved_on(handle: EmulatorHandle) -> None:
    with handle.client() as client:
        code = client.upload(io.BytesIO(b"any bytes: a test says how it ends"))
        client.convert(code)
        (listed,) = handle.list_conversions()
        assert (listed["code"], listed["owner"]) == (code, "me")
        moved = handle.set_conversion(code, progress=40)
        assert (moved["state"], moved["progress"]) == ("converting", 40.0)
        assert handle.list_conversions() == [moved]
        assert handle.set_conversion(code, state="ready")["state"] == "ready"
        assert client.file_info(code).code == code
    with pytest.raises(ServiceError, match="no file with code") as refused:
        handle.set_conversion("1700000000-NoSuch", state="ready")
    assert refused.value.code == 404


@pytest.mark.sv_emulator(accounts=ACCOUNTS, conversions="manual")
def test_faults_are_set_in_every_form_and_cleared(handle: EmulatorHandle) -> None:
    with handle.client(retries=0) as client:
        handle.set_faults(["files_get:http_503"])
        with pytest.raises(ServiceNotAvailable):
            client.list_files()
        handle.set_faults([FaultRule(route="files_get", kind="http_500")])
        with pytest.raises(InternalError):
            client.list_files()
        handle.set_faults([{"route": "files_get", "kind": "http_500", "times": 1}])
        with pytest.raises(InternalError):
            client.list_files()
        assert client.list_files().codes == ()  # that one fired its one time
        handle.set_faults(["files_get:http_503"])
        handle.clear_faults()
        assert client.list_files().codes == ()
    with pytest.raises(ValueError, match="explode"):
        handle.set_faults(["files_get:explode"])


@pytest.mark.sv_emulator(accounts=ACCOUNTS, conversions="manual")
def test_reset_says_what_went(handle: EmulatorHandle) -> None:
    with handle.client() as client:
        code = client.upload(io.BytesIO(b"to be forgotten"))
        client.convert(code)
        handle.set_faults(["thumbnail:latency:ms=1"])
        removed = handle.reset()
        assert removed == {"files": 1, "tickets": removed["tickets"], "accounts": 0}
        assert all(isinstance(count, int) for count in removed.values())
        assert client.list_files().codes == ()
    assert handle.list_conversions() == []
    assert handle.reset(accounts=True)["accounts"] == 0  # both were given at start
