"""``Player``: every stream of a converted file, played in the notebook.

The service converts each upload into MP4 and WebM renditions, an HLS playlist and a DASH
manifest. ``Player`` plays any of them, so a person checking a conversion sees whether the
streams their own site will serve actually play:

- **MP4 and WebM** play in the ``<video>`` element itself, one rendition file at a time.
- **HLS and DASH** play through Media Source Extensions with `shaka-player
  <https://github.com/shaka-project/shaka-player>`_, pinned and shipped with the package
  (``static/vendor/shaka-player``, rebuilt by ``scripts/build_player_vendor.py``; never a
  CDN, so Binder and offline use work). The library travels once per page, from the kernel,
  as a binary message when a player first needs it. Where the browser plays HLS natively but
  has no Media Source Extensions (iPhones before iOS 17.1) HLS plays natively; pinning a
  rendition then loads that rendition's own playlist. Where it has both, Media Source
  Extensions win: they let the player show the rendition playing and pin one, which native
  HLS does not.
- ``format="auto"`` plays HLS where the page can, else DASH, else the best MP4 (the front end
  decides, knowing what the browser can play); ``playing`` reports what actually plays.

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
authenticated by the page's own Jupyter session. HLS playlists and DASH manifests name their
segments by relative URLs, so they play through the proxy too. Video bytes are not pushed
through the widget channel: a whole video in the kernel's websocket would stall the notebook
and break seeking.

``proxy`` chooses: ``"auto"`` (default) proxies loopback URLs only when the page itself is
not served from a loopback host (or is HTTPS), and falls back to the proxy if the direct URL
fails to load; ``"always"`` proxies every loopback URL; ``"never"`` uses URLs as they are.

When something does not play
----------------------------
The front end tells two failures apart before it says anything. It first asks for the first
byte of the URL that failed: if that arrives, the media is there and this browser cannot play
the format ("this browser cannot play WEBM; it can play MP4, HLS, DASH"); if it does not (HTTP
404, no answer, an error from the Jupyter server's proxy), the media is gone or unreachable,
and the kernel then asks the service whether the file still exists, to say which.
"""

from __future__ import annotations

import contextlib
import functools
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import anywidget
from traitlets import Bytes, Dict, List, TraitError, Unicode, observe, validate

from sv_widgets._values import is_whole_number, shown
from sv_widgets.display import status_html
from sv_widgets.errors import (
    ConnectionFailed,
    NotFound,
    RequestTimeout,
    SpareVideosError,
    summarize,
)
from sv_widgets.models import Rendition
from sv_widgets.widgets._static import StaticHTML
from sv_widgets.widgets._styles import stylesheet
from sv_widgets.widgets._tasks import Runner, set_traits
from sv_widgets.wire import STREAM_FORMATS

if TYPE_CHECKING:
    from sv_widgets.client import Client
    from sv_widgets.models import FileInfo

__all__ = ["FORMATS", "Player", "default_rendition", "format_names", "stream_traits"]

_STATIC = Path(__file__).parent / "static"
_VENDOR = _STATIC / "vendor" / "shaka-player"
_PROXY_MODES = ("auto", "always", "never")
#: What ``format`` may be; the file's own formats are listed in this (preference) order.
FORMATS = ("auto", *STREAM_FORMATS)
_NAMES = {"auto": "auto", "hls": "HLS", "dash": "DASH", "mp4": "MP4", "webm": "WebM"}


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


def format_names(formats: list[str] | tuple[str, ...]) -> str:
    """Formats as people name them.

    Examples
    --------
    >>> format_names(["hls", "dash", "mp4"])
    'HLS, DASH, MP4'
    """
    return ", ".join(_NAMES.get(f, f) for f in formats) or "none"


