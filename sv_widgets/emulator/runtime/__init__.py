"""Running the emulator: in a thread of this process or as a child process.

:mod:`.server` holds :class:`~sv_widgets.emulator.Emulator` (one store, one service, one
uvicorn server on a background thread); :mod:`.process` holds
:class:`~sv_widgets.emulator.EmulatorProcess` (``python -m sv_widgets.emulator`` in a child);
:mod:`.extra` says what to install when the ``emulator`` extra is missing.
"""
