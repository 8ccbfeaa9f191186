"""The emulated service's domain: accounts, tickets, uploads, conversions, listing, deletion.

Everything here speaks in API terms and raises :class:`ServiceError` carrying the API's error
code; ``http/app.py`` turns those into JSON. Nothing here knows about HTTP.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import string
import threading
import time
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sv_widgets import signing
from sv_widgets.emulator.domain import catalog
from sv_widgets.emulator.domain.conversions import (
    ConversionJob,
    ConversionPool,
    Converter,
    ManualConversions,
)
from sv_widgets.emulator.domain.errors import ServiceError
from sv_widgets.emulator.domain.store import FileRecord, Store, fsync_dir
from sv_widgets.wire import is_file_code

__all__ = ["SpareVideosService", "new_file_code", "sanitize_extension"]

logger = logging.getLogger("sv_widgets.emulator")

_ALNUM = string.ascii_letters + string.digits
_EXTENSION = re.compile(r"[a-z0-9]{1,10}")
#: signed ``method``/``action`` of the upload token the emulator hands out
_UPLOAD_TOKEN_ACTION = ("upload", "store")


def new_file_code(now: float) -> str:
    """``{unix time}-{six characters [A-Za-z0-9]}``, like ``1488633857-11PYNC``."""
    return f"{int(now)}-{''.join(secrets.choice(_ALNUM) for _ in range(6))}"


def sanitize_extension(filename: str | None) -> str:
    """The original extension, lower-case, or ``bin`` when there is no sensible one."""
    suffix = os.path.splitext((filename or "").replace("\\", "/").rsplit("/", 1)[-1])[1]
    ext = suffix[1:].lower()
    return ext if _EXTENSION.fullmatch(ext) else "bin"


class SpareVideosService:
    """The domain of one emulator instance.

    Parameters
    ----------
    store
        Durable state.
    convert
        ``convert(record, work_dir, on_progress, should_stop) -> outputs`` (JSON-able dict),
        raising ``ValueError`` with a user-facing reason when the file is not a usable video.
    page_size
        Codes per ``/me/files`` page.
    remote_policy
        The :class:`~sv_widgets.emulator.network.remote.FetchPolicy` for ``remote_file`` uploads.
    workers
        Conversion threads.
    manual
        Conversions wait to be told what happens to them (:meth:`set_conversion`) instead of
        running; ``convert`` is what a conversion told to finish runs.
    clock
        Returns UNIX seconds; tests pass a fake.
    """

    def __init__(
        self,
        store: Store,
        convert: Converter,
        *,
        page_size: int = 2000,
        workers: int = 2,
        remote_policy: Any = None,
        manual: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        self.store = store
        self.page_size = page_size
        self.clock = clock
        self._remote_policy = remote_policy
        self._stopping = threading.Event()
        self._server_secret = store.meta("upload_secret", secrets.token_hex(32))
        self._accounts = store.accounts()
        self._upload_progress: dict[str, float] = {}
        self._progress_lock = threading.Lock()
        # Held while a conversion publishes its outputs and while files are deleted, so a
        # deletion can never race a rename into the directory it removes.
        self._publish_lock = threading.Lock()
        self.swept = store.sweep()
        job = ConversionJob(store, convert, self._publish_lock)
        self.pool: ConversionPool | ManualConversions = (
            ManualConversions(job) if manual else ConversionPool(job.run, workers=workers)
        )
        for code in store.unfinished_conversions():
            self.pool.submit(code)

    def close(self) -> None:
        """Stop the conversion threads (unfinished work resumes on the next start)."""
        self._stopping.set()
        self.pool.stop()

    # ------------------------------------------------------------------ accounts, tokens
    def add_account(self, public_key: str, private_key: str, *, demo: bool = False) -> None:
        """Create or replace an account."""
        if not public_key or not private_key:
            raise ValueError("an account needs a non-empty public and private key")
        self.store.put_account(public_key, private_key, demo=demo)
        self._accounts = self.store.accounts()

    @property
    def accounts(self) -> dict[str, str]:
        """Public key to private key, a copy."""
        return dict(self._accounts)

    def authenticate(self, token: str | None, method: str, action: str) -> dict[str, Any]:
        """Verify ``token`` and check it was signed for ``method``/``action``."""
        if not token:
            raise ServiceError(401, "Not authorized: no token sent (send ?token=...)")
        if " " in token:
            raise ServiceError(
                401,
                "Not authorized: the token contains a space; a '+' in a URL or form body reads "
                "as a space, so send '+' as %2B (percent-encode the token)",
            )
        try:
            payload = signing.verify(
                token, self._accounts.get, now=self.clock(), allowed_algos=signing.SERVER_ALGOS
            )
        except signing.InvalidToken as exc:
            raise ServiceError(401, f"Not authorized: {exc.reason}") from exc
        if payload.get("method") != method or payload.get("action") != action:
            raise ServiceError(
                403,
                f"Forbidden: this token is not for {method}/{action} "
                f"(it was signed for {str(payload.get('method'))[:32]}/"
                f"{str(payload.get('action'))[:32]})",
            )
        return payload

    # ------------------------------------------------------------------ uploads
    def initiate_upload(self, payload: dict[str, Any]) -> tuple[str, str]:
        """A new ticket for an authenticated initiate call: ``(ref, upload_token)``."""
        now = self.clock()
        ref = f"{int(now)}{secrets.token_hex(10)}"
        expires = int(payload["expires"])
        public_key = str(payload["public_key"])
        self.store.add_ticket(ref, public_key, expires)
        token = signing.sign(
            {
                "algo": "sha256",
                "public_key": public_key,
                "method": _UPLOAD_TOKEN_ACTION[0],
                "action": _UPLOAD_TOKEN_ACTION[1],
                "ref": ref,
                "expires": expires,
            },
            self._server_secret,
        )
        return ref, token

    def check_ticket(self, token: str | None, ref: str | None) -> str:
        """Validate an upload's token and ref; return the uploading account's public key."""
        if not token:
            raise ServiceError(401, "Not authorized: no upload token sent")
        try:
            payload = signing.verify(
                token,
                lambda pk: self._server_secret if pk in self._accounts else None,
                now=self.clock(),
            )
        except signing.ExpiredToken as exc:
            raise ServiceError(
                401, f"Not authorized: upload ticket expired ({exc.reason})"
            ) from exc
        except signing.InvalidToken as exc:
            raise ServiceError(401, f"Not authorized: bad upload token: {exc.reason}") from exc
        if (payload.get("method"), payload.get("action")) != _UPLOAD_TOKEN_ACTION:
            raise ServiceError(403, "Forbidden: this token is not an upload token")
        if not ref:
            raise ServiceError(10000, "Upload not executed: no ref sent")
        if payload.get("ref") != ref:
            raise ServiceError(10000, "Upload not executed: the token is not for this ref")
        ticket = self.store.ticket(ref)
        if ticket is None or ticket.public_key != payload.get("public_key"):
            raise ServiceError(10000, "Upload not executed: unknown upload ticket")
        if ticket.file_code is not None:
            raise ServiceError(10000, "Upload not executed: this upload ticket was already used")
        return ticket.public_key

    def set_upload_progress(self, ref: str | None, percent: float) -> None:
        """Record upload progress for ``/progress?ref=``."""
        if ref:
            with self._progress_lock:
                self._upload_progress[ref] = min(max(percent, 0.0), 100.0)

    def upload_progress(self, ref: str) -> int:
        """Percent (0-100) of the upload for ``ref``; 100 once stored, 0 when unknown."""
        ticket = self.store.ticket(ref) if ref else None
        if ticket is not None and ticket.file_code:
            return 100
        with self._progress_lock:
            return int(self._upload_progress.get(ref, 0.0))

    def store_upload(self, *, ref: str, owner: str, temp: Path, filename: str | None) -> str:
        """Move a complete, fsynced temp file into place and record it; return its code."""
        size = temp.stat().st_size
        if size == 0:
            temp.unlink(missing_ok=True)
            raise ServiceError(10002, "Upload not valid: the file is empty")
        now = self.clock()
        code = new_file_code(now)
        while self.store.get_file(code) is not None or self.store.file_dir(code).exists():
            code = new_file_code(now)
        ext = sanitize_extension(filename)
        target = self.store.file_dir(code)
        target.mkdir()
        os.replace(temp, target / f"source.{ext}")
        fsync_dir(target)
        fsync_dir(self.store.files_dir)
        ok = self.store.add_file(
            ref=ref, code=code, owner=owner, created=now, extension=ext, size=size
        )
        if not ok:
            self.store.delete_files([code])
            raise ServiceError(
                10000, "Upload not executed: this upload ticket was already used or is gone"
            )
        with self._progress_lock:
            self._upload_progress.pop(ref, None)  # the spent ticket now answers 100
        logger.info("stored upload %s (%d bytes)", code, size)
        return code

    def store_remote(self, *, ref: str, owner: str, url: str) -> str:
        """Fetch ``url`` (blocking, progress on ``ref``) and store it; return its code."""
        from sv_widgets.emulator.network import remote

        parts = urlsplit(url.strip())
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            raise ServiceError(10002, "Upload not valid: 'remote_file' must be an http(s) URL")
        temp = self.store.new_temp_path("remote")

        def progress(done: int, total: int | None) -> None:
            if total:
                self.set_upload_progress(ref, min(99.0, done * 100.0 / total))

        self.set_upload_progress(ref, 0.0)
        policy = self._remote_policy or remote.FetchPolicy()
        try:
            with open(temp, "wb") as dest:
                result = remote.fetch(
                    url.strip(),
                    dest,
                    policy=policy,
                    on_progress=progress,
                    should_stop=self._stopping.is_set,
                )
                dest.flush()
                os.fsync(dest.fileno())
        except remote.RemoteFetchError as exc:
            temp.unlink(missing_ok=True)
            raise ServiceError(
                10001, f"Fileserver process error: could not fetch the remote file: {exc}"
            ) from exc
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        name = result.filename or urlsplit(result.final_url).path
        return self.store_upload(ref=ref, owner=owner, temp=temp, filename=name)

    # ------------------------------------------------------------------ owned files
    def owned(self, public_key: str, code: Any) -> FileRecord:
        """The caller's file ``code``: 1000 if malformed, 404 if unknown, 403 if not theirs."""
        if not isinstance(code, str) or not code:
            raise ServiceError(1000, "Generic error: 'file_code' must be a non-empty string")
        record = self.store.get_file(code) if is_file_code(code) else None
        if record is None:
            raise ServiceError(404, f"Not found: no file with code {code[:64]!r}")
        if record.owner != public_key:
            raise ServiceError(403, f"Forbidden: file {code} belongs to another account")
        return record

    def request_conversion(self, public_key: str, payload: dict[str, Any]) -> str:
        """Queue a conversion (``upload``/``convert``)."""
        flags = {}
        for name in ("convert_sd_only", "convert_mp4_only"):
            value = payload.get(name, False)
            if not isinstance(value, bool):
                raise ServiceError(1000, f"Generic error: '{name}' must be true or false")
            flags[name] = value
        record = self.owned(public_key, payload.get("file_code"))
        if not self.store.request_conversion(
            record.code, sd_only=flags["convert_sd_only"], mp4_only=flags["convert_mp4_only"]
        ):
            raise ServiceError(100031, "File already converted (conversion was requested before)")
        self.pool.submit(record.code)
        return record.code

    def ready_file(self, public_key: str, code: Any) -> FileRecord:
        """The caller's converted file, or the error that says why it is not ready."""
        record = self.owned(public_key, code)
        if record.state == "ready":
            return record
        if record.state == "failed":
            raise ServiceError(
                10001, f"Fileserver process error: conversion failed: {record.reason}"
            )
        if record.state == "uploaded":
            raise ServiceError(100030, "File not converted: request its conversion first")
        progress = self.pool.progress(record.code) or 0.0
        raise ServiceError(
            100030,
            f"File not converted: conversion in progress ({progress:.0f}%)",
            progress=progress,
        )

    def file_info(
        self, public_key: str, code: Any, *, media_base: str, thumbnail_base: str
    ) -> dict[str, Any]:
        """The ``/me/file`` success body."""
        record = self.ready_file(public_key, code)
        return catalog.file_info(record, media_base=media_base, thumbnail_base=thumbnail_base)

    def select_thumbnail(self, public_key: str, code: Any, name: Any) -> None:
        """Pick the file's thumbnail (``file``/``update``); 404 if it has no such image."""
        if not isinstance(name, str) or not name:
            raise ServiceError(1000, "Generic error: 'thumbnail' must be a thumbnail file name")
        record = self.ready_file(public_key, code)
        entry = catalog.find_thumbnail(record, name)
        self.store.select_thumbnail(record.code, entry.name)

    def converted(self, code: str) -> FileRecord:
        """A converted file by code, for the unsigned thumbnail and media routes."""
        record = self.store.get_file(code) if is_file_code(code) else None
        if record is None:
            raise ServiceError(404, f"Not found: no file with code {code[:64]!r}")
        if record.state != "ready":
            raise ServiceError(404, f"Not found: file {code} is not converted")
        return record

    def thumbnail_list(self, code: str) -> dict[str, str]:
        """The ``/json/list`` object of a converted file."""
        return catalog.thumbnail_list(self.converted(code))

    def thumbnail_path(self, code: str, name: str | None) -> Path:
        """The image ``name`` of ``code`` (its selected one when ``None``)."""
        record = self.converted(code)
        entry = (
            catalog.selected_thumbnail(record)
            if name is None
            else catalog.find_thumbnail(record, name)
        )
        if entry is None:
            raise ServiceError(404, f"Not found: file {code} has no thumbnails")
        return self.store.file_dir(code) / "out" / entry.relpath

    def media_path(self, code: str, relpath: str) -> Path:
        """A converted file's media file, confined to its output directory."""
        return catalog.media_path(self.store.files_dir, self.converted(code), relpath)

    def list_codes(self, public_key: str, page: int) -> tuple[list[str], int]:
        """One page of the caller's codes, oldest first, and the number of the last page."""
        codes, total = self.store.list_codes(
            public_key, offset=(page - 1) * self.page_size, limit=self.page_size
        )
        return codes, max(1, -(-total // self.page_size))

    def delete(self, public_key: str, codes: Any) -> list[str]:
        """Delete all of ``codes`` or nothing (``files``/``delete``).

        ``codes`` is a list of codes, as the document says, or one code as a string: the
        operator's own plugin signs a single code that way.
        """
        if isinstance(codes, str):
            codes = [codes]
        if (
            not isinstance(codes, list)
            or not codes
            or not all(isinstance(c, str) and c for c in codes)
        ):
            raise ServiceError(
                1000,
                "Generic error: 'codes' must be a non-empty list of file codes "
                "(or one code as a string)",
            )
        wanted = list(dict.fromkeys(codes))
        owners = self.store.owners([c for c in wanted if is_file_code(c)])
        unknown = [c for c in wanted if c not in owners]
        if unknown:
            raise ServiceError(404, f"Not found: unknown file code(s): {_names(unknown)}")
        others = [c for c in wanted if owners[c] != public_key]
        if others:
            raise ServiceError(403, f"Forbidden: not your file(s): {_names(others)}")
        for code in wanted:
            self.pool.cancel(code)
        with self._publish_lock:
            self.store.delete_files(wanted)
        logger.info("deleted %d file(s)", len(wanted))
        return wanted

    # ------------------------------------------------------------------ test control
    def reset(self, *, keep_accounts: Collection[str] | None = None) -> dict[str, int]:
        """Forget every file, ticket, upload progress and conversion (accounts stay).

        ``keep_accounts``: also delete the accounts not named in it. Each request running
        meanwhile sees the state before or after, never half of it: the store changes in
        one transaction, and an upload on a ticket that is gone is refused (10000).
        """
        self.pool.cancel_all()
        with self._publish_lock:
            counts = self.store.reset(keep_accounts=keep_accounts)
        with self._progress_lock:
            self._upload_progress.clear()
        self._accounts = self.store.accounts()
        logger.info("reset: %s", counts)
        return counts

    def conversions(self) -> list[dict[str, Any]]:
        """Every requested conversion, oldest first, as the control routes show it."""
        return [self._conversion(record) for record in self.store.conversions()]

    def set_conversion(
        self, code: str, *, state: str | None = None, progress: float = 0.0, reason: str = ""
    ) -> dict[str, Any]:
        """Move a waiting conversion on (manual mode): ``state`` ``"ready"`` or ``"failed"``
        (with ``reason``), else converting at ``progress`` percent. Returns its new state."""
        if not isinstance(self.pool, ManualConversions):
            raise ServiceError(
                1000, "Generic error: conversions run by themselves here (not manual mode)"
            )
        record = self.store.get_file(code) if is_file_code(code) else None
        if record is None:
            raise ServiceError(404, f"Not found: no file with code {code[:64]!r}")
        if record.state not in ("queued", "converting"):
            raise ServiceError(
                1000, f"Generic error: file {code} has no conversion waiting ({record.state})"
            )
        if state == "ready":
            self.pool.finish(code)
        elif state == "failed":
            self.pool.fail(code, reason or "conversion failed")
        else:
            self.pool.advance(code, progress)
        return self._conversion(self.store.get_file(code) or record)

    def _conversion(self, record: FileRecord) -> dict[str, Any]:
        progress = {"ready": 100.0, "failed": None}.get(
            record.state, self.pool.progress(record.code) or 0.0
        )
        return {
            "code": record.code,
            "owner": record.owner,
            "state": record.state,
            "progress": progress,
            "reason": record.reason,
            "convert_sd_only": record.sd_only,
            "convert_mp4_only": record.mp4_only,
        }


def _names(codes: list[str]) -> str:
    shown = ", ".join(c[:64] for c in codes[:20])
    return shown + (f" and {len(codes) - 20} more" if len(codes) > 20 else "")
