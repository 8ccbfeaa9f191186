"""Uploads from a stream that declares its size: sent as read, never spooled, never sought."""

from __future__ import annotations

from typing import Any

import pytest

from sv_widgets.client import SizedStream, describe_source
from sv_widgets.emulator import Emulator
from sv_widgets.errors import LocalFileError


class Pipe:
    """A non-seekable stream of ``data`` in small pieces, declaring ``declared_size``."""

    name = "piped.mp4"

    def __init__(self, data: bytes, declared_size: Any = None, piece: int = 700) -> None:
        self.data = data
        self.declared_size = len(data) if declared_size is None else declared_size
        self.piece = piece
        self.given = 0

    def read(self, size: int = -1) -> memoryview:
        want = self.piece if size < 0 else min(size, self.piece)
        out = memoryview(self.data)[self.given : self.given + want]
        self.given += len(out)
        return out

    def seekable(self) -> bool:
        return False

    def seek(self, *args: Any) -> int:
        raise AssertionError("a sized stream must not be sought")

    def tell(self) -> int:
        raise AssertionError("a sized stream must not be asked where it stands")


@pytest.fixture
def no_spooling(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("spooled to a temporary file")

    monkeypatch.setattr("sv_widgets.client._sources.tempfile.SpooledTemporaryFile", refuse)


def stored(emulator: Emulator, code: str) -> bytes:
    assert emulator.data_dir is not None
    (source,) = (emulator.data_dir / "files" / code).glob("source.*")
    return source.read_bytes()


def test_a_sized_stream_is_sent_as_read_without_spooling(
    emulator: Emulator, no_spooling: None
) -> None:
    data = bytes(range(256)) * 40
    pipe = Pipe(data)
    assert isinstance(pipe, SizedStream)
    assert describe_source(pipe).size == len(data)
    seen: list[tuple[int, int]] = []
    code = emulator.client().upload(pipe, on_progress=lambda s, t: seen.append((s, t)))
    assert stored(emulator, code) == data
    assert seen[-1] == (len(data), len(data))


def test_bytes_past_the_declared_size_are_never_read(emulator: Emulator) -> None:
    data = b"x" * 5000
    pipe = Pipe(data, declared_size=3000)
    code = emulator.client().upload(pipe)
    assert stored(emulator, code) == data[:3000]
    assert pipe.given == 3000


def test_a_stream_that_ends_early_fails_and_stores_nothing(
    emulator: Emulator, no_spooling: None
) -> None:
    client = emulator.client()
    before = set(client.iter_files())
    with pytest.raises(LocalFileError, match=r"piped\.mp4 shrank while it was being uploaded"):
        client.upload(Pipe(b"y" * 1000, declared_size=4000))
    assert set(client.iter_files()) == before


@pytest.mark.parametrize("declared", [-1, 1.5, True, "10"])
def test_a_declared_size_must_be_a_whole_number_of_bytes(declared: Any) -> None:
    with pytest.raises(LocalFileError, match="declared_size must be a whole number of bytes"):
        describe_source(Pipe(b"abc", declared_size=declared))
