"""Precision, recall and F1 per class, with their averages, built from counts.

Every kind that predicts labels (one class of several, any subset of labels, entity spans)
reduces to three counts per class: hits, predictions and truths. Building the report from those
counts rather than from the rows keeps it one pass over the data (a confusion matrix, column
sums or a set of spans), and gives every kind the same JSON shape, so a report renders one way
whatever the task:

    {"per_class": {label: {"precision", "recall", "f1", "support"}},
     "averages": {"micro" | "macro" | "weighted": {"precision", "recall", "f1", "support"}}}

A ratio whose denominator is zero counts as 0, as scikit-learn's `zero_division=0` does, so a
class that is never predicted drags the macro average down instead of vanishing from it.
"""
from collections.abc import Sequence

import numpy as np


def divide(numerator, denominator) -> np.ndarray:
    """numerator / denominator elementwise, 0 where the denominator is 0."""
    numerator, denominator = np.broadcast_arrays(np.asarray(numerator, float), np.asarray(denominator, float))
    return np.divide(numerator, denominator, out=np.zeros(numerator.shape), where=denominator != 0)


def _scores(hits, predicted, actual) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # F1 as 2·hits / (predicted + actual) equals the harmonic mean of precision and recall
    # wherever both are defined, and is 0 (not NaN) where they are not.
    return divide(hits, predicted), divide(hits, actual), divide(2 * np.asarray(hits, float), np.add(predicted, actual))


def _row(precision, recall, f1, support) -> dict:
    return {"precision": float(precision), "recall": float(recall), "f1": float(f1), "support": int(support)}


def counts_report(labels: Sequence[str], hits, predicted, actual) -> dict:
    """The per-class report from per-class counts of hits, predictions and truths."""
    hits, predicted, actual = (np.asarray(counts, float) for counts in (hits, predicted, actual))
    precision, recall, f1 = _scores(hits, predicted, actual)
    total_support = actual.sum()
    support_weights = divide(actual, total_support)
    per_class = {
        str(label): _row(*scores, support)
        for label, *scores, support in zip(labels, precision, recall, f1, actual, strict=True)
    }
    if not per_class:  # nothing to average: e.g. token tags with no entity in truth or prediction
        zero = _row(0.0, 0.0, 0.0, 0)
        return {"per_class": {}, "averages": {"micro": zero, "macro": dict(zero), "weighted": dict(zero)}}
    averages = {
        "micro": _row(*_scores(hits.sum(), predicted.sum(), actual.sum()), total_support),
        "macro": _row(precision.mean(), recall.mean(), f1.mean(), total_support),
        "weighted": _row(precision @ support_weights, recall @ support_weights, f1 @ support_weights, total_support),
    }
    return {"per_class": per_class, "averages": averages}
