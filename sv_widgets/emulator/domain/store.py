"""Durable state of one emulator: sqlite (WAL) for records, atomic renames for files.

Layout of a data directory::

    emulator.sqlite3         accounts, tickets, files (sqlite, WAL, synchronous=FULL)
    files/{code}/source.ext  the uploaded bytes, renamed into place after fsync
    files/{code}/out/        conversion outputs, renamed into place as one directory
    tmp/                     partial uploads and conversions; swept on every start

Write order is always *file first (fsync, rename, fsync dir), then commit*: a crash can leave
an orphan file (swept on start) but never a record that points at missing bytes.
``synchronous=FULL`` makes a commit durable before the API acknowledges it; the cost is one
extra fsync per write, which the emulator's write rate does not notice.

Every method runs in one short transaction under a lock, so the store can be shared by the
event loop and the conversion threads.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import threading
import uuid
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["FileRecord", "Store", "Ticket", "fsync_dir"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS accounts (
    public_key TEXT PRIMARY KEY, private_key TEXT NOT NULL, demo INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS tickets (
    ref TEXT PRIMARY KEY, public_key TEXT NOT NULL, expires INTEGER NOT NULL,
    file_code TEXT);
CREATE TABLE IF NOT EXISTS files (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, code TEXT UNIQUE NOT NULL, owner TEXT NOT NULL,
    created REAL NOT NULL, extension TEXT NOT NULL, size INTEGER NOT NULL,
    state TEXT NOT NULL, reason TEXT, sd_only INTEGER NOT NULL DEFAULT 0,
    mp4_only INTEGER NOT NULL DEFAULT 0, outputs TEXT, selected TEXT);
CREATE INDEX IF NOT EXISTS files_owner ON files (owner, seq);
"""


@dataclass(frozen=True)
class Ticket:
    """An upload ticket handed out by ``/upload/initiate``; ``file_code`` is set once spent."""

    ref: str
    public_key: str
    expires: int
    file_code: str | None


@dataclass(frozen=True)
class FileRecord:
    """One stored file. ``state`` is uploaded, queued, converting, ready or failed."""

    code: str
    owner: str
    created: float
    extension: str
    size: int
    state: str
    reason: str | None
    sd_only: bool
    mp4_only: bool
    outputs: dict[str, Any] | None
    selected: str | None


