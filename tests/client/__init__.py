"""Tests of sv_widgets.client."""
