"""Not a module to import: this file only makes pytest load ``notebooks/conftest.py`` under a
name of its own (``notebooks.conftest``), so that it never stands in for ``tests/conftest.py``
when both directories are collected in one run."""
