"""Evaluation of a model's predictions for every target kind: metrics, reports and baselines.

Django-free and torch-free: numpy arrays in, JSON-ready dicts out (see `metrics.evaluate`).
"""
from indus_workers.evaluation.metrics import (
    KINDS,
    Evaluation,
    evaluate,
    evaluation_from_partials,
    evaluation_partial,
    json_ready,
    majority_baseline,
)

__all__ = [
    "KINDS", "Evaluation", "evaluate", "evaluation_from_partials", "evaluation_partial", "json_ready", "majority_baseline",
]
