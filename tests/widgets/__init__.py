"""Tests of sv_widgets.widgets."""
