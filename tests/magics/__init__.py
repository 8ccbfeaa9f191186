"""Tests of sv_widgets.magics."""