def fsync_dir(path: Path) -> None:
    """Make a rename or unlink inside ``path`` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _record(row: sqlite3.Row) -> FileRecord:
    outputs = json.loads(row["outputs"]) if row["outputs"] else None
    return FileRecord(
        code=row["code"],
        owner=row["owner"],
        created=row["created"],
        extension=row["extension"],
        size=row["size"],
        state=row["state"],
        reason=row["reason"],
        sd_only=bool(row["sd_only"]),
        mp4_only=bool(row["mp4_only"]),
        outputs=outputs,
        selected=row["selected"],
    )


class Store:
    """The sqlite database and file tree of one data directory.

    Parameters
    ----------
    data_dir
        Created if missing. Two stores must not share one directory.
    """

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)
        self.files_dir = self.data_dir / "files"
        self.tmp_dir = self.data_dir / "tmp"
        for d in (self.data_dir, self.files_dir, self.tmp_dir):
            d.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(
            self.data_dir / "emulator.sqlite3", check_same_thread=False, isolation_level=None
        )
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.executescript(_SCHEMA)

    # ------------------------------------------------------------------ plumbing
    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def close(self) -> None:
        """Close the database (checkpointing the WAL)."""
        with self._lock:
            self._db.close()

    def new_temp_path(self, prefix: str) -> Path:
        """A fresh path under ``tmp/`` (swept on the next start)."""
        return self.tmp_dir / f"{prefix}-{uuid.uuid4().hex}"

    def file_dir(self, code: str) -> Path:
        """Directory holding a file's source and outputs."""
        return self.files_dir / code

    def sweep(self) -> list[str]:
        """Remove temp files and file directories no record points at; return what went."""
        removed: list[str] = []
        for entry in self.tmp_dir.iterdir():
            removed.append(f"tmp/{entry.name}")
            _remove(entry)
        known = {r["code"] for r in self._db.execute("SELECT code FROM files")}
        for entry in self.files_dir.iterdir():
            if entry.name not in known:
                removed.append(f"files/{entry.name}")
                _remove(entry)
        return removed

    # ------------------------------------------------------------------ meta and accounts
    def meta(self, key: str, default: str) -> str:
        """Read ``key``, storing ``default`` first if it is absent."""
        with self._tx() as db:
            db.execute("INSERT OR IGNORE INTO meta VALUES (?, ?)", (key, default))
            row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
            return str(row["value"])

    def put_account(self, public_key: str, private_key: str, *, demo: bool = False) -> None:
        """Create or replace an account."""
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO accounts VALUES (?, ?, ?)",
                (public_key, private_key, int(demo)),
            )

    def accounts(self) -> dict[str, str]:
        """All accounts, public key to private key."""
        with self._lock:
            rows = self._db.execute("SELECT public_key, private_key FROM accounts").fetchall()
        return {r["public_key"]: r["private_key"] for r in rows}

    def demo_account(self) -> tuple[str, str] | None:
        """The generated demo account of this data directory, if there is one."""
        with self._lock:
            row = self._db.execute(
                "SELECT public_key, private_key FROM accounts WHERE demo = 1"
            ).fetchone()
        return (row["public_key"], row["private_key"]) if row else None

    # ------------------------------------------------------------------ tickets
    def add_ticket(self, ref: str, public_key: str, expires: int) -> None:
        """Record an upload ticket."""
        with self._tx() as db:
            db.execute("INSERT INTO tickets VALUES (?, ?, ?, NULL)", (ref, public_key, expires))

    def ticket(self, ref: str) -> Ticket | None:
        """The ticket for ``ref``, if any."""
        with self._lock:
            row = self._db.execute("SELECT * FROM tickets WHERE ref = ?", (ref,)).fetchone()
        if row is None:
            return None
        return Ticket(row["ref"], row["public_key"], row["expires"], row["file_code"])

    # ------------------------------------------------------------------ files
    def add_file(
        self, *, ref: str, code: str, owner: str, created: float, extension: str, size: int
    ) -> bool:
        """Spend ticket ``ref`` on a new file, atomically; ``False`` if it was already spent."""
        with self._tx() as db:
            spent = db.execute(
                "UPDATE tickets SET file_code = ? WHERE ref = ? AND file_code IS NULL",
                (code, ref),
            ).rowcount
            if spent != 1:
                return False
            db.execute(
                "INSERT INTO files (code, owner, created, extension, size, state)"
                " VALUES (?, ?, ?, ?, ?, 'uploaded')",
                (code, owner, created, extension, size),
            )
            return True

    def get_file(self, code: str) -> FileRecord | None:
        """The record of ``code``, if it exists."""
        with self._lock:
            row = self._db.execute("SELECT * FROM files WHERE code = ?", (code,)).fetchone()
        return _record(row) if row else None

    def request_conversion(self, code: str, *, sd_only: bool, mp4_only: bool) -> bool:
        """Move an uploaded file to ``queued``; ``False`` if it had already left ``uploaded``."""
        with self._tx() as db:
            return (
                db.execute(
                    "UPDATE files SET state = 'queued', sd_only = ?, mp4_only = ?"
                    " WHERE code = ? AND state = 'uploaded'",
                    (int(sd_only), int(mp4_only), code),
                ).rowcount
                == 1
            )

    def set_state(
        self,
        code: str,
        state: str,
        *,
        reason: str | None = None,
        outputs: dict[str, Any] | None = None,
    ) -> None:
        """Record a conversion state change."""
        with self._tx() as db:
            db.execute(
                "UPDATE files SET state = ?, reason = ?, outputs = ? WHERE code = ?",
                (state, reason, json.dumps(outputs) if outputs is not None else None, code),
            )

    def select_thumbnail(self, code: str, name: str) -> None:
        """Remember the thumbnail the owner picked."""
        with self._tx() as db:
            db.execute("UPDATE files SET selected = ? WHERE code = ?", (name, code))

    def unfinished_conversions(self) -> list[str]:
        """Codes whose conversion was queued or running, oldest first."""
        with self._lock:
            rows = self._db.execute(
                "SELECT code FROM files WHERE state IN ('queued', 'converting') ORDER BY seq"
            ).fetchall()
        return [r["code"] for r in rows]

    def list_codes(self, owner: str, *, offset: int, limit: int) -> tuple[list[str], int]:
        """A page of ``owner``'s codes, oldest first, and how many files they have in all.

        One read under the lock, so the page and the count always describe the same state.
        """
        with self._lock:
            total = self._db.execute("SELECT COUNT(*) AS n FROM files WHERE owner = ?", (owner,))
            count = int(total.fetchone()["n"])
            rows = self._db.execute(
                "SELECT code FROM files WHERE owner = ? ORDER BY seq LIMIT ? OFFSET ?",
                (owner, limit, offset),
            ).fetchall()
        return [r["code"] for r in rows], count

    def conversions(self) -> list[FileRecord]:
        """Every file whose conversion was requested (queued, converting, ready, failed)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM files WHERE state != 'uploaded' ORDER BY seq"
            ).fetchall()
        return [_record(r) for r in rows]

    def owners(self, codes: list[str]) -> dict[str, str]:
        """Owner of each known code among ``codes``."""
        found: dict[str, str] = {}
        with self._lock:
            for i in range(0, len(codes), 500):
                chunk = codes[i : i + 500]
                marks = ",".join("?" * len(chunk))
                for r in self._db.execute(
                    f"SELECT code, owner FROM files WHERE code IN ({marks})",  # noqa: S608
                    chunk,
                ):
                    found[r["code"]] = r["owner"]
        return found

    def delete_files(self, codes: list[str]) -> None:
        """Delete records, then their directories (moved to ``tmp/`` first, so a crash
        mid-removal leaves only sweepable debris)."""
        with self._tx() as db:
            db.executemany("DELETE FROM files WHERE code = ?", [(c,) for c in codes])
        self._remove_file_dirs(codes)

    def reset(self, *, keep_accounts: Collection[str] | None = None) -> dict[str, int]:
        """Forget every file and ticket in one transaction, then remove the files' bytes.

        ``keep_accounts``: also delete every account not named in it (``None`` keeps all).
        Returns how many files, tickets and accounts went.
        """
        with self._tx() as db:
            codes = [r["code"] for r in db.execute("SELECT code FROM files")]
            tickets = db.execute("DELETE FROM tickets").rowcount
            db.execute("DELETE FROM files")
            accounts = 0
            if keep_accounts is not None:
                kept = list(keep_accounts)
                marks = ",".join("?" * len(kept))
                accounts = db.execute(
                    f"DELETE FROM accounts WHERE public_key NOT IN ({marks})",  # noqa: S608
                    kept,
                ).rowcount
        self._remove_file_dirs(codes)
        return {"files": len(codes), "tickets": tickets, "accounts": accounts}

    def _remove_file_dirs(self, codes: list[str]) -> None:
        for code in codes:
            src = self.file_dir(code)
            if src.exists():
                trash = self.new_temp_path("deleted")
                os.replace(src, trash)
                _remove(trash)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
