"""Batch inference jobs: checking a request, running the worker runtime, storing predictions."""
