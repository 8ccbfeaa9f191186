"""Say what to install when the ``emulator`` extra is missing, before anything fails deep.

``pip install sv-widgets`` brings the client, the widgets and the magics; the emulator's
server stack and media libraries come with ``pip install "sv-widgets[emulator]"``. Importing
:class:`~sv_widgets.emulator.Emulator`, starting one, and the command line check here first,
so the error names the missing module and the command that installs it.
"""

from __future__ import annotations

import importlib.util

__all__ = ["INSTALL_HINT", "missing_module", "require_extra"]

INSTALL_HINT = 'pip install "sv-widgets[emulator]"'

#: Import names of the extra's distributions, in the order the error names them.
SERVER = ("starlette", "uvicorn", "python_multipart")
MEDIA = ("av", "PIL")


def missing_module(modules: tuple[str, ...] = SERVER + MEDIA) -> str | None:
    """The first of ``modules`` that is not installed, or ``None`` when all of them are.

    Looks the modules up without importing them, so the check costs microseconds.
    """
    return next((name for name in modules if importlib.util.find_spec(name) is None), None)


def require_extra(modules: tuple[str, ...] = SERVER + MEDIA) -> None:
    """Raise :class:`ImportError` naming the first of ``modules`` that is not installed."""
    name = missing_module(modules)
    if name is not None:
        raise ImportError(
            f"the SpareVideos emulator needs the module {name!r}, which is not installed; "
            f"install the emulator extra: {INSTALL_HINT}",
            name=name,
        )
