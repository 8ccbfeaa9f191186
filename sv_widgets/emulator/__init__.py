"""A faithful local SpareVideos service: API, upload server, thumbnails and media.

Start it with ``python -m sv_widgets.emulator``, as a context manager
(``with Emulator() as emu: ...``), in a child process (:class:`EmulatorProcess`), or in pytest
through the ``sv_emulator`` fixture; code that takes either writes :class:`EmulatorHandle`. See
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
    "EmulatorHandle",
    "EmulatorProcess",
    "FaultRule",
    "make_sample_clip",
]

_LAZY = {
    "Emulator": "sv_widgets.emulator.runtime.server",
    "DEFAULT_MAX_UPLOAD_BYTES": "sv_widgets.emulator.runtime.server",
    "EmulatorHandle": "sv_widgets.emulator.runtime.handle",
    "EmulatorProcess": "sv_widgets.emulator.runtime.process",
    "FaultRule": "sv_widgets.emulator.http.faults",
    "make_sample_clip": "sv_widgets.emulator.media.pipeline",
}
#: What each lazy name needs from the ``emulator`` extra (checked before importing it).
_NEEDS = {"Emulator": ("server", "media"), "make_sample_clip": ("media",)}

if TYPE_CHECKING:  # pragma: no cover
    from sv_widgets.emulator.http.faults import FaultRule
    from sv_widgets.emulator.media.pipeline import make_sample_clip
    from sv_widgets.emulator.runtime.handle import EmulatorHandle
    from sv_widgets.emulator.runtime.process import EmulatorProcess
    from sv_widgets.emulator.runtime.server import DEFAULT_MAX_UPLOAD_BYTES, Emulator

    def _both_are_handles(emulator: Emulator, process: EmulatorProcess) -> list[EmulatorHandle]:
        return [emulator, process]  # mypy holds both to the protocol, member by member


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'sv_widgets.emulator' has no attribute {name!r}")
    if name in _NEEDS:
        from sv_widgets.emulator.runtime import extra

        groups = {"server": extra.SERVER, "media": extra.MEDIA}
        extra.require_extra(tuple(m for group in _NEEDS[name] for m in groups[group]))
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
