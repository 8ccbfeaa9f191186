"""A faithful local SpareVideos service: API, upload server, thumbnails and media.

Start it with ``python -m sv_widgets.emulator``, as a context manager
(``with Emulator() as emu: ...``), or in pytest through the ``sv_emulator`` fixture. See
the documentation's emulator pages (``docs/emulator-guide.md``, ``docs/emulator.md``) for
every option and every field it adds to the documented responses.

Names are imported lazily: ``import sv_widgets.emulator`` loads neither the server stack nor
PyAV until they are used. Without the ``emulator`` extra, importing :class:`Emulator` or
:func:`make_sample_clip` raises :class:`ImportError` naming the missing module and
``pip install "sv-widgets[emulator]"``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__all__ = [
    "DEFAULT_MAX_UPLOAD_BYTES",
    "Emulator",
    "EmulatorProcess",
    "FaultRule",
    "make_sample_clip",
]

_LAZY = {
    "Emulator": "sv_widgets.emulator.server",
    "DEFAULT_MAX_UPLOAD_BYTES": "sv_widgets.emulator.server",
    "EmulatorProcess": "sv_widgets.emulator.process",
    "FaultRule": "sv_widgets.emulator.faults",
    "make_sample_clip": "sv_widgets.emulator.media",
}
#: What each lazy name needs from the ``emulator`` extra (checked before importing it).
_NEEDS = {"Emulator": ("server", "media"), "make_sample_clip": ("media",)}

if TYPE_CHECKING:  # pragma: no cover
    from sv_widgets.emulator.faults import FaultRule
    from sv_widgets.emulator.media import make_sample_clip
    from sv_widgets.emulator.process import EmulatorProcess
    from sv_widgets.emulator.server import DEFAULT_MAX_UPLOAD_BYTES, Emulator


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'sv_widgets.emulator' has no attribute {name!r}")
    if name in _NEEDS:
        from sv_widgets.emulator import _extra

        groups = {"server": _extra.SERVER, "media": _extra.MEDIA}
        _extra.require_extra(tuple(m for group in _NEEDS[name] for m in groups[group]))
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
