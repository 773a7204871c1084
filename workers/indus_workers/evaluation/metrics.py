"""One entry point that scores any task kind's predictions and returns JSON-ready results.

The worker calls `evaluate(task, truth, predictions)` after training or an evaluate job, with
plain numpy arrays (or lists) and the typed task a plugin declared (a contract `Task`). An
evaluation split into parts makes an `evaluation_partial` per part (counts, sums, sketches) and
`evaluation_from_partials` of them all; `evaluate` itself is one partial, merged, so both give
the same metrics by the same code. The result
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
    class_counts,
    classes_partial,
    classes_scores,
    label_set_counts,
    majority_class_baseline,
    majority_labels_baseline,
    multi_label_partial,
    multi_label_scores,
    ordinal_scores,
)
from indus_workers.evaluation.numeric import (
    constant_baseline,
    forecast_partial,
    forecast_scores,
    quantiles_partial,
    quantiles_scores,
    regression_partial,
    regression_scores,
    truth_values,
)
from indus_workers.evaluation.partials import merged
from indus_workers.evaluation.ranking import item_choices, popularity_baseline, ranking_partial, ranking_scores
from indus_workers.evaluation.sequences import majority_tag_baseline, tag_counts, token_tags_partial, token_tags_scores

# Metric names a task may ask for that other parts of the runtime report: the trainer logs the loss.
REPORTED_ELSEWHERE = frozenset({"loss"})


@dataclass(frozen=True)
class KindMetrics:
    """How one target kind is scored, from mergeable partials (see `partials`):
    `partial(task, truth, predictions)` is the state of some rows' predictions and
    `truth_partial(task, truth)` that of their truth alone; `scores(task, partial, truth_partial)`
    gives (metrics, reports) from the merged states of all rows, and `baseline(task, truth_partial)`
    scores the best input-blind prediction, the bar a model must clear."""

    partial: Callable[[Task, Any, dict], dict]
    scores: Callable[[Task, dict, dict], tuple[dict, dict]]
    truth_partial: Callable[[Task, Any], dict]
    baseline: Callable[[Task, dict], dict]
    # Names plugins use for a metric this kind computes under a more exact name.
    aliases: dict[str, str] = field(default_factory=dict)


KINDS: dict[TargetKind, KindMetrics] = {
    TargetKind.CLASSES: KindMetrics(classes_partial, classes_scores, class_counts, majority_class_baseline),
    TargetKind.ORDINAL: KindMetrics(
        classes_partial, ordinal_scores, class_counts, majority_class_baseline, aliases={"mae": "mae_levels"}
    ),
    TargetKind.MULTI_LABEL: KindMetrics(multi_label_partial, multi_label_scores, label_set_counts, majority_labels_baseline),
    TargetKind.REGRESSION: KindMetrics(regression_partial, regression_scores, truth_values, constant_baseline),
    TargetKind.QUANTILES: KindMetrics(quantiles_partial, quantiles_scores, truth_values, constant_baseline),
    TargetKind.FORECAST: KindMetrics(forecast_partial, forecast_scores, truth_values, constant_baseline),
    TargetKind.TOKEN_TAGS: KindMetrics(token_tags_partial, token_tags_scores, tag_counts, majority_tag_baseline),
    TargetKind.RANKING: KindMetrics(ranking_partial, ranking_scores, item_choices, popularity_baseline),
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


def _kind_metrics(task: Task) -> KindMetrics:
    kind = task.target.kind
    if kind not in KINDS:
        raise ValueError(f"no metrics for target kind {kind!r}; known kinds: {', '.join(KINDS)}")
    return KINDS[kind]


def _refuse_empty(rows: int) -> None:
    if rows == 0:
        raise ValueError("nothing to evaluate: the truth has no rows")


def evaluation_partial(task: Task, truth, predictions: dict) -> dict:
    """The JSON-ready, mergeable state of these rows' predictions (see `partials`): what one part
    of a sharded evaluation sends back. Rows without any truth give a partial that merges as
    nothing. Raises ValueError when shapes or labels do not fit the task."""
    kind_metrics = _kind_metrics(task)
    partial = {"kind": str(task.target.kind), "rows": len(truth)}
    if len(truth):
        partial["predictions"] = kind_metrics.partial(task, truth, predictions)
        partial["truth"] = kind_metrics.truth_partial(task, truth)
    return partial


def evaluation_from_partials(task: Task, partials: list[dict]) -> Evaluation:
    """The evaluation of all the partials' rows, as `evaluate` would score them in one pass
    (partials in row order, which only the order of a tally's keys depends on)."""
    kind_metrics = _kind_metrics(task)
    whole = merged(partials)
    _refuse_empty(whole["rows"])
    metrics, reports = kind_metrics.scores(task, whole["predictions"], whole["truth"])
    reports["baseline"] = kind_metrics.baseline(task, whole["truth"])
    unsupported = []
    for name in task.metrics:
        if name in kind_metrics.aliases:
            metrics[name] = metrics[kind_metrics.aliases[name]]
        elif name not in metrics and name not in REPORTED_ELSEWHERE:
            unsupported.append(name)
    return Evaluation(metrics=json_ready(metrics), reports=json_ready(reports), unsupported=unsupported)


def evaluate(task: Task, truth, predictions: dict) -> Evaluation:
    """Score predictions against the truth for the task's target kind (see each kind's module
    for the shapes it takes): one partial of every row, merged. Raises ValueError when shapes
    or labels do not fit the task."""
    _refuse_empty(len(truth))
    return evaluation_from_partials(task, [evaluation_partial(task, truth, predictions)])


def majority_baseline(task: Task, truth) -> dict:
    """What the best prediction that ignores the inputs scores on this truth: the commonest
    class or tag, a constant value, the most popular items. Also in `evaluate(...).reports`."""
    kind_metrics = _kind_metrics(task)
    _refuse_empty(len(truth))
    return json_ready(kind_metrics.baseline(task, kind_metrics.truth_partial(task, truth)))
