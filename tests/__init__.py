"""The sv-widgets test suite: folders mirror the package (see docs/architecture.md)."""
