"""``ThumbnailGallery``: every thumbnail of a file; click one to make it the file's thumbnail.

Images travel as bytes inside the widget's state (``images``: file name -> JPEG bytes, sent
as binary buffers), never as URLs: on Binder and JupyterHub the browser cannot reach the
kernel's network, so a thumbnail URL of a local emulator would not load there.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anywidget
from traitlets import Dict, Int, List, Unicode, observe

from sv_widgets.display import image_src, status_html, thumbnails_html
from sv_widgets.errors import SpareVideosError, summarize
from sv_widgets.widgets._cache import thumbnail_cache
from sv_widgets.widgets._static import StaticHTML
from sv_widgets.widgets._styles import stylesheet
from sv_widgets.widgets._tasks import Coalescer, Quiet, Runner, set_traits
from sv_widgets.wire import MIN_THUMBNAIL_HEIGHT

if TYPE_CHECKING:
    from sv_widgets.client import Client
    from sv_widgets.models import Thumbnail

__all__ = ["ThumbnailGallery"]

_STATIC = Path(__file__).parent / "static"


class ThumbnailGallery(StaticHTML, anywidget.AnyWidget):
    """A clickable grid of a file's thumbnails, grouped by height.

    Clicking an image (or :meth:`select`, or setting :attr:`value`) makes it the file's
    thumbnail: the gallery shows it at once, saves it with ``client.set_thumbnail`` in the
    background (``status`` goes ``"saving"`` then ``"saved"``), and if the service refuses,
    puts the previous selection back and shows the reason with the API's code.

    Parameters
    ----------
    client
        The :class:`~sv_widgets.client.Client` to read and save through.
    file_code
        A converted file's code.
    size
        Height in pixels the images are fetched at (the service's minimum is 260).
    max_workers
        Image requests in flight at once. 16 fetches a typical gallery (5 images per
        rendition height) in a single round trip after the list.

    Attributes
    ----------
    value : str
        The selected thumbnail's file name; observe it, or set it to select.
    status : str
        ``"loading"``, ``"ready"``, ``"saving"``, ``"saved"`` or ``"error"``.
    error : str
        The last error as ``"[code] message"``, or ``""``.

    Examples
    --------
    >>> gallery = ThumbnailGallery(client, "1700000000-AbC123")   # doctest: +SKIP
    >>> gallery.observe(lambda c: print("now", c["new"]), "value")  # doctest: +SKIP
    >>> gallery.select("1700000000-AbC123_720_02.jpg")             # doctest: +SKIP
    """

    _esm = _STATIC / "gallery.js"
    _css = stylesheet("gallery")

    file_code = Unicode("").tag(sync=True)
    thumbnails = List(Dict()).tag(sync=True)
    images = Dict().tag(sync=True)
    value = Unicode("").tag(sync=True)
    height = Int(0).tag(sync=True)
    status = Unicode("loading").tag(sync=True)
    message = Unicode("").tag(sync=True)
    error = Unicode("").tag(sync=True)
    saving = Unicode("").tag(sync=True)

    def __init__(
        self,
        client: Client,
        file_code: str,
        *,
        size: int = MIN_THUMBNAIL_HEIGHT,
        max_workers: int = 16,
    ) -> None:
        super().__init__(file_code=file_code)
        self._client = client
        self._size = size
        settle = self._settle_static
        self._runner = Runner(max_workers, "sv-gallery", on_error=self._show_error, on_idle=settle)
        # one saver: saves go in click order
        self._saver = Runner(1, "sv-gallery-save", on_error=self._show_error, on_idle=settle)
        self._lock = threading.Lock()
        self._arrived: dict[str, bytes] = {}
        self._outstanding = 0
        self._generation = 0
        self._confirmed = ""  # the selection the service is known to hold
        # Counted so that a list fetched while a choice was being made or saved does not
        # overwrite that choice with the service's older selection.
        self._choices = 0
        self._saves = 0
        self._quiet = Quiet()
        self._publish = Coalescer(0.1, self._flush_images)
        self.on_msg(self._on_msg)
        self.reload()

    # -- public -------------------------------------------------------------------------
    def reload(self) -> None:
        """Fetch the thumbnail list again and load any image not yet cached."""
        set_traits(self, status="loading", message="Loading thumbnails…", error="")
        self._runner.submit(self._load, self._choices, self._saves)

    def select(self, file_name: str) -> None:
        """Make ``file_name`` the file's thumbnail (shown now, saved in the background)."""
        self.value = file_name

    def wait_idle(self, timeout: float | None = 30) -> bool:
        """Block until loading and saving are done; ``False`` if ``timeout`` passed first."""
        loaded = self._runner.wait_idle(timeout)
        return self._saver.wait_idle(timeout) and loaded

    def __repr__(self) -> str:
        return (
            f"<ThumbnailGallery {self.file_code}: {len(self.thumbnails)} thumbnails, "
            f"value={self.value!r}, status={self.status!r}>"
        )

    def close(self) -> None:
        """Stop background work and close the widget."""
        self._runner.shutdown()
        self._saver.shutdown()
        super().close()

    # -- static output ------------------------------------------------------------------
    def _static_state(self) -> str | None:
        """The selection, once loading and saving are done (the HTML follows it)."""
        return self.value if self._runner.idle and self._saver.idle else None

    def _static_html(self) -> str:
        """What a saved notebook shows: the selected thumbnail's row, images inlined."""
        title = f"Thumbnails of {self.file_code}"
        if not self.thumbnails:
            return status_html(title, self.error or "loading…", error=self.status == "error")
        heights = {t["name"]: t["height"] for t in self.thumbnails}
        height = heights.get(self.value) or max(heights.values())
        row = [t["name"] for t in self.thumbnails if t["height"] == height]
        images = [(n, image_src(self.images.get(n), None), n == self.value) for n in row]
        note = f"{len(self.thumbnails)} thumbnails; the {height}p row"
        if self.value:
            note += f"; selected: {self.value}"
        return thumbnails_html(title, images, note=note)

    # -- front end -> Python ------------------------------------------------------------
    def _on_msg(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "select":
            self.select(str(content.get("name", "")))

    # -- loading ------------------------------------------------------------------------
    def _load(self, choices: int, saves: int) -> None:
        try:
            thumbs = self._client.thumbnails(self.file_code)
        except SpareVideosError as exc:
            set_traits(
                self,
                status="error",
                error=summarize(exc),
                message=f"Could not list thumbnails: {summarize(exc)}",
            )
            return
        selected = next((t.file_name for t in thumbs if t.selected), "")
        if self._saves == saves:  # no save landed meanwhile: the list is current
            self._confirmed = selected
        heights = {t.height for t in thumbs}
        traits: dict[str, Any] = {
            "thumbnails": [self._entry(t) for t in thumbs],
            "height": self.height if self.height in heights else 0,
        }
        if self._choices == choices:  # nobody chose meanwhile: show the service's selection
            traits["value"] = selected
        with self._quiet():
            set_traits(self, **traits)
        missing: list[str] = []
        with self._lock:
            self._generation += 1
            generation = self._generation
            for thumb in thumbs:
                name = thumb.file_name
                data = None if name in self.images else thumbnail_cache.get(self._key(name))
                if data is not None:
                    self._arrived[name] = data
                elif name not in self.images:
                    missing.append(name)
            self._outstanding = len(missing)
        self._publish.flush_now()  # cached images show at once, with the list
        if not missing:
            self._loaded()
        for name in missing:
            self._runner.submit(self._load_image, generation, name)

    @staticmethod
    def _entry(thumb: Thumbnail) -> dict[str, Any]:
        return {"name": thumb.file_name, "height": thumb.height, "number": thumb.number}

    def _key(self, name: str) -> tuple[str, str, str, int]:
        return (self._client.thumbnail_url, self.file_code, name, self._size)

    def _load_image(self, generation: int, name: str) -> None:
        try:
            data = self._client.thumbnail_image(self.file_code, name, size=self._size)
            thumbnail_cache.put(self._key(name), data)
            with self._lock:
                self._arrived[name] = data
        except SpareVideosError as exc:
            set_traits(self, error=summarize(exc))
        finally:
            with self._lock:
                current = generation == self._generation
                if current:
                    self._outstanding -= 1
                last = current and self._outstanding == 0
            if last:
                self._publish.flush_now()
                self._loaded()
            else:
                self._publish.mark()

    def _flush_images(self) -> None:
        with self._lock:
            if not self._arrived:
                return
            # merge and publish under the lock: two flushes must not drop each other's images
            images = {**self.images, **self._arrived}
            self._arrived.clear()
            set_traits(self, images=images)

    def _loaded(self) -> None:
        if self.error:
            set_traits(self, status="error", message=f"Some images did not load: {self.error}")
        else:
            set_traits(self, status="ready", message="")

    # -- selecting ----------------------------------------------------------------------
    @observe("value")
    def _value_changed(self, change: Any) -> None:
        if self._quiet.active or not change["new"]:
            return
        name = change["new"]
        self._choices += 1
        set_traits(self, status="saving", saving=name, error="", message=f"Saving {name}…")
        self._saver.submit(self._save, name)

    def _save(self, name: str) -> None:
        try:
            self._client.set_thumbnail(self.file_code, name)
        except SpareVideosError as exc:
            reason = summarize(exc)
            kept = self._confirmed or "no selection"
            with self._quiet():
                if self.value == name:  # a later click supersedes this one: leave it be
                    set_traits(self, value=self._confirmed)
                set_traits(
                    self,
                    status="error",
                    saving="",
                    error=reason,
                    message=f"Could not select {name}: {reason}. Kept {kept}.",
                )
            return
        self._confirmed = name
        self._saves += 1
        if self.value == name:  # (the saved notebook follows once the saver is idle)
            set_traits(self, status="saved", saving="", message=f"Saved: {name} is the thumbnail.")

    def _show_error(self, exc: BaseException) -> None:
        set_traits(
            self,
            status="error",
            saving="",
            error=summarize(exc),
            message=f"Unexpected error: {summarize(exc)}",
        )
