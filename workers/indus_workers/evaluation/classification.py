"""Metrics for label predictions: one class of several, ordered levels, any subset of labels.

Everything per class comes from one confusion matrix (a single `bincount` over the rows), so
a million rows cost one pass plus one sort per class for the curve areas. Each kind has a
mergeable partial of some rows (`*_partial`, counts and score tables) and its scores from the
merged partial of all rows (`*_scores`); see `partials`.
"""
import re

import numpy as np

from indus.plugins.contract import Task
from indus_workers.evaluation.counts import counts_report, divide
from indus_workers.evaluation.curves import curve_areas, score_table, tie_share
from indus_workers.evaluation.ranking import checked_scores, presentation_top_k, requested_cutoffs, truth_ranks

MULTI_LABEL_THRESHOLD = 0.5  # a label is predicted when its probability is at least this
TOP_K_ACCURACY_METRIC = re.compile(r"^top_(\d+)_accuracy$")


def class_labels(task: Task, columns: int) -> list[str]:
    labels = [str(label) for label in task.target.labels]
    if not labels:  # labels the plugin could not know in advance: name the columns
        return [str(column) for column in range(columns)]
    if len(labels) != columns:
        raise ValueError(f"the task has {len(labels)} labels but the probabilities have {columns} columns")
    return labels


def _confusion_matrix(truth: np.ndarray, predicted: np.ndarray, classes: int) -> np.ndarray:
    """Rows are the true class, columns the predicted one."""
    return np.bincount(truth * classes + predicted, minlength=classes * classes).reshape(classes, classes)


def positive_class(task: Task, labels: list[str]) -> int:
    """The class whose probability a binary task is judged by: the presentation's
    positive_label, or the second label (the usual 'no, yes' order) when it names none."""
    positive_label = task.presentation.positive_label
    if not positive_label:
        return 1
    if positive_label not in labels:
        raise ValueError(f"positive_label {positive_label!r} is not one of the labels {labels}")
    return labels.index(positive_label)


def _area_metrics(task: Task, labels: list[str], tables: list[dict], true_counts: np.ndarray) -> tuple[dict, dict]:
    """roc_auc and pr_auc: of the positive class for two classes, else the one-vs-rest macro
    average, which is None when a class is absent from the truth (its curve does not exist,
    and averaging the others would quietly change what the number means)."""
    if len(labels) == 2:
        index = positive_class(task, labels)
        roc_auc, pr_auc = curve_areas(tables[0])
        areas = {"roc_auc": roc_auc, "pr_auc": pr_auc}
        positive = {"label": labels[index], "prevalence": float(true_counts[index] / true_counts.sum()), **areas}
        return areas, {"positive_class": {**positive, **_snapping_bound(tables[0])}}
    per_class = [curve_areas(table) for table in tables]
    complete = all(roc_auc is not None for roc_auc, _ in per_class)
    metrics = {
        "roc_auc": float(np.mean([roc_auc for roc_auc, _ in per_class])) if complete else None,
        "pr_auc": float(np.mean([pr_auc for _, pr_auc in per_class])) if complete else None,
    }
    areas = {
        label: {"roc_auc": roc_auc, "pr_auc": pr_auc, **_snapping_bound(table)}
        for label, (roc_auc, pr_auc), table in zip(labels, per_class, tables)
    }
    return metrics, {"curve_areas": areas}


def _snapping_bound(table: dict) -> dict:
    """For a set large enough that its scores were snapped to a grid (see `partials`), how far
    its ROC AUC can be from the exact one; nothing for an exact table."""
    return {"roc_auc_within": tie_share(table) / 2} if table["binned"] else {}


def _truth_rank_counts(truth: np.ndarray, probabilities: np.ndarray) -> list[int]:
    """How many rows have their truth at each rank (0 = likeliest); a row whose truth has no
    rank (a NaN probability) is in none, and so never among the top k."""
    # Ties count against the truth (see truth_ranks): on tied probabilities this can be below
    # scikit-learn's top_k_accuracy_score, which counts a tie for the k-th place as a hit.
    ranks = truth_ranks(probabilities, truth)
    return np.bincount(ranks[np.isfinite(ranks)].astype(np.int64), minlength=probabilities.shape[1]).tolist()


