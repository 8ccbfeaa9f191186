"""Lazy windows over the account's file codes, for paging and filtering in the browser.

The API lists codes 2000 to a page (fewer on an emulator started with a small page size);
the file browser shows a couple of dozen rows. :class:`CodeIndex` maps the browser's row
range onto API pages and fetches only the pages that range needs (concurrently when it
needs several), caching each page until :meth:`FileBrowser.refresh` builds a new index.
The rows come first; the total (which needs the last API page) is a separate call,
:meth:`CodeIndex.count`, that the browser runs alongside the rows' own requests, so it
never delays them. With a filter, pages are scanned in order (in concurrent batches) only
until the window is full, so the first page of matches appears without listing the whole
account.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sv_widgets.models import FilePage

__all__ = ["CodeIndex", "Window"]

_BATCH = 8  # API pages fetched at once while scanning with a filter


@dataclass(frozen=True)
class Window:
    """The codes of one browser page, and what is known of the whole list.

    ``total`` is the number of (matching) codes when known, else ``None``; ``has_next``
    says whether codes exist after this window.
    """

    codes: tuple[str, ...]
    total: int | None
    has_next: bool


class CodeIndex:
    """Codes of the account, fetched page by page on demand.

    Parameters
    ----------
    list_files
        ``client.list_files``: page number -> :class:`~sv_widgets.models.FilePage`.

    Examples
    --------
    >>> from sv_widgets.models import FilePage
    >>> codes = [f"1700000000-A{i:05d}" for i in range(7)]
    >>> def list_files(page):
    ...     chunk = codes[(page - 1) * 3 : page * 3]
    ...     return FilePage(tuple(chunk), page, 3, None)
    >>> index = CodeIndex(list_files)
    >>> index.window(3, 5)
    Window(codes=('1700000000-A00003', '1700000000-A00004'), total=None, has_next=True)
    >>> index.fetched_pages
    [1, 2]
    >>> index.count()
    7
    >>> index.window(0, 10, "A0000[")   # a plain substring, not a pattern
    Window(codes=(), total=0, has_next=False)
    """

    def __init__(self, list_files: Callable[[int], FilePage]) -> None:
        self._list_files = list_files
        self._pages: dict[int, tuple[str, ...]] = {}
        self._last_page: int | None = None
        self._lock = threading.Lock()

    @property
    def fetched_pages(self) -> list[int]:
        """API page numbers fetched so far (for tests and diagnostics)."""
        with self._lock:
            return sorted(self._pages)

    def _fetch(self, numbers: list[int]) -> None:
        missing = [n for n in numbers if n not in self._pages]
        if not missing:
            return
        if len(missing) == 1:
            results = [self._list_files(missing[0])]
        else:
            with ThreadPoolExecutor(max_workers=min(_BATCH, len(missing))) as pool:
                results = list(pool.map(self._list_files, missing))
        with self._lock:
            for number, page in zip(missing, results, strict=True):
                self._pages[number] = page.codes
                self._last_page = max(1, page.last_page)

    def _page_size(self) -> int:
        # page 1 is full whenever a page 2 exists: its length is the API's page size
        return max(1, len(self._pages[1]))

    def _total(self) -> int | None:
        last = self._last_page
        if last is None or last not in self._pages:
            return None
        return (last - 1) * self._page_size() + len(self._pages[last])

    def window(self, start: int, stop: int, needle: str = "") -> Window:
        """Codes ``start:stop`` (0-based), among those containing ``needle`` if given."""
        self._fetch([1])
        if needle:
            return self._filtered(start, stop, needle)
        assert self._last_page is not None
        size = self._page_size()
        first = start // size + 1
        last = min(max(start, stop - 1) // size + 1, self._last_page)
        self._fetch(list(range(first, last + 1)))
        codes: list[str] = []
        for number in range(first, last + 1):
            codes.extend(self._pages[number])
        offset = (first - 1) * size
        total = self._total()
        # pages are never empty before the last, so an unfetched last page means more codes
        has_next = stop < total if total is not None else True
        return Window(tuple(codes[start - offset : stop - offset]), total, has_next)

    def count(self, needle: str = "") -> int:
        """How many codes there are (containing ``needle``, if given); lists what it must."""
        self._fetch([1])
        assert self._last_page is not None
        if needle:
            return self._filtered(0, 2**62, needle).total or 0
        self._fetch([self._last_page])
        total = self._total()
        assert total is not None
        return total

    def _filtered(self, start: int, stop: int, needle: str) -> Window:
        assert self._last_page is not None
        wanted = needle.lower()
        matches: list[str] = []
        number = 1
        while True:
            for code in self._pages[number]:
                if wanted in code.lower():
                    matches.append(code)
            if len(matches) > stop or number >= self._last_page:
                break
            number += 1
            self._fetch(list(range(number, min(number + _BATCH, self._last_page + 1))))
        complete = number >= self._last_page
        return Window(
            tuple(matches[start:stop]),
            len(matches) if complete else None,
            len(matches) > stop,
        )
