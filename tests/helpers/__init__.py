"""What the tests share besides fixtures (those are in the conftest.py files).

``api``: raw HTTP to an emulator (:class:`~tests.helpers.api.EmulatorAPI`) and the shared
emulator's keys; ``process``: an emulator process spoken to over raw HTTP, for crash tests;
``dropzone_page``: a page of the upload area played in Python.
"""
