"""Datasets and their immutable, content-addressed versions; readers, profiling and import."""
