"""Benchmarks of `make bench`: the platform against the plain approach, in one run."""
