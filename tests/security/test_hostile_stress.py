"""Thousands of seeded hostile requests against one running emulator, from several threads.

Every request mixes hostile parts (tokens, verbs, ``_method`` overrides, parameters, paths,
bodies). None may succeed, none may get a 5xx or a non-JSON answer, each gets the code its
worst part calls for, nothing may be written outside the data directory, no exception may
reach the emulator's log, and afterwards a real upload and conversion still work.
"""

from __future__ import annotations

import json
import logging
import random
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from sv_widgets.emulator import Emulator

from .conftest import ALICE, ALICE_KEY, BOB, BOB_KEY, tree
from .test_hostile_paths import TRAVERSALS
from .test_hostile_tokens import API_ROUTES, HOSTILE, valid

pytestmark = pytest.mark.slow

REQUESTS = 3000
THREADS = 4
SEED = 20261129
ANY_ERROR = (401, 403, 404, 1000, 10000, 10001, 10002, 10006)

HOSTILE_VALUES: list[Any] = [
    *TRAVERSALS[:30],
    "",
    " ",
    "\x00",
    "1-abcdef",
    "9" * 40,
    "-1",
    "0",
    "null",
    "[]",
    "{}",
    '["../../x"]',
    "\u202e",
    "a" * 3000,
    "%",
    "&token=",
]