def stream_traits(info: FileInfo) -> dict[str, Any]:
    """``formats``, ``manifests`` and ``renditions`` of a file, as the player syncs them.

    Examples
    --------
    >>> from sv_widgets.models import FileInfo
    >>> info = FileInfo.from_json({"extension": "mp4", "playtime": 3, "thumbnail": None,
    ...     "streams": {"mp4": [{"file": "https://x/360.mp4", "label": "360"}],
    ...                 "hls": {"file": "https://x/master.m3u8"}}})
    >>> traits = stream_traits(info)
    >>> traits["formats"], traits["manifests"]["hls"]
    (['hls', 'mp4'], 'https://x/master.m3u8')
    >>> traits["renditions"]
    [{'label': '360', 'mp4': 'https://x/360.mp4', 'webm': ''}]
    """
    s = info.streams
    present = (("hls", s.hls), ("dash", s.mpd), ("mp4", s.mp4), ("webm", s.webm))
    files = {kind: {r.label: r.file for r in rs} for kind, rs in (("mp4", s.mp4), ("webm", s.webm))}
    labels = {r.label: r.height or 0 for r in (*s.mp4, *s.webm)}
    return {
        "formats": [name for name, there in present if there],
        "manifests": {"hls": s.hls or "", "dash": s.mpd or ""},
        "renditions": [
            {
                "label": label,
                "mp4": files["mp4"].get(label, ""),
                "webm": files["webm"].get(label, ""),
            }
            for label in sorted(labels, key=lambda label: labels[label], reverse=True)
        ],
    }


@functools.cache
def vendor_library() -> tuple[dict[str, Any], bytes]:
    """The shipped player library: its ``VENDOR.json`` manifest and its code."""
    manifest: dict[str, Any] = json.loads((_VENDOR / "VENDOR.json").read_text())
    return manifest, (_VENDOR / manifest["file"]).read_bytes()


