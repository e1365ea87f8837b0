"""Benchmarks: run from the repository (`make bench`), not installed with the package."""