def _verb_and_form(rng: random.Random, route: Any) -> tuple[str, dict[str, str]]:
    verb, _, form, _ = route
    form = dict(form or {})
    if rng.random() < 0.2:
        verb = rng.choice(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
    if rng.random() < 0.2:
        form["_method"] = rng.choice(["GET", "PATCH", "x" * 100, "", "DELETE", "PUT", "\x00"])
    return verb, form


def generate(rng: random.Random, base: str, codes: dict[str, str]) -> Iterator[dict[str, Any]]:
    """Requests as ``requests.request`` kwargs plus ``expect`` (allowed error codes)."""
    while True:
        kind = rng.random()
        if kind < 0.45:  # a hostile token on an API route
            route = rng.choice(API_ROUTES)
            verb, form = _verb_and_form(rng, route)
            label, token = rng.choice(HOSTILE)
            where = rng.choice(["params", "data"]) if verb != "GET" else "params"
            req: dict[str, Any] = {"method": verb, "url": base + route[1], "params": {}}
            req["data"] = form
            req[where]["token"] = token
            for _ in range(rng.randrange(3)):
                name = rng.choice(["file_code", "codes", "page", "thumbnail", "ref"])
                req["params"][name] = rng.choice(HOSTILE_VALUES)
            # Verification fails before anything else is looked at, except the verb check.
            yield {**req, "expect": (401, 1000), "label": f"token:{label}"}
        elif kind < 0.6:  # a valid token for another call
            route = rng.choice(API_ROUTES)
            others = [r[3] for r in API_ROUTES if r[3] != route[3]]
            token = valid(*rng.choice(others), file_code=codes["bob"], codes=[codes["bob"]])
            verb, form = _verb_and_form(rng, route)
            yield {
                "method": verb,
                "url": base + route[1],
                "params": {"token": token},
                "data": form,
                "expect": (403, 1000),
                "label": "wrong action",
            }
        elif kind < 0.75:  # the right token with hostile parameters or someone else's file
            route = rng.choice(API_ROUTES)
            verb, _, route_form, action = route
            form = dict(route_form or {})
            value = rng.choice([*HOSTILE_VALUES, codes["bob"], [codes["bob"]], 5, None, True])
            fields = {"file_code": value, "codes": value, "thumbnail": value}
            if action == ("files", "get"):
                yield {
                    "method": verb,
                    "url": base + route[1],
                    "params": {"token": valid(*action), "page": rng.choice(HOSTILE_VALUES[:40])},
                    "data": form,
                    "expect": (1000,),
                    "label": "bad page",
                    "ok_if_page": True,
                }
                continue
            if action == ("upload", "initiate"):
                continue  # a right initiate token is a legitimate request
            yield {
                "method": verb,
                "url": base + route[1],
                "params": {"token": valid(*action, **fields)},
                "data": form,
                "expect": (403, 404, 1000),
                "label": f"hostile field {str(value)[:20]!r}",
            }
        elif kind < 0.9:  # hostile paths on the unsigned routes
            code = rng.choice([codes["alice"], "1-abcdef", rng.choice(TRAVERSALS)])
            evil = rng.choice(TRAVERSALS)
            path = rng.choice(
                [
                    f"/thumbnail/{code if code != codes['alice'] else evil}/json/list",
                    f"/thumbnail/{code}/exact/{evil}",
                    f"/thumbnail/{code}/{rng.choice(['0', '-1', '9' * 30, '300'])}/{evil}",
                    f"/media/{code}/{evil}",
                    f"/media/{code}/mp4/{evil}",
                    f"/{evil}/{code}",
                ]
            )
            yield {
                "method": rng.choice(["GET", "GET", "GET", "POST", "DELETE"]),
                "url": base + path.replace("?", "%3F").replace("#", "%23"),
                "expect": (404, 1000),
                "label": "path",
            }
        else:  # the upload server with hostile tokens and bodies
            label, token = rng.choice(HOSTILE[:-3])  # not the megabyte ones: body limits
            body: dict[str, Any] = rng.choice(
                [
                    {"files": {"file": ("../../x.mp4", b"x")}},
                    {"data": {"remote_file": "http://169.254.169.254/"}},
                    {
                        "data": b"--b\r\n" + rng.randbytes(200),
                        "headers": {"Content-Type": "multipart/form-data; boundary=b"},
                    },
                    {
                        "data": rng.randbytes(100),
                        "headers": {"Content-Type": "application/octet-stream"},
                    },
                ]
            )
            yield {
                "method": "POST",
                "url": base + "/fileservers/upload",
                "params": {"ref": rng.choice(HOSTILE_VALUES), "token": token},
                **body,
                "expect": (401, 10002),
                "label": f"upload:{label}",
            }


def _check(r: requests.Response, spec: dict[str, Any]) -> str | None:
    """``None`` if the answer is right, else what was wrong."""
    if r.status_code >= 500:
        return f"{r.status_code} {r.text[:200]}"
    if spec["method"] == "HEAD":
        return None
    if not r.headers.get("content-type", "").startswith("application/json"):
        return f"not JSON: {r.status_code} {r.headers.get('content-type')} {r.text[:100]}"
    body = r.json()
    if spec.get("ok_if_page") and body.get("status") == "success":
        return None if body["codes"] == [] or body["currentPage"] == 1 else f"page: {body}"
    if body.get("status") != "error":
        return f"accepted: {json.dumps(body)[:200]}"
    if body.get("error") not in spec["expect"]:
        return f"code {body.get('error')} not in {spec['expect']}: {body.get('message')}"
    return None


def test_thousands_of_hostile_requests(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, tiny_clip: Path
) -> None:
    caplog.set_level(logging.WARNING)
    (tmp_path / "canary.txt").write_text("outside the data dir")
    data_dir = tmp_path / "data"
    with Emulator(data_dir=data_dir, accounts={ALICE: ALICE_KEY, BOB: BOB_KEY}) as emu:
        client = emu.client(ALICE)
        bob = emu.client(BOB)
        codes = {"alice": client.upload(tiny_clip), "bob": bob.upload(tiny_clip)}
        for c, who in ((codes["alice"], client), (codes["bob"], bob)):
            who.convert(c)
            who.wait_for_conversion(c, timeout=120)
        before = tree(data_dir)
        rng = random.Random(SEED)
        specs = []
        for spec in generate(rng, emu.base_url, codes):
            specs.append(spec)
            if len(specs) >= REQUESTS:
                break
        problems: list[str] = []
        lock = threading.Lock()

        def worker(chunk: list[dict[str, Any]]) -> None:
            with requests.Session() as s:
                s.headers["Connection"] = "close"  # see test_keep_alive_answers_are_not_delayed
                for spec in chunk:
                    kwargs = {
                        k: v for k, v in spec.items() if k not in ("expect", "label", "ok_if_page")
                    }
                    try:
                        r = s.request(timeout=30, **kwargs)
                        wrong = _check(r, spec)
                    except requests.RequestException as exc:
                        wrong = f"no answer: {exc!r}"[:300]
                    if wrong:
                        with lock:
                            problems.append(
                                f"{spec['label']} {spec['method']} {spec['url'][:120]}: {wrong}"
                            )

        threads = [
            threading.Thread(target=worker, args=(specs[i::THREADS],)) for i in range(THREADS)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(600)
            assert not t.is_alive(), "a worker hung"
        assert not problems, f"{len(problems)} of {len(specs)} wrong, e.g.:\n" + "\n".join(
            problems[:15]
        )

        # Nothing written beyond what the legitimate set-up wrote (no new files at all:
        # every hostile upload was refused), nothing outside the data directory.
        assert tree(data_dir) - before <= {"tmp"}, tree(data_dir) - before
        assert sorted(p.name for p in tmp_path.iterdir()) == ["canary.txt", "data"]
        # Still serving for real: an upload, its conversion, its media.
        code = client.upload(tiny_clip)
        client.convert(code)
        info = client.wait_for_conversion(code, timeout=120)
        assert client.fetch_bytes(info.streams.mp4[0].file)[4:8] == b"ftyp"
        client.delete([code])
        client.close()
        bob.close()
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors[:5]]
