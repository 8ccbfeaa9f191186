"""How an upload reads in every view of it: the figures line and the saved notebook's HTML.

``UploadProgress`` (one upload) and ``UploadDropzone`` (a row per chosen file) draw the same
:class:`~sv_widgets.uploads.UploadState`; both take these two renderers from here, so that
the two views cannot drift apart.
"""

from __future__ import annotations

from sv_widgets.display import format_bytes, format_rate, status_html
from sv_widgets.uploads import UploadState

__all__ = ["announcement", "detail_text", "upload_html"]

_RATE_FROM_BYTES = 64 * 1024  # a rate is noise for smaller files (one read)


def detail_text(state: UploadState) -> str:
    """The figures line under an upload's bar: the same in every view of an upload.

    Examples
    --------
    >>> state = UploadState(name="a.mp4", total=2_000_000)
    >>> state.apply(phase="uploading", progress=0.5, sent=1_000_000, rate=500_000.0, eta=2.0)
    >>> detail_text(state)
    '50% · 1.0 MB of 2.0 MB · 0.50 MB/s · 2 s left'
    """
    if state.phase == "uploading":
        return " · ".join(state.figures())
    if state.phase == "converting":
        figures = state.figures()
        return f"converting {figures[0]}" if figures else "converting…"
    if state.phase == "ready":
        done = "done"
        if state.total:
            done += f" · {format_bytes(state.total)} uploaded"
            if state.rate and state.total >= _RATE_FROM_BYTES:
                done += f" at {format_rate(state.rate)}"
        return done
    return {"initiating": "initiating…"}.get(state.phase, state.phase)


def announcement(state: UploadState) -> str:
    """What a screen reader hears when an upload reaches a new phase (not on each percent).

    Examples
    --------
    >>> state = UploadState(name="a.mp4")
    >>> state.apply(phase="ready", file_code="1700000000-AbCdEf")
    >>> announcement(state)
    'a.mp4: done, file code 1700000000-AbCdEf'
    """
    name = state.name or "upload"
    if state.phase == "ready":
        return f"{name}: done" + (f", file code {state.file_code}" if state.file_code else "")
    if state.phase == "failed":
        return f"{name}: failed: {state.error}"
    if state.phase == "cancelled":
        return f"{name}: {state.state or 'cancelled'}"
    return f"{name}: {state.phase}"


def upload_html(state: UploadState) -> str:
    """What a saved notebook shows of an upload: the file's card once ready, else where it
    stands (standalone HTML: the thumbnail inlined small, no key or token).

    Examples
    --------
    >>> state = UploadState(name="a.mp4")
    >>> state.apply(phase="failed", error="[10006] File too large")
    >>> "a.mp4" in upload_html(state), "[10006] File too large" in upload_html(state)
    (True, True)
    """
    name = state.name or "upload"
    if state.phase == "ready" and state.info is not None:
        info = state.info
        if state.thumbnail:
            info = info.with_thumbnail_image(state.thumbnail)
        size = f" ({format_bytes(state.total)})" if state.total else ""
        return str(info.card_html(note=f"uploaded {name}{size}"))
    if state.phase == "ready":
        return status_html(name, f"uploaded as {state.file_code}")
    if state.phase == "failed":
        kept = f" (file {state.file_code} kept)" if state.file_code else ""
        return status_html(name, state.error + kept, error=True)
    if state.phase == "cancelled":
        return status_html(name, state.state or "cancelled")
    return status_html(name, f"{state.phase}…")
