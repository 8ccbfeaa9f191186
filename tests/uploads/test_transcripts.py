"""The kernel replays the recorded conversations the page replays (``js/test/transcripts``).

Each transcript is the page protocol as both ends see it. Node's ``js/test/replay.js`` holds
the real page to it; here the kernel's side is: the page's messages (with their buffers) go
to a real :class:`PageSession`, and the kernel must send every message the transcript says it
sends, and nothing else, before the rows reach the phases the transcript's ``traits`` show.
The service behind the session is a small stand-in that stores what reaches it (a relayed
body the kernel POSTs; a direct upload the transcript's ``browser`` answer says was stored).
Ticks are the kernel's clock, not the conversation, and are left out on both sides; the
stand-in reads a relayed chunk as soon as it arrives, so its ack comes before the page's next
message (on a real service it may come later, which the page's replay shows it takes).

Every message in every transcript is also held to the Python declaration: a page's parses,
a kernel's has exactly its declared fields.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from itertools import count
from pathlib import Path
from typing import Any

import pytest

from sv_widgets.models import FilePage, UploadTicket
from sv_widgets.uploads import UploadOptions
from sv_widgets.uploads._page_link import PageLink
from sv_widgets.uploads._protocol import KERNEL_MESSAGES, FromKernel, kernel_message, parse
from sv_widgets.uploads._relay import RelayStream
from sv_widgets.uploads._session import PageSession, SessionSettings

DIR = Path(__file__).resolve().parents[2] / "js" / "test" / "transcripts"
NAMES = sorted(p.name for p in DIR.glob("*.json"))
WAIT = 30.0
#: Transcripts of the page alone, each saying why (``kernel_replay``); every other one is
#: replayed by the kernel too.
PAGE_ONLY = {"refusals.json"}


def load(name: str) -> dict[str, Any]:
    transcript: dict[str, Any] = json.loads((DIR / name).read_text())
    return transcript


class Service:
    """What the session's client needs of the service: tickets, a listing, the relay's POST."""

    def __init__(self) -> None:
        self.codes: list[str] = []
        self.bodies: dict[str, bytes] = {}
        self._made = count(1)

    def initiate_upload(self, **_: Any) -> UploadTicket:
        return UploadTicket("http://127.0.0.1:8765/upload", "r1", "signed")

    def list_files(self, page: int = 1) -> FilePage:
        return FilePage(tuple(self.codes), 1, 1, None)

    def upload(self, stream: RelayStream, **_: Any) -> str:
        body = bytearray()
        while piece := stream.read(1 << 16):
            body += piece
        code = f"1700000000-Relay{next(self._made)}"
        self.codes.append(code)
        self.bodies[code] = bytes(body)
        return code

    def delete(self, codes: list[str]) -> None:
        self.codes = [c for c in self.codes if c not in codes]


class Kernel:
    """A session as the widget holds it, with what it sends kept in order."""

    def __init__(self, transcript: dict[str, Any]) -> None:
        relay = next((s["kernel"] for s in transcript["steps"] if _kind(s) == FromKernel.RELAY), {})
        self.service = Service()
        self.sent: list[dict[str, Any]] = []
        self.changed = threading.Condition()
        self.version = 0  # of what the session did, counted under `changed`
        secrets = (f"secret{n}" for n in count(1))
        self.session = PageSession(
            self.service,  # type: ignore[arg-type]
            UploadOptions(convert=False),
            self._send,
            SessionSettings(
                transport=lambda: transcript.get("traits", {}).get("transport", "auto"),
                chunk=lambda: relay.get("chunk", 4),
                window=lambda: relay.get("window", 1),
            ),
            submit=lambda fn, *a: threading.Thread(target=fn, args=a, daemon=True).start(),
            changed=self._changed,
            buffers_known=lambda ok: None,
            link=PageLink(self._send, new_secret=lambda: next(secrets)),
        )

    def _send(self, content: dict[str, Any], buffers: Any) -> None:
        if content["type"] != FromKernel.TICK:
            with self.changed:
                self.sent.append(content)
                self.version += 1
                self.changed.notify_all()

    def _changed(self) -> None:
        with self.changed:
            self.version += 1
            self.changed.notify_all()

    def wait(self, condition: Any, what: str) -> None:
        """Until ``condition()`` holds. It is asked without holding ``changed``: it may take
        the session's lock, which a row's thread holds while it reports a change."""
        deadline = time.monotonic() + WAIT
        while True:
            with self.changed:
                seen = self.version
            if condition():
                return
            with self.changed:
                left = deadline - time.monotonic()
                assert left > 0, what
                if self.version == seen:
                    self.changed.wait(left)

    def phases(self) -> dict[str, str]:
        with self.session.lock:
            return {
                r.id: "queued" if r.queued or r.state.phase == "idle" else r.state.phase
                for r in self.session.rows
            }

    def code_of(self, row: str) -> str:
        return next(r.state.file_code for r in self.session.rows if r.id == row)


def _kind(step: dict[str, Any]) -> str:
    return str(step.get("kernel", {}).get("type", ""))


def replay(transcript: dict[str, Any]) -> Kernel:
    kernel = Kernel(transcript)
    matched: list[int] = []
    acks = [s["kernel"] for s in transcript["steps"] if _kind(s) == FromKernel.ACK]

    def unmatched(message: dict[str, Any]) -> bool:
        return any(m == message and i not in matched for i, m in enumerate(kernel.sent))

    for n, step in enumerate(transcript["steps"]):
        where = f"step {n} {json.dumps(step)[:100]}"
        if "page" in step:
            buffers = [bytes.fromhex(h) for h in step.get("buffers", [])]
            notice = kernel.session.receive(step["page"], buffers)
            assert not notice, f"{where}: the kernel refused it: {notice}"
            if step["page"]["type"] == "chunk":  # the service reads at once: the ack follows
                ack = kernel_message(
                    FromKernel.ACK,
                    tid=step["page"]["tid"],
                    offset=step["page"]["offset"] + len(buffers[0]),
                )
                if ack in acks:
                    kernel.wait(lambda a=ack: a in kernel.sent, f"{where}: not acknowledged")
        elif "kernel" in step and _kind(step) != FromKernel.TICK:
            kernel.wait(lambda m=step["kernel"]: unmatched(m), f"{where}: the kernel never sent it")
            matched.append(
                next(
                    i for i, m in enumerate(kernel.sent) if m == step["kernel"] and i not in matched
                )
            )
        elif step.get("browser") == "answer" and step["status"] == 200:
            code = json.loads(step["body"]).get("code")  # the upload server stored the file
            kernel.service.codes.append(code)
        elif "traits" in step and "rows" in step["traits"]:
            rows = step["traits"]["rows"]
            wanted = {r["id"]: r["phase"] for r in rows}
            kernel.wait(lambda w=wanted: kernel.phases() == w, f"{where}: rows {kernel.phases()}")
            for r in rows:
                if "file_code" in r:
                    assert kernel.code_of(r["id"]) == r["file_code"], where
    with kernel.changed:
        extra = [m for i, m in enumerate(kernel.sent) if i not in matched]
    assert extra == [], "the kernel sent what the transcript does not list"
    return kernel


@pytest.fixture
def closing() -> Iterator[list[Kernel]]:
    kernels: list[Kernel] = []
    yield kernels
    for kernel in kernels:
        kernel.session.close()


def test_every_transcript_is_replayed_by_the_kernel_unless_it_says_why_not() -> None:
    marked = {name for name in NAMES if "kernel_replay" in load(name)}
    assert marked == PAGE_ONLY
    assert all(load(name)["kernel_replay"] for name in marked)
    assert len(NAMES) - len(marked) >= 9


@pytest.mark.parametrize("name", [n for n in NAMES if n not in PAGE_ONLY])
def test_the_kernel_replays_the_transcript(name: str, closing: list[Kernel]) -> None:
    transcript = load(name)
    kernel = replay(transcript)
    closing.append(kernel)
    # a relayed file is exactly the bytes the page sent
    sent = b"".join(
        bytes.fromhex(h)
        for s in transcript["steps"]
        if s.get("page", {}).get("type") == "chunk"
        for h in s["buffers"]
    )
    for body in kernel.service.bodies.values():
        assert body == sent


@pytest.mark.parametrize("name", NAMES)
def test_every_message_in_the_transcripts_is_the_declarations(name: str) -> None:
    for step in load(name)["steps"]:
        if "page" in step:
            buffers = [bytes.fromhex(h) for h in step.get("buffers", [])]
            message = parse(step["page"], buffers)
            assert set(step["page"]) - {"type"} == set(message.fields)
        if "kernel" in step:
            declared = KERNEL_MESSAGES[step["kernel"]["type"]]
            assert list(step["kernel"])[1:] == list(declared.field_names), step
