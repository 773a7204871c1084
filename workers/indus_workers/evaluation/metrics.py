"""One entry point that scores any task kind's predictions and returns JSON-ready results.

The worker calls `evaluate(task, truth, predictions)` after training or an evaluate job, with
plain numpy arrays (or lists) and the typed task a plugin declared (a contract `Task`). The result
goes into the job's metrics and the model card as it is: every value is a Python float, int,
str, list or dict, and an undefined number (an AUC with one class present, MAPE with every
truth 0) is None, never NaN, because JSON has no NaN and a stored NaN breaks the API's output.
"""
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from indus.plugins.contract import TargetKind, Task
from indus_workers.evaluation.classification import (
    evaluate_classes,
    evaluate_multi_label,
    evaluate_ordinal,
    majority_class_baseline,
    majority_labels_baseline,
)
from indus_workers.evaluation.numeric import (
    constant_baseline,
    evaluate_forecast,
    evaluate_quantiles,
    evaluate_regression,
)
from indus_workers.evaluation.ranking import evaluate_ranking, popularity_baseline
from indus_workers.evaluation.sequences import evaluate_token_tags, majority_tag_baseline

# Metric names a task may ask for that other parts of the runtime report: the trainer logs the loss.
REPORTED_ELSEWHERE = frozenset({"loss"})


@dataclass(frozen=True)
class KindMetrics:
    """How one target kind is scored. `evaluate(task, truth, predictions) -> (metrics, reports)`;
    `baseline(task, truth)` scores the best input-blind prediction, the bar a model must clear."""

    evaluate: Callable[[Task, Any, dict], tuple[dict, dict]]
    baseline: Callable[[Task, Any], dict]
    # Names plugins use for a metric this kind computes under a more exact name.
    aliases: dict[str, str] = field(default_factory=dict)


KINDS: dict[TargetKind, KindMetrics] = {
    TargetKind.CLASSES: KindMetrics(evaluate_classes, majority_class_baseline),
    TargetKind.ORDINAL: KindMetrics(evaluate_ordinal, majority_class_baseline, aliases={"mae": "mae_levels"}),
    TargetKind.MULTI_LABEL: KindMetrics(evaluate_multi_label, majority_labels_baseline),
    TargetKind.REGRESSION: KindMetrics(evaluate_regression, constant_baseline),
    TargetKind.QUANTILES: KindMetrics(evaluate_quantiles, constant_baseline),
    TargetKind.FORECAST: KindMetrics(evaluate_forecast, constant_baseline),
    TargetKind.TOKEN_TAGS: KindMetrics(evaluate_token_tags, majority_tag_baseline),
    TargetKind.RANKING: KindMetrics(evaluate_ranking, popularity_baseline),
}


@dataclass
class Evaluation:
    metrics: dict[str, float | None]  # every metric of the kind, and each one the task asked for
    reports: dict  # per-class reports, confusion matrix, summaries, the baseline
    unsupported: list[str] = field(default_factory=list)  # names the task asked for that no kind computes here

    def as_dict(self) -> dict:
        return asdict(self)


def json_ready(value):
    """value with numpy scalars and arrays made Python ones, and NaN or infinity made None."""
    if isinstance(value, dict):
        return {str(key): json_ready(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [json_ready(item) for item in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _kind_metrics(task: Task, truth) -> KindMetrics:
    kind = task.target.kind
    if kind not in KINDS:
        raise ValueError(f"no metrics for target kind {kind!r}; known kinds: {', '.join(KINDS)}")
    if len(truth) == 0:
        raise ValueError("nothing to evaluate: the truth has no rows")
    return KINDS[kind]


def evaluate(task: Task, truth, predictions: dict) -> Evaluation:
    """Score predictions against the truth for the task's target kind (see each kind's module
    for the shapes it takes). Raises ValueError when shapes or labels do not fit the task."""
    kind_metrics = _kind_metrics(task, truth)
    metrics, reports = kind_metrics.evaluate(task, truth, predictions)
    reports["baseline"] = kind_metrics.baseline(task, truth)
    unsupported = []
    for name in task.metrics:
        if name in kind_metrics.aliases:
            metrics[name] = metrics[kind_metrics.aliases[name]]
        elif name not in metrics and name not in REPORTED_ELSEWHERE:
            unsupported.append(name)
    return Evaluation(metrics=json_ready(metrics), reports=json_ready(reports), unsupported=unsupported)


def majority_baseline(task: Task, truth) -> dict:
    """What the best prediction that ignores the inputs scores on this truth: the commonest
    class or tag, a constant value, the most popular items. Also in `evaluate(...).reports`."""
    return json_ready(_kind_metrics(task, truth).baseline(task, truth))
