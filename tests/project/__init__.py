"""Checks of the repository as a whole: code shape, doctests, notebooks, benchmarks."""
