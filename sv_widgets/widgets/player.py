"""``Player``: an HTML5 video element playing one mp4 rendition of a file.

Why the front end rewrites some URLs
------------------------------------
A converted file's stream URLs point at the service that holds it. For the real service
they are public HTTPS URLs and the browser fetches them directly. For the local emulator
they point at the kernel's loopback address (``http://127.0.0.1:PORT/media/...``): fine
when the browser runs on the kernel's machine, unreachable on Binder or JupyterHub, where
the browser is elsewhere. There the only way in is the Jupyter server the page already
talks to, so the front end routes loopback URLs through jupyter-server-proxy:
``{base_url}proxy/127.0.0.1:PORT/media/...`` (``base_url`` read from the page's
``#jupyter-config-data``), which forwards HTTP Range requests, so seeking works, and is
authenticated by the page's own Jupyter session. Video bytes are not pushed through the
widget channel: a whole video in the kernel's websocket would stall the notebook and break
seeking.

``proxy`` chooses: ``"auto"`` (default) proxies loopback URLs only when the page itself is
not served from a loopback host (or is HTTPS), and falls back to the proxy if the direct URL
fails to load; ``"always"`` proxies every loopback URL; ``"never"`` uses URLs as they are.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import anywidget
from traitlets import Bytes, Dict, List, TraitError, Unicode, observe, validate

from sv_widgets.errors import SpareVideosError, summarize
from sv_widgets.widgets._tasks import Runner, set_traits

if TYPE_CHECKING:
    from sv_widgets.client import Client
    from sv_widgets.models import FileInfo, Rendition

__all__ = ["Player", "default_rendition"]

_STATIC = Path(__file__).parent / "static"
_PROXY_MODES = ("auto", "always", "never")


def default_rendition(renditions: list[Rendition] | tuple[Rendition, ...]) -> str:
    """The label to play first: the highest up to 720p (sharp, yet light), else the lowest.

    Examples
    --------
    >>> from sv_widgets.models import Rendition
    >>> default_rendition([Rendition("a", "360"), Rendition("b", "720"), Rendition("c", "1080")])
    '720'
    >>> default_rendition([])
    ''
    """
    heights = sorted(((r.height or 0, r.label) for r in renditions), key=lambda pair: pair[0])
    if not heights:
        return ""
    fitting = [label for height, label in heights if height <= 720]
    return fitting[-1] if fitting else heights[0][1]


class Player(anywidget.AnyWidget):
    """Play a converted file's mp4 renditions, with a rendition selector.

    Parameters
    ----------
    client
        The :class:`~sv_widgets.client.Client` used to read the file's streams.
    file_code
        A converted file's code.
    rendition
        Label to start with (``"360"``, ``"720"``, ...); default: the highest up to 720.
    proxy
        ``"auto"``, ``"always"`` or ``"never"``: how loopback URLs reach the browser (see the
        module docstring).

    Attributes
    ----------
    renditions : list of dict
        ``{"label", "file"}`` of each mp4 rendition, highest first.
    rendition : str
        The playing rendition's label; set it to switch (position and play state are kept).
    src : str
        The playing rendition's URL as the service gave it (the front end may proxy it).
    status, error : str
        ``"loading"``, ``"ready"`` or ``"error"``; the error as ``"[code] message"``.

    Examples
    --------
    >>> player = Player(client, "1700000000-AbC123")   # doctest: +SKIP
    >>> player.rendition = "360"                        # doctest: +SKIP
    """

    _esm = _STATIC / "player.js"
    _css = _STATIC / "player.css"

    file_code = Unicode("").tag(sync=True)
    renditions = List(Dict()).tag(sync=True)
    rendition = Unicode("").tag(sync=True)
    src = Unicode("").tag(sync=True)
    poster = Bytes(b"").tag(sync=True)
    proxy = Unicode("auto").tag(sync=True)
    status = Unicode("loading").tag(sync=True)
    error = Unicode("").tag(sync=True)

    def __init__(
        self,
        client: Client,
        file_code: str,
        *,
        rendition: str | None = None,
        proxy: str = "auto",
    ) -> None:
        super().__init__(file_code=file_code, proxy=proxy)
        self._client = client
        self._wanted = rendition
        self.info: FileInfo | None = None
        self._runner = Runner(2, "sv-player", on_error=self._show_error)
        self.on_msg(self._on_msg)
        self.reload()

    def reload(self) -> None:
        """Read the file's streams again (for example after its conversion finished)."""
        set_traits(self, status="loading", error="")
        self._runner.submit(self._load)
        self._runner.submit(self._load_poster)

    def wait_idle(self, timeout: float | None = 30) -> bool:
        """Block until loading is done; ``False`` if ``timeout`` passed first."""
        return self._runner.wait_idle(timeout)

    def __repr__(self) -> str:
        return f"<Player {self.file_code}: rendition={self.rendition!r}, src={self.src!r}>"

    def close(self) -> None:
        """Stop background work and close the widget."""
        self._runner.shutdown()
        super().close()

    def _load(self) -> None:
        try:
            info = self._client.file_info(self.file_code)
        except SpareVideosError as exc:
            set_traits(self, status="error", error=summarize(exc))
            return
        self.info = info
        mp4 = sorted(info.streams.mp4, key=lambda r: r.height or 0, reverse=True)
        if not mp4:
            set_traits(self, status="error", error="this file has no mp4 rendition to play")
            return
        labels = [r.label for r in mp4]
        chosen = self._wanted if self._wanted in labels else default_rendition(mp4)
        set_traits(
            self,
            renditions=[{"label": r.label, "file": r.file} for r in mp4],
            rendition=chosen,
            status="ready",
        )

    def _load_poster(self) -> None:
        with contextlib.suppress(SpareVideosError):  # a poster is a nicety, not a need
            set_traits(self, poster=self._client.thumbnail_image(self.file_code, size=360))

    @validate("rendition")
    def _check_rendition(self, proposal: Any) -> str:
        label = str(proposal["value"])
        known = [r["label"] for r in self.renditions]
        if known and label not in known:
            raise TraitError(f"no {label!r} rendition; this file has {', '.join(known)}")
        return label

    @validate("proxy")
    def _check_proxy(self, proposal: Any) -> str:
        if proposal["value"] not in _PROXY_MODES:
            raise TraitError(f"proxy must be one of {_PROXY_MODES}, not {proposal['value']!r}")
        return str(proposal["value"])

    @observe("rendition", "renditions")
    def _update_src(self, _change: Any) -> None:
        files = {r["label"]: r["file"] for r in self.renditions}
        set_traits(self, src=files.get(self.rendition, ""))

    def _on_msg(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "media-error":
            set_traits(
                self,
                status="error",
                error=f"the browser could not play it: {content.get('message', '?')}",
            )

    def _show_error(self, exc: BaseException) -> None:
        set_traits(self, status="error", error=summarize(exc))