def _top_k_accuracies(task: Task, rank_counts: list[int] | None, rows: int) -> dict:
    if rank_counts is None:  # two classes: top-2 is always right, nothing to learn from it
        return {}
    within = np.cumsum(rank_counts)
    metrics = {
        f"top_{k}_accuracy": float(within[min(k, len(within)) - 1] / rows)
        for k in requested_cutoffs(task, TOP_K_ACCURACY_METRIC)
    }
    metrics["top_k_accuracy"] = metrics[f"top_{presentation_top_k(task)}_accuracy"]
    return metrics


def _checked_classes(task: Task, truth, predictions: dict) -> tuple[list[str], np.ndarray, np.ndarray]:
    truth, probabilities = checked_scores(truth, predictions, "probabilities")
    labels = class_labels(task, probabilities.shape[1])
    if truth.min() < 0 or truth.max() >= len(labels):
        raise ValueError(f"truth holds class indices outside 0..{len(labels) - 1}")
    return labels, truth, probabilities


def classes_partial(task: Task, truth, predictions: dict) -> dict:
    """The mergeable state of these rows (see `partials`): the confusion matrix, the score
    table of each class whose curves are reported, and, past two classes, the truth's ranks."""
    labels, truth, probabilities = _checked_classes(task, truth, predictions)
    confusion = _confusion_matrix(truth, probabilities.argmax(axis=1), len(labels))
    curve_classes = [positive_class(task, labels)] if len(labels) == 2 else range(len(labels))
    partial = {
        "confusion": confusion.tolist(),
        "score_tables": [score_table(truth == index, probabilities[:, index]) for index in curve_classes],
    }
    if len(labels) > 2:
        partial["truth_rank_counts"] = _truth_rank_counts(truth, probabilities)
    return partial


def _classes_with_confusion(task: Task, partial: dict) -> tuple[dict, dict, np.ndarray]:
    confusion = np.asarray(partial["confusion"], np.int64)
    labels = class_labels(task, len(confusion))
    rows = int(confusion.sum())
    true_counts, predicted_counts = confusion.sum(axis=1), confusion.sum(axis=0)
    report = counts_report(labels, np.diag(confusion), predicted_counts, true_counts)
    area_metrics, area_reports = _area_metrics(task, labels, partial["score_tables"], true_counts)
    recalls_of_present = divide(np.diag(confusion), true_counts)[true_counts > 0]
    metrics = {
        "accuracy": float(np.trace(confusion) / rows),
        # the mean recall over the classes present in the truth, as scikit-learn defines it
        "balanced_accuracy": float(recalls_of_present.mean()),
        "macro_f1": report["averages"]["macro"]["f1"],
        "weighted_f1": report["averages"]["weighted"]["f1"],
        "majority_class_accuracy": float(true_counts.max() / rows),
        **area_metrics,
        **_top_k_accuracies(task, partial.get("truth_rank_counts"), rows),
    }
    if len(labels) == 2:  # a binary task's precision, recall and F1 are those of its positive class
        positive_row = report["per_class"][area_reports["positive_class"]["label"]]
        metrics.update({name: positive_row[name] for name in ("precision", "recall", "f1")})
    reports = {**report, **area_reports, "confusion_matrix": {"labels": labels, "matrix": confusion.tolist()}}
    return metrics, reports, confusion


def classes_scores(task: Task, partial: dict, truth_partial: dict) -> tuple[dict, dict]:
    metrics, reports, _ = _classes_with_confusion(task, partial)
    return metrics, reports


def ordinal_scores(task: Task, partial: dict, truth_partial: dict) -> tuple[dict, dict]:
    """The class metrics, plus the two that know the levels are ordered: quadratic kappa
    (a miss by two levels costs four times a miss by one) and the mean error in levels."""
    metrics, reports, confusion = _classes_with_confusion(task, partial)
    levels = np.arange(len(confusion))
    squared_distance = np.subtract.outer(levels, levels) ** 2
    rows = confusion.sum()
    # Kappa from the confusion matrix: cohen_kappa_score(weights="quadratic")'s formula,
    # without counting the rows a second time.
    chance_confusion = np.outer(confusion.sum(axis=1), confusion.sum(axis=0)) / rows
    chance_cost = float((squared_distance * chance_confusion).sum())
    observed_cost = float((squared_distance * confusion).sum())
    metrics["quadratic_kappa"] = 1.0 - observed_cost / chance_cost if chance_cost else None
    metrics["mae_levels"] = float((np.sqrt(squared_distance) * confusion).sum() / rows)
    return metrics, reports


