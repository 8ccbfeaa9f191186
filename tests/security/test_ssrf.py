"""Server-side request forgery through ``remote_file``, end to end through the upload server.

No request of this module leaves loopback: the fetcher's resolver is replaced by a fake DNS
(names resolve only to what the table says; everything else does not exist) and its connect
function by a spy that records every address and refuses, *without connecting*, anything
that is not loopback. A guard failure therefore shows up as a recorded address, never as
traffic. Redirects come from a local 127.0.0.1 server.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import requests

from sv_widgets.emulator import Emulator
from sv_widgets.emulator.network import remote

from .conftest import expect_error

FAKE_DNS = {
    "loop.test": ["127.0.0.1"],
    "private.test": ["10.1.2.3"],
    "metadata-alias.test": ["169.254.169.254"],
    "rebind.test": ["127.0.0.1", "169.254.169.254"],
    "v6-linklocal.test": ["fe80::1"],
}


@pytest.fixture
def network(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[Any]]:
    """Fake DNS and a connect spy for the in-process emulator's fetcher."""
    seen: dict[str, list[Any]] = {"resolved": [], "connected": [], "refused": []}

    def resolve(host: str, port: int) -> list[str]:
        seen["resolved"].append(host)
        try:
            ipaddress.ip_address(host)
            return [host]
        except ValueError:
            pass
        if host in FAKE_DNS:
            return FAKE_DNS[host]
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known (fake DNS)")

    real_connect = remote._connect_socket

    def connect(address: Any, port: int, timeout: float) -> socket.socket:
        if not address.is_loopback:
            seen["refused"].append(address)
            raise OSError(f"test spy: refused to connect to {address}")
        seen["connected"].append(address)
        return real_connect(address, port, timeout)

    monkeypatch.setattr(remote, "_system_resolver", resolve)
    monkeypatch.setattr(remote, "_connect_socket", connect)
    return seen


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    clip = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 64

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path == "/redirect":
            self.send_response(int(q.get("status", "302")))
            self.send_header("Location", q["to"])
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif url.path.startswith("/chain/"):
            n = int(url.path.rsplit("/", 1)[1])
            self.send_response(302)
            self.send_header("Location", f"/chain/{n + 1}")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif url.path == "/clip.mp4":
            self.send_response(200)
            self.send_header("Content-Length", str(len(self.clip)))
            self.end_headers()
            self.wfile.write(self.clip)
        elif url.path == "/huge-length":
            self.send_response(200)
            self.send_header("Content-Length", str(10**12))
            self.end_headers()
            self.wfile.write(b"x" * 1024)
        elif url.path == "/endless":
            # No length, no end: stops only when the reader hangs up (bounded for safety).
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            deadline = time.monotonic() + 60
            sent = 0
            try:
                while time.monotonic() < deadline and sent < 256 * 2**20:
                    self.wfile.write(b"\x00" * 65536)
                    sent += 65536
            except OSError:
                pass
            self.close_connection = True
        else:
            self.send_error(404)


