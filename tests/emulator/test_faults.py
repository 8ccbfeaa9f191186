"""Fault injection: rules, compact specs, the control endpoint, and each kind on the wire."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from sv_widgets.emulator import Emulator
from sv_widgets.emulator.http.faults import FaultRule, FaultSet, parse_fault_spec
from tests.helpers.api import EmulatorAPI


def wait_for(condition: Callable[[], bool], timeout: float = 30.0) -> bool:
    """Whether ``condition`` came true within ``timeout`` seconds (looked at every 10 ms)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_parse_compact_spec() -> None:
    rule = parse_fault_spec("file_get:http_503:p=0.3,seed=7,retry_after=2,times=4")
    assert (rule.route, rule.kind, rule.probability, rule.seed) == ("file_get", "http_503", 0.3, 7)
    assert (rule.retry_after, rule.times) == (2, 4)
    assert parse_fault_spec("/api/v1/*:latency:ms=250").latency_ms == 250


@pytest.mark.parametrize(
    "spec",
    [
        "nothing",
        "x:explode",
        "x:latency:ms",
        "x:latency:speed=3",
        "x:http_500:p=2",
        "x:http_500:p=abc",
        ":drop",
    ],
)
def test_bad_specs_are_refused(spec: str) -> None:
    with pytest.raises(ValueError, match=r"fault"):
        parse_fault_spec(spec)


@pytest.mark.parametrize(
    "data",
    [
        [1],
        [{"route": "x"}],
        [{"route": "x", "kind": "drop", "probability": "1"}],
        [{"route": "x", "kind": "drop", "seed": 1.5}],
        [{"route": "x", "kind": "drop", "zap": 1}],
    ],
)
def test_bad_json_rules_are_refused(data: list[Any]) -> None:
    with pytest.raises(ValueError, match=r"fault"):
        FaultSet(data)


def test_seeded_rules_repeat_exactly() -> None:
    def draws() -> list[bool]:
        faults = FaultSet([{"route": "*", "kind": "http_500", "probability": 0.5, "seed": 42}])
        return [faults.decide("file_get", "/api/v1/me/file")[1] is not None for _ in range(50)]

    first = draws()
    assert first == draws()
    assert 10 < sum(first) < 40


def test_route_names_and_globs() -> None:
    rule = FaultRule("file_get", "drop")
    assert rule.matches("file_get", "/api/v1/me/file")
    assert not rule.matches("file_update", "/api/v1/me/file")
    glob = FaultRule("/thumbnail/*", "drop")
    assert glob.matches("thumbnail", "/thumbnail/a/json/list")
    assert not glob.matches("media", "/media/a/b.mp4")


def test_times_limits_firing() -> None:
    faults = FaultSet(["*:http_500:times=2"])
    fired = [faults.decide("x", "/")[1] is not None for _ in range(5)]
    assert fired == [True, True, False, False, False]
    assert faults.to_json()[0]["fired"] == 2


def test_http_kinds_on_the_wire(sv_emulator: Emulator) -> None:
    url = f"{sv_emulator.api_url}/me/files"
    sv_emulator.set_faults(["files_get:http_503:retry_after=3"])
    r = requests.get(url, timeout=10)
    assert r.status_code == 503
    assert r.headers["retry-after"] == "3"
    assert r.json()["error"] == 501
    sv_emulator.set_faults(["files_get:http_500"])
    r = requests.get(url, timeout=10)
    assert r.status_code == 500
    assert r.json() == {
        "status": "error",
        "error": 500,
        "message": "Internal error (injected fault)",
    }
    sv_emulator.set_faults([{"route": "files_get", "kind": "api_10005", "retry_after": 1}])
    r = requests.get(url, timeout=10)
    assert r.status_code == 200
    assert r.json()["error"] == 10005
    assert r.headers["retry-after"] == "1"
    # Only the named route is affected.
    assert requests.get(f"{sv_emulator.api_url}/upload/initiate", timeout=10).json()["error"] == 401
    sv_emulator.clear_faults()
    assert requests.get(url, timeout=10).json()["error"] == 401


def test_drop_closes_without_an_answer(sv_emulator: Emulator) -> None:
    sv_emulator.set_faults(["progress:drop"])
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{sv_emulator.upload_url}/progress?ref=x", timeout=10)
    sv_emulator.clear_faults()
    assert requests.get(f"{sv_emulator.upload_url}/progress?ref=x", timeout=10).text == "0"


