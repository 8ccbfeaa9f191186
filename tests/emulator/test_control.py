"""The emulator as a test service: reset, conversion modes, the control routes and token, the
pytest fixtures, and the command line that sets them up."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import av
import pytest
import requests
from PIL import Image

from sv_widgets import signing
from sv_widgets.emulator import Emulator, EmulatorProcess
from sv_widgets.emulator.__main__ import build_parser
from tests.helpers.api import EmulatorAPI

ME, MY_KEY = "me", "my-private-key"
YOU, YOUR_KEY = "you", "your-private-key"


# The emulators these tests need, from the plugin's sv_emulator_isolated (the ``emu`` fixture).
FAST = pytest.mark.sv_emulator(accounts={ME: MY_KEY}, conversions="fast")
MANUAL = pytest.mark.sv_emulator(accounts={ME: MY_KEY, YOU: YOUR_KEY}, conversions="manual")


def control(emu: Emulator, verb: str, route: str, **kwargs: Any) -> requests.Response:
    return requests.request(verb, f"{emu.base_url}/_emulator/{route}", timeout=30, **kwargs)


def converted(api: EmulatorAPI, content: bytes = b"any bytes at all", **flags: Any) -> str:
    code = api.upload(content)
    assert api.convert(code, **flags)["status"] == "success"
    assert api.wait_ready(code)["status"] == "success"
    return code


# ---------------------------------------------------------------------------- reset
@FAST
def test_reset_forgets_files_tickets_conversions_and_faults(emu: Emulator) -> None:
    api = EmulatorAPI(emu, ME)
    code = converted(api)
    ticket = api.initiate()
    thumbs = requests.get(f"{emu.thumbnail_url}/{code}/json/list", timeout=10).json()
    media = api.info(code)["streams"]["mp4"][0]["file"]
    emu.set_faults(["thumbnail:latency:ms=1"])

    removed = control(emu, "POST", "reset").json()
    assert removed["status"] == "success"
    assert removed["removed"]["files"] >= 1
    assert removed["removed"]["tickets"] >= 2
    assert api.info(code)["error"] == 404
    assert api.call("GET", "me/files", "files", "get").json()["codes"] == []
    assert requests.get(f"{emu.thumbnail_url}/{code}/json/list", timeout=10).status_code == 404
    assert requests.get(media, timeout=10).status_code == 404
    assert thumbs  # there was something to forget
    late = requests.post(
        ticket["server"],
        params={"ref": ticket["ref"], "token": ticket["token"]},
        files={"file": ("x.mp4", b"late")},
        timeout=30,
    ).json()
    assert late["error"] == 10000
    assert control(emu, "GET", "faults").json()["rules"] == []
    assert control(emu, "GET", "conversions").json()["conversions"] == []
    assert emu.data_dir is not None
    assert not any((emu.data_dir / "files").iterdir())
    # accounts kept: a signed call still works and new files start from nothing
    assert api.call("GET", "me/files", "files", "get").json()["status"] == "success"
    assert api.upload(b"after") in api.call("GET", "me/files", "files", "get").json()["codes"]
    assert emu.reset()["files"] == 1


def test_reset_with_accounts_drops_those_not_given_at_start(tmp_path: Path) -> None:
    with Emulator(data_dir=tmp_path, accounts={ME: MY_KEY, YOU: YOUR_KEY}):
        pass
    with Emulator(data_dir=tmp_path, accounts={ME: MY_KEY}) as emu:
        assert set(emu.accounts) == {ME, YOU}  # the data directory remembers YOU
        yours = EmulatorAPI(emu, YOU)
        yours.upload(b"x")
        assert emu.reset()["accounts"] == 0
        assert set(emu.accounts) == {ME, YOU}
        body = control(emu, "POST", "reset", params={"accounts": "1"}).json()
        assert body["removed"]["accounts"] == 1
        assert set(emu.accounts) == {ME}
        token = signing.sign(
            {"public_key": YOU, "method": "files", "action": "get", "expires": 2**31 - 1}, YOUR_KEY
        )
        gone = requests.get(f"{emu.api_url}/me/files", params={"token": token}, timeout=10)
        assert gone.json()["error"] == 401
        assert EmulatorAPI(emu, ME).call("GET", "me/files", "files", "get").json()["codes"] == []


@FAST
def test_requests_during_resets_see_the_old_world_or_the_new_never_a_5xx(emu: Emulator) -> None:
    api = EmulatorAPI(emu, ME)
    stop = threading.Event()
    answers: list[tuple[str, int, Any]] = []
    lock = threading.Lock()

    def work(kind: str) -> None:
        session = requests.Session()
        while not stop.is_set():
            if kind == "upload":
                ticket = api.call("GET", "upload/initiate", "upload", "initiate")
                replies = [ticket]
                t = ticket.json()
                replies.append(
                    session.post(
                        t["server"],
                        params={"ref": t["ref"], "token": t["token"]},
                        files={"file": ("clip.mp4", b"bytes")},
                        timeout=30,
                    )
                )
            elif kind == "list":
                replies = [api.call("GET", "me/files", "files", "get")]
            else:
                replies = []
                _media_until_gone(api, session, stop, lambda r: record(kind, [r]))
            record(kind, replies)

    def record(kind: str, replies: list[requests.Response]) -> None:
        with lock:
            answers.extend((kind, r.status_code, _json(r)) for r in replies)

    kinds = ("upload", "list", "media")
    threads = [threading.Thread(target=work, args=(k,)) for k in kinds]
    for t in threads:
        t.start()

    def served() -> dict[str, int]:
        with lock:
            return {k: sum(1 for a in answers if a[0] == k and a[1] == 200) for k in kinds}

    try:
        for _ in range(8):  # each reset lands while every kind of request has been answered
            before = served()
            deadline = time.monotonic() + 120
            while not all(n > before[k] for k, n in served().items()):
                assert time.monotonic() < deadline, served()
                time.sleep(0.01)
            assert control(emu, "POST", "reset").status_code == 200
    finally:
        stop.set()
        for t in threads:
            t.join(60)
    assert {kind for kind, status, _ in answers if status == 200} == {"upload", "list", "media"}
    for kind, status, body in answers:
        assert status < 500, (kind, status, body)
        assert isinstance(body, dict), (kind, body)
        if body.get("status") == "error":
            assert body["error"] in (404, 10000), (kind, body)


def _media_until_gone(
    api: EmulatorAPI,
    session: requests.Session,
    stop: threading.Event,
    record: Callable[[requests.Response], None],
) -> None:
    """Convert a file, then download its MP4 until a reset takes it (whole bytes or 404)."""
    try:
        url = api.info(converted(api))["streams"]["mp4"][0]["file"]
    except (AssertionError, KeyError):  # a reset took the file while it was being made
        return
    while not stop.is_set():
        r = session.get(url, timeout=30)
        record(r)
        if r.status_code != 200:
            return
        assert len(r.content) == int(r.headers["content-length"]) > 0


def _json(r: requests.Response) -> Any:
    if r.headers.get("content-type", "").startswith("video/"):
        return {"status": "media"}
    return r.json()


# ---------------------------------------------------------------------------- manual
@MANUAL
def test_manual_conversions_wait_until_told(emu: Emulator) -> None:
    api = EmulatorAPI(emu, ME)
    code = api.upload(b"whatever")
    assert api.convert(code)["status"] == "success"
    waiting = api.info(code)
    assert waiting["error"] == 100030
    assert waiting["progress"] == 0
    listed = {c["code"]: c for c in emu.list_conversions()}
    assert listed[code]["state"] == "queued"
    assert listed[code]["owner"] == ME

    r = control(emu, "POST", f"conversions/{code}", json={"progress": 40})
    assert r.json()["conversion"]["state"] == "converting"
    during = api.info(code)
    assert during["error"] == 100030
    assert during["progress"] == 40
    assert "in progress (40%)" in during["message"]
    assert api.convert(code)["error"] == 100031
    listed = {c["code"]: c for c in control(emu, "GET", "conversions").json()["conversions"]}
    assert listed[code]["progress"] == 40

    done = control(emu, "POST", f"conversions/{code}", json={"state": "ready"}).json()
    assert done["conversion"]["state"] == "ready"
    info = api.info(code)
    assert info["status"] == "success"
    assert [r["label"] for r in info["streams"]["mp4"]] == ["360", "480", "720"]
    assert api.convert(code)["error"] == 100031


@MANUAL
def test_manual_failure_answers_10001_with_the_reason(emu: Emulator) -> None:
    api = EmulatorAPI(emu, ME)
    code = api.upload(b"whatever")
    api.convert(code)
    changed = emu.set_conversion(code, state="failed", reason="not a video: it is a text file")
    assert changed["state"] == "failed"
    body = api.info(code)
    assert body["error"] == 10001
    assert "not a video: it is a text file" in body["message"]
    again = control(emu, "POST", f"conversions/{code}", json={"state": "ready"}).json()
    assert again["error"] == 1000  # nothing waits any more


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"progress": 101}, 1000),
        ({"progress": "40"}, 1000),
        ({"progress": True}, 1000),
        ({"state": "done"}, 1000),
        ({"reason": "x"}, 1000),
        ({"state": "ready", "reason": "x"}, 1000),
        ({"colour": "red"}, 1000),
        ([], 1000),
        ({}, 1000),
    ],
)
@MANUAL
def test_manual_control_refuses_bad_bodies(emu: Emulator, body: Any, error: int) -> None:
    api = EmulatorAPI(emu, ME)
    code = api.upload(b"whatever")
    api.convert(code)
    r = control(emu, "POST", f"conversions/{code}", json=body)
    assert r.json()["error"] == error
    assert api.info(code)["progress"] == 0  # unchanged


@MANUAL
def test_manual_control_of_unknown_or_unrequested_files(emu: Emulator) -> None:
    api = EmulatorAPI(emu, ME)
    assert control(emu, "POST", "conversions/1-NOPE00", json={"progress": 1}).json()["error"] == 404
    code = api.upload(b"not asked to convert")
    assert control(emu, "POST", f"conversions/{code}", json={"progress": 1}).json()["error"] == 1000
    assert control(emu, "POST", f"conversions/{code}", data=b"{not json").json()["error"] == 1000


@FAST
def test_set_conversion_needs_manual_mode(emu: Emulator) -> None:
    code = EmulatorAPI(emu, ME).upload(b"x")
    r = control(emu, "POST", f"conversions/{code}", json={"progress": 10})
    assert r.json()["error"] == 1000
    assert "not manual" in r.json()["message"]


# ---------------------------------------------------------------------------- fast
@FAST
def test_fast_outputs_are_valid_media(emu: Emulator, tmp_path: Path) -> None:
    api = EmulatorAPI(emu, ME)
    code = converted(api, b"not even a video")
    info = api.info(code)
    assert set(info) == {"status", "extension", "playtime", "thumbnail", "streams"}
    assert info["playtime"] > 0
    assert set(info["streams"]) == {"mp4", "webm", "hls", "mpd"}
    for rendition in info["streams"]["mp4"]:
        clip = tmp_path / f"{rendition['label']}.mp4"
        clip.write_bytes(requests.get(rendition["file"], timeout=30).content)
        with av.open(str(clip)) as container:
            frames = list(container.decode(video=0))
        assert frames
        assert frames[0].height == int(rendition["label"])
    listing = requests.get(f"{emu.thumbnail_url}/{code}/json/list", timeout=10).json()
    assert len(listing) == 15
    for key, name in listing.items():
        height = int(key.split(".")[0])
        assert name.startswith(f"{code}_{height}_")
        jpeg = requests.get(f"{emu.thumbnail_url}/{code}/exact/{name}", timeout=10).content
        with Image.open(io.BytesIO(jpeg)) as image:
            assert image.format == "JPEG"
            assert image.height == height


@FAST
def test_fast_hls_lists_segments_that_exist(emu: Emulator) -> None:
    api = EmulatorAPI(emu, ME)
    info = api.info(converted(api))
    master_url = info["streams"]["hls"]["file"]
    variants = _uris(requests.get(master_url, timeout=10).text)
    assert len(variants) == 3
    for variant in variants:
        playlist_url = requests.compat.urljoin(master_url, variant)
        segments = _uris(requests.get(playlist_url, timeout=10).text)
        assert segments
        for segment in segments:
            r = requests.get(requests.compat.urljoin(playlist_url, segment), timeout=10)
            assert r.status_code == 200
            assert r.content[:1] == b"\x47"  # MPEG-TS sync byte


@FAST
def test_fast_dash_manifest_parses(emu: Emulator) -> None:
    api = EmulatorAPI(emu, ME)
    mpd_url = api.info(converted(api))["streams"]["mpd"]["file"]
    root = ElementTree.fromstring(requests.get(mpd_url, timeout=10).content)
    ns = {"m": "urn:mpeg:dash:schema:mpd:2011"}
    representations = root.findall(".//m:Representation", ns)
    assert {r.get("height") for r in representations} >= {"360", "480", "720"}
    init = requests.compat.urljoin(mpd_url, "init-0.m4s")
    assert requests.get(init, timeout=10).status_code == 200


@FAST
def test_fast_honours_sd_only_and_mp4_only(emu: Emulator) -> None:
    api = EmulatorAPI(emu, ME)
    sd = api.info(converted(api, convert_sd_only=True))
    assert [r["label"] for r in sd["streams"]["mp4"]] == ["360", "480"]
    master = requests.get(sd["streams"]["hls"]["file"], timeout=10).text
    assert "720" not in master
    mp4 = api.info(converted(api, convert_mp4_only=True))
    assert set(mp4["streams"]) == {"mp4"}


def _uris(playlist: str) -> list[str]:
    return [line for line in playlist.splitlines() if line and not line.startswith("#")]


# ---------------------------------------------------------------------------- control token
def test_control_token_is_required_when_given() -> None:
    with Emulator(control_token="s3cret", conversions="manual") as emu:
        assert control(emu, "GET", "faults").json()["error"] == 401
        assert control(emu, "POST", "reset").json()["error"] == 401
        wrong = {"Authorization": "Bearer nope"}
        assert control(emu, "GET", "conversions", headers=wrong).status_code == 401
        right = {"Authorization": "Bearer s3cret"}
        assert control(emu, "GET", "faults", headers=right).json()["status"] == "success"
        assert control(emu, "POST", "reset", headers=right).json()["status"] == "success"
        assert emu.reset()["files"] == 0  # the Python side needs no token


def test_control_routes_refused_on_a_non_loopback_bind_without_a_token() -> None:
    with Emulator(host="0.0.0.0") as emu:  # reached here through 127.0.0.1
        for verb, route in [("GET", "faults"), ("POST", "reset"), ("GET", "conversions")]:
            r = control(emu, verb, route)
            assert r.status_code == 403
            assert "--control-token" in r.json()["message"]
        code = EmulatorAPI(emu).upload(b"kept")  # the API itself still works
        assert EmulatorAPI(emu).call("GET", "me/files", "files", "get").json()["codes"] == [code]
    with Emulator(host="0.0.0.0", control_token="t0k") as emu:
        ok = control(emu, "GET", "faults", headers={"Authorization": "Bearer t0k"})
        assert ok.json()["status"] == "success"


# ---------------------------------------------------------------------------- CLI, keywords
def test_cli_options() -> None:
    args = build_parser().parse_args(
        ["--conversions", "manual", "--control-token", "t", "--no-cors"]
    )
    assert (args.conversions, args.control_token, args.cors) == ("manual", "t", False)
    defaults = build_parser().parse_args([])
    assert (defaults.conversions, defaults.control_token, defaults.cors) == ("real", None, True)
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--conversions", "instant"])


def test_keywords_are_checked() -> None:
    with pytest.raises(ValueError, match="conversions must be one of real, fast, manual"):
        Emulator(conversions="instant")
    with pytest.raises(ValueError, match="control_token"):
        Emulator(control_token="")


def test_emulator_process_runs_the_cli(tmp_path: Path) -> None:
    with EmulatorProcess(
        tmp_path, accounts={ME: MY_KEY}, options=["--conversions", "fast"], control_token="tk"
    ) as emu:
        client = emu.client()
        code = client.upload(io.BytesIO(b"bytes"))
        client.convert(code)
        assert client.wait_for_conversion(code, timeout=120, poll=0.1).playtime > 0
        emu.set_faults(["thumbnail:latency:ms=1"])
        assert emu.reset()["files"] == 1
        assert client.list_files().codes == ()
        assert emu.running
        child = emu.proc
    assert not emu.running
    assert child is not None
    assert child.returncode == 0  # stopped by SIGTERM, cleanly


def test_emulator_process_says_how_its_child_ended() -> None:
    with EmulatorProcess(accounts={ME: MY_KEY}, options=["--conversions", "fast"]) as emu:
        assert emu.ended == ""  # running
        assert emu.proc is not None
        emu.proc.send_signal(signal.SIGKILL)
        emu.proc.wait(30)
        assert emu.ended == "killed by signal 9"
        assert not emu.running


def test_emulator_process_keeps_private_keys_off_the_command_line() -> None:
    with EmulatorProcess(accounts={ME: MY_KEY}, options=["--conversions", "fast"]) as emu:
        cmdline = Path(f"/proc/{emu.pid}/cmdline").read_bytes().decode()
        assert "--accounts-from-stdin" in cmdline
        assert MY_KEY not in cmdline
        assert emu.client().list_files().codes == ()  # the key reached the child all the same


# A parent that starts an emulator child, says where it serves, and waits to be killed; when
# interrupted, it says whether its child still answers.
_PARENT = """
import time
from sv_widgets.emulator import EmulatorProcess
emu = EmulatorProcess(accounts={"me": "my-private-key"}, options=["--conversions", "fast"])
emu.start()
try:  # the line is printed inside: an interrupt right after it is still this one's
    print(emu.pid, emu.api_url, flush=True)
    time.sleep(600)
