"""Tests of sv_widgets.emulator."""
