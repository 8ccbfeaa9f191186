"""A process-wide, size-bounded cache of thumbnail bytes.

Thumbnails of a file never change once the file is converted (selecting another one changes
which is *selected*, not the images), so the gallery and the file browser share one cache:
opening a row's gallery after browsing, or showing the same gallery twice, costs no request.
Keys are ``(thumbnail_url, file_code, file_name, size)``: the thumbnail service of one
client, so two emulators (or the emulator and the real service) never mix. The selected
image ("default.jpg") is *not* cached, as it changes when the selection does.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

__all__ = ["ThumbnailCache", "thumbnail_cache"]

Key = tuple[str, str, str, "int | None"]


class ThumbnailCache:
    """Least-recently-used bytes cache with a total size budget.

    Parameters
    ----------
    max_bytes
        Evict the least recently used images once the total exceeds this.

    Examples
    --------
    >>> cache = ThumbnailCache(max_bytes=10)
    >>> cache.put(("u", "c", "a.jpg", None), b"123456")
    >>> cache.put(("u", "c", "b.jpg", None), b"123456")
    >>> cache.get(("u", "c", "a.jpg", None)) is None, cache.get(("u", "c", "b.jpg", None))
    (True, b'123456')
    """

    def __init__(self, max_bytes: int = 64 * 1024 * 1024) -> None:
        self._max = max_bytes
        self._items: OrderedDict[Key, bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: Key) -> bytes | None:
        """The cached bytes, or ``None``; marks the entry as recently used."""
        with self._lock:
            data = self._items.get(key)
            if data is not None:
                self._items.move_to_end(key)
            return data

    def put(self, key: Key, data: bytes) -> None:
        """Store ``data``; entries larger than the whole budget are not kept."""
        if len(data) > self._max:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._size -= len(old)
            self._items[key] = data
            self._size += len(data)
            while self._size > self._max:
                _, evicted = self._items.popitem(last=False)
                self._size -= len(evicted)

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._items.clear()
            self._size = 0

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)


thumbnail_cache = ThumbnailCache()