class Player(StaticHTML, anywidget.AnyWidget):
    """Play a converted file: MP4, WebM, HLS or DASH, with a format and a rendition selector.

    Parameters
    ----------
    client
        The :class:`~sv_widgets.client.Client` used to read the file's streams.
    file_code
        A converted file's code.
    format
        ``"auto"`` (HLS where the browser can play it, else DASH, else the best MP4),
        ``"hls"``, ``"dash"``, ``"mp4"`` or ``"webm"``.
    rendition
        Label to start with (``"360"``, ``"720"``, ...). Default ``"auto"``: adaptive streams
        choose as the bandwidth allows; MP4 and WebM start at the highest up to 720.
    proxy
        ``"auto"``, ``"always"`` or ``"never"``: how loopback URLs reach the browser (see the
        module docstring).

    Attributes
    ----------
    format : str
        The format asked for; set it to switch (the page shows only the file's formats).
    formats : list of str
        The file's formats, in the order ``auto`` prefers them (``hls``, ``dash``, ``mp4``,
        ``webm``).
    rendition : str
        ``"auto"`` or a label; set it to pin a rendition (position and play state are kept).
    renditions : list of dict
        ``{"label", "mp4", "webm"}`` of each rendition, highest first (URLs, ``""`` if none).
    manifests : dict
        ``{"hls": playlist URL, "dash": manifest URL}`` (``""`` where the file has none).
    src : str
        The URL the request points at, as the service gave it (the front end may proxy it):
        the playlist or manifest for HLS and DASH, the rendition's file for MP4 and WebM.
    playing : dict
        What the page actually plays, as it reports it: ``format``, ``engine`` (``"native"``
        or ``"mse"``), ``rendition``, ``width``, ``height``, ``url``; ``{}`` before that.
    status, error : str
        ``"loading"``, ``"ready"`` or ``"error"``; the error in one line (the API's
        ``"[code] message"``, or why the page could not play the media).

    Examples
    --------
    >>> player = Player(client, "1700000000-AbC123", format="hls")   # doctest: +SKIP
    >>> player.rendition = "360"                                      # doctest: +SKIP
    """

    _esm = _STATIC / "player.js"
    _css = stylesheet("player")

    file_code = Unicode("").tag(sync=True)
    format = Unicode("auto").tag(sync=True)
    formats = List(Unicode()).tag(sync=True)
    manifests = Dict().tag(sync=True)
    renditions = List(Dict()).tag(sync=True)
    rendition = Unicode("auto").tag(sync=True)
    src = Unicode("").tag(sync=True)
    playing = Dict().tag(sync=True)
    poster = Bytes(b"").tag(sync=True)
    proxy = Unicode("auto").tag(sync=True)
    status = Unicode("loading").tag(sync=True)
    error = Unicode("").tag(sync=True)

    def __init__(
        self,
        client: Client,
        file_code: str,
        *,
        format: str = "auto",
        rendition: str | None = None,
        proxy: str = "auto",
    ) -> None:
        super().__init__(file_code=file_code, proxy=proxy, format=format)
        self._client = client
        self._wanted = rendition or "auto"
        self.info: FileInfo | None = None
        self._runner = Runner(
            2, "sv-player", on_error=self._show_error, on_idle=self._settle_static
        )
        self.on_msg(self._on_msg)
        self.reload()

    # -- public -------------------------------------------------------------------------
    def reload(self) -> None:
        """Read the file's streams again (for example after its conversion finished)."""
        set_traits(self, status="loading", error="", playing={})
        self._runner.submit(self._load)
        self._runner.submit(self._load_poster)

    def wait_idle(self, timeout: float | None = 30) -> bool:
        """Block until loading is done; ``False`` if ``timeout`` passed first."""
        return self._runner.wait_idle(timeout)

    def __repr__(self) -> str:
        return (
            f"<Player {self.file_code}: format={self.format!r}, rendition={self.rendition!r}, "
            f"src={self.src!r}>"
        )

    def close(self) -> None:
        """Stop background work and close the widget."""
        self._runner.shutdown()
        super().close()

    # -- loading ------------------------------------------------------------------------
    def _load(self) -> None:
        try:
            info = self._client.file_info(self.file_code)
        except SpareVideosError as exc:
            set_traits(self, status="error", error=summarize(exc))
            return
        self.info = info
        traits = stream_traits(info)
        labels = [r["label"] for r in traits["renditions"]]
        traits["rendition"] = self._wanted if self._wanted in labels else "auto"
        traits["status"] = "ready"
        if self.format != "auto" and self.format not in traits["formats"]:
            traits.update(
                status="error", error=self._missing_format(self.format, traits["formats"])
            )
        set_traits(self, **traits)

    def _load_poster(self) -> None:
        with contextlib.suppress(SpareVideosError):  # a poster is a nicety, not a need
            set_traits(self, poster=self._client.thumbnail_image(self.file_code, size=360))

    @staticmethod
    def _missing_format(wanted: str, formats: list[str]) -> str:
        return (
            f"this file has no {_NAMES.get(wanted, wanted)} stream; it has {format_names(formats)}"
        )

    # -- traits -------------------------------------------------------------------------
    @validate("format")
    def _check_format(self, proposal: Any) -> str:
        value = str(proposal["value"])
        if value not in FORMATS:
            raise TraitError(f"format must be one of {', '.join(FORMATS)}, not {value!r}")
        if self.formats and value != "auto" and value not in self.formats:
            raise TraitError(self._missing_format(value, list(self.formats)))
        return value

    @validate("rendition")
    def _check_rendition(self, proposal: Any) -> str:
        label = str(proposal["value"]) or "auto"
        known = [r["label"] for r in self.renditions]
        if known and label != "auto" and label not in known:
            raise TraitError(f"no {label!r} rendition; this file has auto, {', '.join(known)}")
        return label

    @validate("proxy")
    def _check_proxy(self, proposal: Any) -> str:
        if proposal["value"] not in _PROXY_MODES:
            raise TraitError(f"proxy must be one of {_PROXY_MODES}, not {proposal['value']!r}")
        return str(proposal["value"])

    @observe("format", "formats", "manifests", "rendition", "renditions")
    def _update_src(self, _change: Any) -> None:
        set_traits(self, src=self._requested_url())

    def _requested_url(self) -> str:
        """The URL ``format`` and ``rendition`` ask for (``auto``: as a capable page plays)."""
        fmt = self.format if self.format != "auto" else next(iter(self.formats), "")
        if fmt in ("hls", "dash"):
            return str(self.manifests.get(fmt, ""))
        items = [r for r in self.renditions if r.get(fmt)]
        if not items:
            return ""
        label = self.rendition
        if label == "auto" or label not in [r["label"] for r in items]:
            label = default_rendition([Rendition(r[fmt], r["label"]) for r in items])
        return next(str(r[fmt]) for r in items if r["label"] == label)

    # -- front end -> Python ------------------------------------------------------------
    def _on_msg(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if not isinstance(content, dict):
            return
        kind = content.get("type")
        if kind == "vendor-request":
            manifest, code = vendor_library()
            self.send(
                {"type": "vendor", "name": manifest["package"], "version": manifest["version"]},
                [code],
            )
        elif kind == "playing":
            set_traits(self, playing=_playing_report(content), status="ready", error="")
        elif kind == "media-error":
            raw = content.get("message")
            message = (
                shown(raw, _MESSAGE_CHARS, quote=False)
                if isinstance(raw, str) and raw
                else "the video could not be played"
            )
            set_traits(self, status="error", error=message, playing={})
            if content.get("kind") == "unreachable":
                self._runner.submit(self._explain_unreachable, message)

    def _explain_unreachable(self, message: str) -> None:
        """Ask the service whether the file is still there, and say so beside ``message``."""
        try:
            self._client.file_info(self.file_code)
        except NotFound as exc:
            reason = f"the service no longer has this file ({summarize(exc)})"
        except (ConnectionFailed, RequestTimeout):
            host = urlsplit(self._client.api_url).netloc
            reason = f"the service at {host} does not answer either (stopped?)"
        except SpareVideosError as exc:
            reason = f"the service says {summarize(exc)}"
        else:
            reason = "the service still has the file: the media server or the proxy failed"
        if self.error == message:  # nothing newer happened meanwhile
            set_traits(self, error=f"{message}; {reason}")

    def _show_error(self, exc: BaseException) -> None:
        set_traits(self, status="error", error=summarize(exc))

    # -- static output ------------------------------------------------------------------
    def _static_state(self) -> bool | None:
        """Loaded (the HTML is shown again once, when the file's info and poster arrived)."""
        return True if self._runner.idle else None

    def _static_html(self) -> str:
        """What a saved notebook shows without a kernel: the file's card with the poster."""
        title = f"Player · {self.file_code}"
        if self.info is None:
            return status_html(title, self.error or "loading…", error=self.status == "error")
        note = f"Player · format {_NAMES.get(self.format, self.format)}"
        if self.format == "auto":
            note += f" (plays {format_names(self.formats[:1])} where the browser can)"
        if self.rendition != "auto":
            note += f" · rendition {self.rendition}"
        if self.status == "error":
            note += f" · {self.error}"
        info = self.info.with_thumbnail_image(self.poster) if self.poster else self.info
        return info.card_html(note=note)


_TEXT_CHARS = 4096  # of a reported format, engine, rendition or URL
_PIXELS_MAX = 65_536  # a reported width or height larger than this is not believed
_MESSAGE_CHARS = 300  # of the page's own media error message, kept


def _playing_report(content: dict[str, Any]) -> dict[str, Any]:
    """What the page says plays, each field kept only when it has its type (else ``None``).

    The page is not trusted: what it reports goes into a synced trait, so a field of the
    wrong type or an unbounded one is not passed on.

    >>> _playing_report({"format": "hls", "width": 854, "height": True, "url": ["x"]})
    {'format': 'hls', 'engine': None, 'rendition': None, 'url': None, 'width': 854, 'height': None}
    """
    report: dict[str, Any] = {}
    for key in ("format", "engine", "rendition", "url"):
        text = content.get(key)
        report[key] = text if isinstance(text, str) and len(text) <= _TEXT_CHARS else None
    for key in ("width", "height"):
        size = content.get(key)
        report[key] = size if is_whole_number(size) and 0 <= size <= _PIXELS_MAX else None
    return report
