"""Tests of sv_widgets.uploads."""