@pytest.fixture(scope="module")
def origin() -> Iterator[str]:
    """A local HTTP server on 127.0.0.1 (redirects, a clip, endless bodies)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def _remote_upload(alice: Any, url: str) -> tuple[dict[str, Any], requests.Response]:
    t = alice.initiate()
    r = requests.post(
        t["server"],
        params={"ref": t["ref"], "token": t["token"]},
        data={"remote_file": url},
        timeout=120,
    )
    return t, r


SCHEMES = [
    "file:///etc/passwd",
    "FILE:///etc/passwd",
    "file://localhost/etc/passwd",
    "gopher://127.0.0.1:70/_GET%20/",
    "ftp://127.0.0.1/clip.mp4",
    "data:video/mp4;base64,AAAAGGZ0eXBtcDQy",
    "dict://127.0.0.1:11211/stat",
    "ldap://127.0.0.1/",
    "jar:http://127.0.0.1/x.jar!/",
    "javascript:alert(1)",
    "//169.254.169.254/latest/meta-data/",
    "169.254.169.254/latest/meta-data/",
    " file:///etc/passwd",
]

TARGETS = [
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "https://169.254.169.254/",
    "http://169.254.169.254:80/",
    "http://[fd00:ec2::254]/latest/meta-data/",
    "http://100.100.100.200/latest/meta-data/",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://metadata.goog/",
    "http://instance-data/latest/",
    "http://169.254.0.1/",
    "http://[fe80::1]/",
    "http://[fe80::1%25eth0]/",
    "http://10.0.0.1/",
    "http://172.16.0.1/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",
    "http://[fc00::1]/",
    "http://[fec0::1]/",
    "http://0.0.0.0/",
    "http://0/",
    "http://[::]/",
    "http://224.0.0.1/",
    "http://255.255.255.255/",
    "http://2852039166/",  # 169.254.169.254 as one number
    "http://0xa9fea9fe/",
    "http://0251.0376.0251.0376/",
    "http://169.254.43518/",
    "http://0xa9.0xfe.0xa9.0xfe/",
    "http://[::ffff:169.254.169.254]/",
    "http://[::ffff:a9fe:a9fe]/",
    "http://[64:ff9b::a9fe:a9fe]/",
    "http://[2002:a9fe:a9fe::]/",
    "http://[::169.254.169.254]/",
    "http://evil@169.254.169.254/",
    "http://127.0.0.1@169.254.169.254/",
    "http://169.254.169.254\\@127.0.0.1/",
    "http://169.254.169.254%2f@127.0.0.1/",
    "http://private.test/",
    "http://metadata-alias.test/",
    "http://rebind.test/",
    "http://v6-linklocal.test/",
    "http://nowhere.test/",
]


@pytest.mark.parametrize("url", SCHEMES)
def test_other_schemes_are_refused(
    hostile: Emulator, alice: Any, network: dict[str, list[Any]], url: str
) -> None:
    _, r = _remote_upload(alice, url)
    expect_error(r, (10001, 10002))
    assert network["refused"] == []
    assert network["connected"] == []


@pytest.mark.parametrize("url", TARGETS)
def test_forbidden_targets_are_refused_without_a_connection(
    hostile: Emulator, alice: Any, network: dict[str, list[Any]], url: str
) -> None:
    _, r = _remote_upload(alice, url)
    body = expect_error(r, (10001, 10002))
    assert network["refused"] == [], f"the guard let {network['refused']} through to connect"
    assert network["connected"] == []
    assert "root:" not in body["message"]


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize(
    "to",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:169.254.169.254]/",
        "http://10.0.0.1/",
        "http://metadata.google.internal/",
        "http://rebind.test/",
        "file:///etc/passwd",
        "gopher://127.0.0.1:70/_x",
        "data:video/mp4;base64,AAAA",
        "//169.254.169.254/x",
    ],
)
def test_redirects_to_forbidden_targets_are_refused(
    hostile: Emulator,
    alice: Any,
    network: dict[str, list[Any]],
    origin: str,
    status: int,
    to: str,
) -> None:
    url = f"{origin}/redirect?status={status}&to={quote(to, safe='')}"
    t, r = _remote_upload(alice, url)
    expect_error(r, 10001)
    assert network["refused"] == []
    assert all(a.is_loopback for a in network["connected"])
    assert network["connected"]
    # The refused fetch did not spend the ticket.
    ok = requests.post(
        t["server"],
        params={"ref": t["ref"], "token": t["token"]},
        files={"file": ("a.mp4", b"retry")},
        timeout=30,
    ).json()
    assert ok["status"] == "success", ok


def test_endless_redirect_chain_is_cut(
    hostile: Emulator, alice: Any, network: dict[str, list[Any]], origin: str
) -> None:
    _, r = _remote_upload(alice, f"{origin}/chain/0")
    body = expect_error(r, 10001)
    assert "redirect" in body["message"].lower()
    assert len(network["connected"]) <= 7


def test_endless_body_is_cut_at_the_size_limit(
    hostile: Emulator, alice: Any, network: dict[str, list[Any]], origin: str
) -> None:
    assert hostile.data_dir is not None
    _, r = _remote_upload(alice, f"{origin}/endless")
    body = expect_error(r, (10001, 10006))
    assert "bytes" in body["message"] or "large" in body["message"]
    assert list((hostile.data_dir / "tmp").iterdir()) == []


def test_announced_huge_length_is_refused_up_front(
    hostile: Emulator, alice: Any, network: dict[str, list[Any]], origin: str
) -> None:
    _, r = _remote_upload(alice, f"{origin}/huge-length")
    expect_error(r, (10001, 10006))


def test_credentials_in_urls_are_not_echoed(
    hostile: Emulator, alice: Any, network: dict[str, list[Any]]
) -> None:
    _, r = _remote_upload(alice, "http://user:hunter2@169.254.169.254/x?X-Amz-Signature=SECRET1")
    expect_error(r, (10001, 10002))
    assert "hunter2" not in r.text
    assert "SECRET1" not in r.text
    _, r = _remote_upload(alice, "http://10.0.0.1/x?sig=SECRET2")
    expect_error(r, 10001)
    assert "SECRET2" not in r.text


def test_a_loopback_remote_upload_still_works(
    hostile: Emulator, alice: Any, network: dict[str, list[Any]], origin: str
) -> None:
    """The control: the same route fetches from an allowed (loopback) origin, by address and
    by a name resolving to loopback."""
    for url in (f"{origin}/clip.mp4", origin.replace("127.0.0.1", "loop.test") + "/clip.mp4"):
        _, r = _remote_upload(alice, url)
        out = r.json()
        assert out["status"] == "success", out
        assert hostile.data_dir is not None
        stored = next((hostile.data_dir / "files" / out["code"]).iterdir())
        assert stored.read_bytes() == _Handler.clip
    assert network["refused"] == []