def test_latency_does_not_block_other_requests(sv_emulator: Emulator) -> None:
    """Three delayed requests are in the emulator (the rule fired for each) when another one
    is sent; that one is answered first, and the delayed ones after it."""
    sv_emulator.set_faults(["progress:latency:ms=3000"])
    answered: list[str] = []

    def call() -> None:
        requests.get(f"{sv_emulator.upload_url}/progress?ref=x", timeout=30)
        answered.append("delayed")

    threads = [threading.Thread(target=call) for _ in range(3)]
    for t in threads:
        t.start()
    assert wait_for(lambda: sv_emulator.faults.to_json()[0]["fired"] == 3)
    r = requests.get(f"{sv_emulator.api_url}/me/files", timeout=10)
    answered.append("other")
    assert r.json()["error"] == 401
    for t in threads:
        t.join()
    assert answered == ["other", "delayed", "delayed", "delayed"]


def test_stall_holds_a_request_until_it_is_released(sv_emulator: Emulator) -> None:
    """A stalled request waits, others are served meanwhile, and it goes on once the rule
    is removed."""
    sv_emulator.set_faults(["progress:stall"])
    answers: list[str] = []
    held = threading.Thread(
        target=lambda: answers.append(
            requests.get(f"{sv_emulator.upload_url}/progress?ref=x", timeout=30).text
        )
    )
    held.start()
    assert wait_for(lambda: sv_emulator.faults.to_json()[0]["holding"] == 1)
    assert sv_emulator.faults.to_json()[0]["fired"] == 1
    assert requests.get(f"{sv_emulator.api_url}/me/files", timeout=10).json()["error"] == 401
    assert held.is_alive()
    assert answers == []
    assert sv_emulator.faults.stalled == 1  # the one held; the other request was not stalled
    sv_emulator.clear_faults()
    held.join(timeout=30)
    assert answers == ["0"]
    # Counted until its route has returned, which may be just after the answer is read.
    assert wait_for(lambda: sv_emulator.faults.stalled == 0)


def test_a_stall_with_a_limit_goes_on_by_itself(sv_emulator: Emulator) -> None:
    sv_emulator.set_faults(["progress:stall:ms=300"])
    assert requests.get(f"{sv_emulator.upload_url}/progress?ref=x", timeout=30).text == "0"
    rule = sv_emulator.faults.to_json()[0]
    assert (rule["fired"], rule["holding"]) == (1, 0)  # still there: it let go by its limit


def test_a_stalled_upload_reads_nothing_of_its_body(sv_emulator: Emulator) -> None:
    """The client's body stops moving: the server has stopped reading. A socket that
    could take the whole body would prove nothing, so it is far bigger than any buffer."""
    sv_emulator.set_faults(["upload:stall"])
    total = 512 * 1024 * 1024
    taken: list[int] = [0]
    block = bytes(1024 * 1024)

    def body() -> Iterator[bytes]:
        while taken[0] < total:
            taken[0] += len(block)
            yield block

    answers: list[dict[str, Any]] = []
    sender = threading.Thread(
        target=lambda: answers.append(
            requests.post(sv_emulator.upload_url, data=body(), timeout=60).json()
        ),
        daemon=True,
    )
    sender.start()
    assert wait_for(lambda: sv_emulator.faults.to_json()[0]["fired"] == 1)
    assert wait_for(lambda: taken[0] > 0)
    assert sender.is_alive()
    assert taken[0] < total
    sv_emulator.clear_faults()
    sender.join(timeout=60)
    assert not sender.is_alive()
    assert taken[0] == total  # released: the server read it all...
    assert answers[0]["status"] == "error"  # ...and refused it: it came with no ticket


def test_control_endpoint(sv_emulator: Emulator) -> None:
    url = f"{sv_emulator.base_url}/_emulator/faults"
    r = requests.post(
        url, json={"rules": [{"route": "media", "kind": "drop", "seed": 1}]}, timeout=10
    )
    assert r.json()["rules"][0]["kind"] == "drop"
    answer = requests.get(url, timeout=10).json()
    assert answer["rules"][0]["route"] == "media"
    assert (answer["rules"][0]["holding"], answer["stalled"]) == (0, 0)
    r = requests.post(url, json=[{"route": "media", "kind": "boom"}], timeout=10)
    assert r.status_code == 400
    assert r.json()["error"] == 1000
    r = requests.post(url, data=b"{not json", timeout=10)
    assert r.json()["error"] == 1000
    assert requests.get(url, timeout=10).json()["rules"][0]["kind"] == "drop"  # unchanged
    assert requests.delete(url, timeout=10).json()["rules"] == []
    # The control endpoint itself is never faulted.
    sv_emulator.set_faults(["*:drop"])
    assert requests.get(url, timeout=10).json()["status"] == "success"


@pytest.mark.sv_emulator(faults=["initiate:api_10005:times=1"])
def test_faults_from_constructor(sv_emulator: Emulator) -> None:
    api = EmulatorAPI(sv_emulator)
    r = api.call("GET", "upload/initiate", "upload", "initiate")
    assert r.json()["error"] == 10005
    assert api.initiate()["ref"]
