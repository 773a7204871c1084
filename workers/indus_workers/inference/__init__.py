"""Batch inference: a saved model over a large file, in chunks, resumable, in the worker process.

`run_inference(spec, events)` is the entry point; see `runner` for the stages of a job.
"""
from indus_workers.inference.cache import ModelCache
from indus_workers.inference.runner import run_inference
from indus_workers.inference.spec import InferenceSpec

__all__ = ["InferenceSpec", "ModelCache", "run_inference"]