def class_counts(task: Task, truth) -> dict:
    """The truth's mergeable state for the baseline: rows per class."""
    return {"class_counts": np.bincount(np.asarray(truth, np.int64), minlength=len(task.target.labels)).tolist()}


def majority_class_baseline(task: Task, truth_partial: dict) -> dict:
    """What predicting the commonest class for every row scores: the bar a model must clear."""
    labels = task.target.labels
    counts = np.asarray(truth_partial["class_counts"], np.int64)
    majority = int(counts.argmax())
    label = str(labels[majority]) if majority < len(labels) else str(majority)
    return {"strategy": "majority_class", "label": label, "accuracy": float(counts[majority] / counts.sum())}


def _checked_multi_hot(task: Task, truth, predictions: dict) -> tuple[list[str], np.ndarray, np.ndarray]:
    truth = np.asarray(truth).astype(bool)
    probabilities = np.asarray(predictions["probabilities"], float)
    if truth.ndim != 2 or probabilities.shape != truth.shape:
        raise ValueError(
            f"multi-label truth {truth.shape} and probabilities {probabilities.shape} must both be (rows, labels)"
        )
    return class_labels(task, truth.shape[1]), truth, probabilities


def multi_label_partial(task: Task, truth, predictions: dict) -> dict:
    _, truth, probabilities = _checked_multi_hot(task, truth, predictions)
    predicted = probabilities >= MULTI_LABEL_THRESHOLD
    return {
        "rows": len(truth),
        "hits": (truth & predicted).sum(axis=0).tolist(),
        "predicted": predicted.sum(axis=0).tolist(),
        "actual": truth.sum(axis=0).tolist(),
        "exact_rows": int((truth == predicted).all(axis=1).sum()),
        "wrong_labels": int((truth != predicted).sum()),
    }


def multi_label_scores(task: Task, partial: dict, truth_partial: dict) -> tuple[dict, dict]:
    labels = class_labels(task, len(partial["actual"]))
    report = counts_report(labels, partial["hits"], partial["predicted"], partial["actual"])
    metrics = {
        "micro_f1": report["averages"]["micro"]["f1"],
        "macro_f1": report["averages"]["macro"]["f1"],
        "weighted_f1": report["averages"]["weighted"]["f1"],
        "subset_accuracy": float(partial["exact_rows"] / partial["rows"]),
        "hamming_loss": float(partial["wrong_labels"] / (partial["rows"] * len(labels))),
    }
    return metrics, {**report, "threshold": MULTI_LABEL_THRESHOLD}


def _label_set_key(labels: np.ndarray) -> str:
    return np.packbits(labels).tobytes().hex()


def label_set_counts(task: Task, truth) -> dict:
    """The truth's mergeable state for the baseline: rows per label, and rows per distinct set
    of labels (as many entries as the data has distinct sets, usually far fewer than rows)."""
    truth = np.asarray(truth).astype(bool)
    distinct, counts = np.unique(truth, axis=0, return_counts=True)
    return {
        "rows": len(truth),
        "label_counts": truth.sum(axis=0).tolist(),
        "label_sets": {_label_set_key(labels): int(count) for labels, count in zip(distinct, counts)},
    }


def majority_labels_baseline(task: Task, truth_partial: dict) -> dict:
    """Predicting, for every row, each label that most rows have (usually none of them)."""
    rows = truth_partial["rows"]
    common = np.asarray(truth_partial["label_counts"]) / rows > 0.5
    labels = class_labels(task, common.size)
    return {
        "strategy": "majority_labels",
        "labels": [label for label, is_common in zip(labels, common) if is_common],
        "subset_accuracy": float(truth_partial["label_sets"].get(_label_set_key(common), 0) / rows),
    }