except KeyboardInterrupt:
    print("interrupted; the emulator answers:", len(emu.client().list_files().codes), flush=True)
"""


def _start_parent(tmp_path: Path) -> tuple[subprocess.Popen[str], int, str]:
    parent = subprocess.Popen(
        [sys.executable, "-c", _PARENT],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "TMPDIR": str(tmp_path)},  # the child's temp data dir goes here
        start_new_session=True,  # its own group: the signals below reach no one else
    )
    assert parent.stdout is not None
    pid, api_url = parent.stdout.readline().split()
    return parent, int(pid), api_url


def _wait_gone(pid: int, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def test_an_emulator_child_ends_with_its_parent_even_a_killed_one(tmp_path: Path) -> None:
    parent, child, _ = _start_parent(tmp_path)
    with parent:
        assert list(tmp_path.glob("sv-emulator-*"))
        parent.kill()  # SIGKILL: no atexit, no stop(); the child's stdin closes with the parent
    assert _wait_gone(child)
    assert not list(tmp_path.glob("sv-emulator-*"))  # it removed its temporary data


def test_an_interrupt_of_the_parents_group_does_not_reach_the_emulator(tmp_path: Path) -> None:
    parent, child, _ = _start_parent(tmp_path)
    with parent:
        assert parent.stdout is not None
        os.killpg(parent.pid, signal.SIGINT)  # what a kernel's Interrupt sends to its group
        assert parent.stdout.readline() == "interrupted; the emulator answers: 0\n"
    # the parent has ended since, so the child stops by itself and removes its data
    assert _wait_gone(child)
    assert not list(tmp_path.glob("sv-emulator-*"))


@pytest.mark.parametrize("line", ["not json", "[1, 2]", '{"me": ""}', ""])
def test_accounts_from_stdin_refuses_anything_but_one_json_object(line: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "sv_widgets.emulator", "--port", "0", "--accounts-from-stdin"],
        input=line + "\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert 'expected one line {"PUBLIC": "PRIVATE", ...} on standard input' in done.stderr


# ---------------------------------------------------------------------------- fixtures
def test_isolated_fixture_resets_one_emulator_between_tests(tmp_path: Path) -> None:
    (tmp_path / "test_user.py").write_text(
        textwrap.dedent(
            """
            import io
            import pytest

            seen = []

            def test_first(sv_emulator_isolated):
                client = sv_emulator_isolated.client()
                client.upload(io.BytesIO(b"first"))
                sv_emulator_isolated.set_faults(["thumbnail:latency:ms=1"])
                seen.append(sv_emulator_isolated)

            def test_second_sees_nothing_of_the_first(sv_emulator_isolated):
                assert sv_emulator_isolated is seen[0]
                assert sv_emulator_isolated.client().list_files().codes == ()
                assert sv_emulator_isolated.faults.to_json() == []

            @pytest.mark.sv_emulator(conversions="manual", faults=["media:latency:ms=1"])
            def test_marker_configures_its_own(sv_emulator_isolated):
                assert sv_emulator_isolated is not seen[0]
                assert sv_emulator_isolated.conversions == "manual"
                assert [r["route"] for r in sv_emulator_isolated.faults.to_json()] == ["media"]
            """
        )
    )
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_user.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    assert "3 passed" in run.stdout
