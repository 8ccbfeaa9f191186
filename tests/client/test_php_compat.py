"""Every Client method against an independent PHP stand-in of the service (tests/php/standin.php).

The stand-in reads requests as PHP does ($_REQUEST, base64_decode, json_decode, hash_hmac,
hash_equals, $_FILES) and logs what it verified, so these tests see the wire from the
service's side: methods, signed actions, expiries, form fields, bytes stored.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from sv_widgets.client import Client
from sv_widgets.client._polling import MAX_PAGE_WORKERS
from sv_widgets.errors import (
    FileAlreadyConverted,
    FileNotConverted,
    InvalidResponse,
    NotAuthorized,
    NotFound,
    ServiceNotAvailable,
    SpareVideosError,
)
from sv_widgets.models import FilePage
from sv_widgets.signing import sign

pytestmark = pytest.mark.php

STANDIN = Path(__file__).parents[1] / "php" / "standin.php"
# A public key whose JSON makes '+' and '/' appear in the token's base64.
PUBLIC = "pk>>>???>>>"
PRIVATE = "sk-standin-\u00e9"


def php_binary() -> str:
    found = shutil.which("php")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("php is required on CI (apt-get install php-cli)")
        pytest.skip("php is not installed")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class StandIn:
    base: str
    data: Path

    def client(self, **kw: Any) -> Client:
        kw.setdefault("backoff", 0.05)
        return Client(
            PUBLIC,
            kw.pop("private_key", PRIVATE),
            api_url=f"{self.base}/api/v1",
            thumbnail_url=f"{self.base}/thumbnail",
            **kw,
        )

    def log(self) -> list[dict[str, Any]]:
        text = requests.get(f"{self.base}/_standin/log", timeout=10).text
        return [json.loads(line) for line in text.splitlines() if line]

    def log_since(self, mark: int) -> list[dict[str, Any]]:
        return self.log()[mark:]

    def stored(self, code: str) -> dict[str, Any]:
        data: dict[str, Any] = requests.get(f"{self.base}/_standin/files/{code}", timeout=10).json()
        return data

    def faults(self, rules: dict[str, list[dict[str, Any]]]) -> None:
        requests.post(f"{self.base}/_standin/faults", json=rules, timeout=10).raise_for_status()


def start_standin(tmp: Path, **env: str) -> Iterator[StandIn]:
    php = php_binary()
    port = free_port()
    data = tmp / "standin"
    data.mkdir()
    (data / "sources").mkdir()
    environ = {
        **os.environ,
        "SV_STANDIN_DATA": str(data),
        "SV_STANDIN_PUBLIC": PUBLIC,
        "SV_STANDIN_PRIVATE": PRIVATE,
        "PHP_CLI_SERVER_WORKERS": "10",
        **env,
    }
    ini = ["-d", "upload_max_filesize=4G", "-d", "post_max_size=4G", "-d", "memory_limit=256M"]
    ini += ["-d", f"upload_tmp_dir={data}", "-d", "max_input_time=-1", "-d", "display_errors=0"]
    # PHP's errors go to a file a failing test can show; a fetch waits as long as its gate.
    ini += ["-d", "log_errors=1", "-d", f"error_log={data / 'php-errors.log'}"]
    ini += ["-d", "default_socket_timeout=600"]
    # `timeout` makes the server end by itself even if this test process is killed.
    watchdog = ["timeout", "1800"] if shutil.which("timeout") else []
    proc = subprocess.Popen(
        [*watchdog, php, *ini, "-S", f"127.0.0.1:{port}", str(STANDIN)],
        cwd=STANDIN.parent,
        env=environ,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                requests.get(f"{base}/_standin/log", timeout=1)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("the PHP stand-in did not start") from None
                time.sleep(0.05)
        yield StandIn(base, data)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def standin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StandIn]:
    yield from start_standin(tmp_path_factory.mktemp("php"))


@pytest.fixture(scope="module")
def client(standin: StandIn) -> Iterator[Client]:
    with standin.client() as c:
        yield c


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("media") / "clip.mp4"
    path.write_bytes(os.urandom(3 * 1024 * 1024 + 17))
    return path


@pytest.fixture(scope="module")
def converted(client: Client, video: Path) -> str:
    code = client.upload(video)
    assert client.convert(code) == code
    return code


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------- uploads


def test_tokens_carry_plus_and_slash() -> None:
    token = sign({"algo": "sha256", "public_key": PUBLIC, "expires": 1}, PRIVATE)
    assert "+" in token.split(".")[0]
    assert "/" in token.split(".")[0]


def test_initiate_signs_for_an_hour(standin: StandIn, client: Client) -> None:
    mark = len(standin.log())
    ticket = client.initiate_upload()
    assert ticket.server == f"{standin.base}/fileservers/upload"
    assert "+" in ticket.token  # the stand-in's upload tokens contain '+': it must survive
    (entry,) = standin.log_since(mark)
    assert (entry["verb"], entry["path"]) == ("GET", "/api/v1/upload/initiate")
    assert entry["signed"]["method"] == "upload"
    assert entry["signed"]["action"] == "initiate"
    assert 3590 <= entry["signed"]["expires"] - entry["time"] <= 3600
    assert entry["signed"]["algo"] == "sha256"


def test_upload_path_intact(standin: StandIn, client: Client, video: Path) -> None:
    calls: list[tuple[int, int]] = []
    mark = len(standin.log())
    code = client.upload(video, on_progress=lambda s, t: calls.append((s, t)))
    stored = standin.stored(code)
    assert stored["sha256"] == sha256(video.read_bytes())
    assert stored["name"] == "clip.mp4"
    total = video.stat().st_size
    assert calls[-1] == (total, total)
    assert calls.count((total, total)) == 1
    assert [s for s, _ in calls] == sorted({s for s, _ in calls})
    initiate, upload = standin.log_since(mark)
    assert initiate["path"] == "/api/v1/upload/initiate"
    assert upload["verb"] == "POST"
    assert sorted(upload["query"]) == ["ref", "token"]
    assert sorted(upload["post"]) == ["ref", "token"]
    assert upload["file"] == {"name": "clip.mp4", "type": "video/mp4", "size": total}


def test_upload_file_objects(standin: StandIn, client: Client) -> None:
    payload = os.urandom(200_000)
    buf = io.BytesIO(b"skip" + payload)
    buf.seek(4)  # uploads from the current position
    code = client.upload(buf)
    assert standin.stored(code)["sha256"] == sha256(payload)
    assert standin.stored(code)["name"] == "upload.bin"

    read_fd, write_fd = os.pipe()

    def feed() -> None:
        with os.fdopen(write_fd, "wb") as w:
            for i in range(0, len(payload), 4096):
                w.write(payload[i : i + 4096])

    threading.Thread(target=feed, daemon=True).start()
    calls: list[tuple[int, int]] = []
    with os.fdopen(read_fd, "rb") as pipe:
        code = client.upload(pipe, on_progress=lambda s, t: calls.append((s, t)))
    assert standin.stored(code)["sha256"] == sha256(payload)
    assert calls[-1] == (len(payload), len(payload))


def test_upload_empty_file(standin: StandIn, client: Client, tmp_path: Path) -> None:
    empty = tmp_path / "empty.mov"
    empty.write_bytes(b"")
    calls: list[tuple[int, int]] = []
    code = client.upload(empty, on_progress=lambda s, t: calls.append((s, t)))
    assert standin.stored(code)["size"] == 0
    assert calls == [(0, 0)]


def test_spent_ticket_is_refused_and_not_retried(standin: StandIn, client: Client) -> None:
    from sv_widgets.errors import UploadNotExecuted

    ticket = client.initiate_upload()
    client.upload(io.BytesIO(b"one"), ticket=ticket)
    mark = len(standin.log())
    with pytest.raises(UploadNotExecuted):
        client.upload(io.BytesIO(b"two"), ticket=ticket)
    assert [e["path"] for e in standin.log_since(mark)] == ["/fileservers/upload"]


def test_upload_remote_reports_progress(standin: StandIn, client: Client, video: Path) -> None:
    """The stand-in stops its source halfway until the client has reported a value between 0
    and 100: intermediate progress is an outcome to wait for, not a matter of timing."""
    source = standin.data / "sources" / "remote.mp4"
    shutil.copy(video, source)
    calls: list[tuple[float, int]] = []

    def on_progress(percent: float, total: int) -> None:
        calls.append((percent, total))
        if 0 < percent < 100:
            source.with_name("remote.mp4.open").touch()  # let the stand-in finish

    try:
        code = client.upload_remote(
            f"{standin.base}/_standin/sources/remote.mp4?gate=1",
            on_progress=on_progress,
            poll_interval=0.1,
        )
    except SpareVideosError as e:
        errors = standin.data / "php-errors.log"
        php = errors.read_text() if errors.exists() else "(none)"
        recent = [(x.get("path"), x.get("fault")) for x in standin.log()[-12:]]
        pytest.fail(f"{e}\nprogress seen: {calls}\nPHP errors: {php}\nlast requests: {recent}")
    assert standin.stored(code)["sha256"] == sha256(video.read_bytes())
    assert calls[-1] == (100, 100)
    assert any(0 < p < 100 for p, _ in calls), calls
    assert [p for p, _ in calls] == sorted({p for p, _ in calls})
    assert all(t == 100 for _, t in calls)


def test_upload_progress_of_an_unknown_ref(client: Client) -> None:
    ticket = client.initiate_upload()
    assert client.upload_progress(ticket) == 0.0


# --------------------------------------------------------------------------- files


def test_convert_signs_flags_as_booleans(standin: StandIn, client: Client, video: Path) -> None:
    code = client.upload(video)
    with pytest.raises(FileNotConverted):
        client.file_info(code)
    mark = len(standin.log())
    assert client.convert(code, sd_only=True) == code
    (entry,) = standin.log_since(mark)
    assert entry["signed"]["convert_sd_only"] is True
    assert entry["signed"]["convert_mp4_only"] is False
    assert entry["signed"]["file_code"] == code
    assert 25 <= entry["signed"]["expires"] - entry["time"] <= 30
    with pytest.raises(FileAlreadyConverted):
        client.convert(code)
    info = client.wait_for_conversion(code, timeout=5, poll=0.1)
    assert [r.height for r in info.streams.mp4] == [360, 480]


def test_file_info(standin: StandIn, client: Client, converted: str) -> None:
    info = client.file_info(converted)
    assert info.code == converted
    assert info.extension == "mp4"
    assert info.playtime == 15.5
    assert [r.label for r in info.streams.webm] == ["360", "480", "720"]
    assert info.streams.hls == f"{standin.base}/media/{converted}/hls/master.m3u8"
    assert info.raw["size"] == 3 * 1024 * 1024 + 17  # unknown field kept in raw
    assert client.fetch_bytes(info.streams.mp4[0].file) == f"media:{converted}/360.mp4".encode()


def test_thumbnails_and_set_thumbnail(standin: StandIn, client: Client, converted: str) -> None:
    thumbs = client.thumbnails(converted)
    assert len(thumbs) == 15
    assert [(t.height, t.number) for t in thumbs[:6]] == [(720, n) for n in range(5, 0, -1)] + [
        (480, 5)
    ]
    assert [t.file_name for t in thumbs if t.selected] == [f"{converted}_720_03.jpg"]
    assert client.thumbnail_image(converted).endswith(
        f"exact {converted}_720_03.jpg\xff\xd9".encode("latin-1")
    )

    mark = len(standin.log())
    client.set_thumbnail(converted, f"{converted}_480_02.jpg")
    (entry,) = standin.log_since(mark)
    assert (entry["verb"], entry["_method"]) == ("POST", "PUT")
    assert entry["signed"]["thumbnail"] == f"{converted}_480_02.jpg"
    assert [t.file_name for t in client.thumbnails(converted) if t.selected] == [
        f"{converted}_480_02.jpg"
    ]
    with pytest.raises(NotFound):
        client.set_thumbnail(converted, "nope.jpg")

    assert b"size 260 " + f"{converted}_480_02.jpg".encode() in client.thumbnail_image(
        converted, size=100
    )
    name = f"{converted}_360_01.jpg"
    assert b"size 300 " + name.encode() in client.thumbnail_image(converted, name, size=300)
    assert b"exact " + name.encode() in client.thumbnail_image(converted, name)
    with pytest.raises(NotFound):
        client.thumbnail_image(converted, "missing.jpg")


def test_list_iter_and_delete(tmp_path: Path) -> None:
    for standin in start_standin(tmp_path, SV_STANDIN_PAGE_SIZE="2"):
        client = standin.client()
        codes = [client.upload(io.BytesIO(bytes([i]) * 10)) for i in range(5)]
        page = client.list_files()
        assert (page.current_page, page.last_page, len(page.codes)) == (1, 3, 2)
        assert page.next_page_url == f"{standin.base}/api/v1/me/files?page=2"
        assert client.list_files(3).codes == (codes[4],)
        assert list(client.iter_files()) == codes

        mark = len(standin.log())
        with pytest.raises(NotFound, match="nope"):
            client.delete([codes[0], "nope"])
        assert list(client.iter_files()) == codes  # all or nothing
        client.delete(codes[:2])
        entry = standin.log_since(mark)[-1]
        assert (entry["verb"], entry["_method"]) == ("POST", "DELETE")
        assert entry["signed"]["codes"] == codes[:2]
        assert list(client.iter_files()) == codes[2:]
        with pytest.raises(NotFound):
            client.file_info(codes[0])


def test_paging_is_concurrent(tmp_path: Path) -> None:
    for standin in start_standin(
        tmp_path, SV_STANDIN_PAGE_SIZE="1", SV_STANDIN_LIST_DELAY_MS="100"
    ):
        client = standin.client()
        codes = [client.upload(io.BytesIO(b"x")) for _ in range(25)]
        # 25 pages: page 1, then 24 more eight at a time. Each later page waits at a barrier
        # that opens only when eight have arrived: fetched one by one, it would break.
        barrier = threading.Barrier(MAX_PAGE_WORKERS, timeout=60)
        list_files = client.list_files

        def gathered(page: int = 1, _barrier: Any = barrier, _list: Any = list_files) -> FilePage:
            if page > 1:
                _barrier.wait()
            result: FilePage = _list(page)
            return result

        setattr(client, "list_files", gathered)  # noqa: B010 - wrap this one client
        assert list(client.iter_files()) == codes
        assert not barrier.broken


# --------------------------------------------------------------------------- failures


def test_wrong_private_key_is_not_authorized(standin: StandIn) -> None:
    with pytest.raises(NotAuthorized, match="bad signature") as e:
        standin.client(private_key="wrong-key-marker").file_info("x")
    assert e.value.http_status == 401
    assert "wrong-key-marker" not in str(e.value) + repr(e.value)


def test_retries_honour_retry_after(
    standin: StandIn, client: Client, converted: str, client_waits: list[float | None]
) -> None:
    standin.faults({"/api/v1/me/file": [{"status": 503, "retry_after": "1"}, {"status": 502}]})
    mark = len(standin.log())
    assert client.file_info(converted).code == converted
    assert len(client_waits) == 2
    assert client_waits[0] is not None
    assert client_waits[0] >= 1.0  # the stand-in's Retry-After
    assert len(standin.log_since(mark)) == 3


def test_api_error_501_is_retried_then_raised(standin: StandIn, converted: str) -> None:
    body = json.dumps({"status": "error", "error": 501, "message": "Service not available"})
    standin.faults({"/api/v1/me/file": [{"status": 200, "body": body}] * 3})
    client = standin.client(retries=2)
    with pytest.raises(ServiceNotAvailable):
        client.file_info(converted)
    standin.faults({})


def test_upload_is_never_retried(standin: StandIn, client: Client) -> None:
    standin.faults({"/fileservers/upload": [{"status": 503}]})
    mark = len(standin.log())
    with pytest.raises(InvalidResponse, match="HTTP 503"):
        client.upload(io.BytesIO(b"data"))
    assert [e["path"] for e in standin.log_since(mark)] == [
        "/api/v1/upload/initiate",
        "/fileservers/upload",
    ]


def _rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/statm").exists(), reason="needs /proc (Linux)")
def test_large_upload_memory_stays_flat(standin: StandIn, client: Client, tmp_path: Path) -> None:
    import tracemalloc

    big = tmp_path / "big.mkv"
    size = 210 * 1024 * 1024 + 3
    with big.open("wb") as f:  # sparse: costs no disk until read
        f.truncate(size)
    peak_rss = [0]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.02):
            peak_rss[0] = max(peak_rss[0], _rss_bytes())

    calls: list[tuple[int, int]] = []
    baseline = _rss_bytes()
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    tracemalloc.start()
    try:
        code = client.upload(big, on_progress=lambda s, t: calls.append((s, t)))
        _, traced_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        stop.set()
        sampler.join()
    stored = standin.stored(code)
    assert stored["size"] == size
    zeros = hashlib.sha256()
    for _ in range(size // 2**20):
        zeros.update(bytes(2**20))
    zeros.update(bytes(size % 2**20))
    assert stored["sha256"] == zeros.hexdigest()
    assert calls[-1] == (size, size)
    assert calls == sorted(calls)
    growth = peak_rss[0] - baseline
    assert traced_peak < 16 * 2**20, f"traced peak {traced_peak / 2**20:.1f} MiB"
    assert growth < 64 * 2**20, f"RSS grew {growth / 2**20:.1f} MiB"
