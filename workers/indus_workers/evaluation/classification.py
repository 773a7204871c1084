"""Metrics for label predictions: one class of several, ordered levels, any subset of labels.

Everything per class comes from one confusion matrix (a single `bincount` over the rows), so
a million rows cost one pass plus one sort per class for the curve areas.
"""
import re

import numpy as np

from indus.plugins.contract import Task
from indus_workers.evaluation.counts import counts_report, divide
from indus_workers.evaluation.curves import curve_areas
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


def _area_metrics(task: Task, labels: list[str], truth: np.ndarray, probabilities: np.ndarray) -> tuple[dict, dict]:
    """roc_auc and pr_auc: of the positive class for two classes, else the one-vs-rest macro
    average, which is None when a class is absent from the truth (its curve does not exist,
    and averaging the others would quietly change what the number means)."""
    if len(labels) == 2:
        index = positive_class(task, labels)
        roc_auc, pr_auc = curve_areas(truth == index, probabilities[:, index])
        areas = {"roc_auc": roc_auc, "pr_auc": pr_auc}
        positive = {"label": labels[index], "prevalence": float(np.mean(truth == index)), **areas}
        return areas, {"positive_class": positive}
    per_class = [curve_areas(truth == index, probabilities[:, index]) for index in range(len(labels))]
    complete = all(roc_auc is not None for roc_auc, _ in per_class)
    metrics = {
        "roc_auc": float(np.mean([roc_auc for roc_auc, _ in per_class])) if complete else None,
        "pr_auc": float(np.mean([pr_auc for _, pr_auc in per_class])) if complete else None,
    }
    areas = {label: {"roc_auc": roc_auc, "pr_auc": pr_auc} for label, (roc_auc, pr_auc) in zip(labels, per_class)}
    return metrics, {"curve_areas": areas}


def _top_k_accuracies(task: Task, truth: np.ndarray, probabilities: np.ndarray) -> dict:
    classes = probabilities.shape[1]
    if classes <= 2:  # top-2 of two classes is always right: nothing to learn from it
        return {}
    # Ties count against the truth (see truth_ranks): on tied probabilities this can be below
    # scikit-learn's top_k_accuracy_score, which counts a tie for the k-th place as a hit.
    ranks = truth_ranks(probabilities, truth)
    metrics = {f"top_{k}_accuracy": float(np.mean(ranks < k)) for k in requested_cutoffs(task, TOP_K_ACCURACY_METRIC)}
    metrics["top_k_accuracy"] = metrics[f"top_{presentation_top_k(task)}_accuracy"]
    return metrics


def _checked_classes(task: Task, truth, predictions: dict) -> tuple[list[str], np.ndarray, np.ndarray]:
    truth, probabilities = checked_scores(truth, predictions, "probabilities")
    labels = class_labels(task, probabilities.shape[1])
    if truth.min() < 0 or truth.max() >= len(labels):
        raise ValueError(f"truth holds class indices outside 0..{len(labels) - 1}")
    return labels, truth, probabilities


def _classes_with_confusion(task: Task, truth, predictions: dict) -> tuple[dict, dict, np.ndarray]:
    labels, truth, probabilities = _checked_classes(task, truth, predictions)
    confusion = _confusion_matrix(truth, probabilities.argmax(axis=1), len(labels))
    true_counts, predicted_counts = confusion.sum(axis=1), confusion.sum(axis=0)
    report = counts_report(labels, np.diag(confusion), predicted_counts, true_counts)
    area_metrics, area_reports = _area_metrics(task, labels, truth, probabilities)
    recalls_of_present = divide(np.diag(confusion), true_counts)[true_counts > 0]
    metrics = {
        "accuracy": float(np.trace(confusion) / len(truth)),
        # the mean recall over the classes present in the truth, as scikit-learn defines it
        "balanced_accuracy": float(recalls_of_present.mean()),
        "macro_f1": report["averages"]["macro"]["f1"],
        "weighted_f1": report["averages"]["weighted"]["f1"],
        "majority_class_accuracy": float(true_counts.max() / len(truth)),
        **area_metrics,
        **_top_k_accuracies(task, truth, probabilities),
    }
    if len(labels) == 2:  # a binary task's precision, recall and F1 are those of its positive class
        positive_row = report["per_class"][area_reports["positive_class"]["label"]]
        metrics.update({name: positive_row[name] for name in ("precision", "recall", "f1")})
    reports = {**report, **area_reports, "confusion_matrix": {"labels": labels, "matrix": confusion.tolist()}}
    return metrics, reports, confusion


def evaluate_classes(task: Task, truth, predictions: dict) -> tuple[dict, dict]:
    metrics, reports, _ = _classes_with_confusion(task, truth, predictions)
    return metrics, reports


def evaluate_ordinal(task: Task, truth, predictions: dict) -> tuple[dict, dict]:
    """The class metrics, plus the two that know the levels are ordered: quadratic kappa
    (a miss by two levels costs four times a miss by one) and the mean error in levels."""
    metrics, reports, confusion = _classes_with_confusion(task, truth, predictions)
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


def majority_class_baseline(task: Task, truth) -> dict:
    """What predicting the commonest class for every row scores: the bar a model must clear."""
    truth = np.asarray(truth, np.int64)
    labels = task.target.labels
    counts = np.bincount(truth, minlength=len(labels))
    majority = int(counts.argmax())
    label = str(labels[majority]) if majority < len(labels) else str(majority)
    return {"strategy": "majority_class", "label": label, "accuracy": float(counts[majority] / truth.size)}


def _checked_multi_hot(task: Task, truth, predictions: dict) -> tuple[list[str], np.ndarray, np.ndarray]:
    truth = np.asarray(truth).astype(bool)
    probabilities = np.asarray(predictions["probabilities"], float)
    if truth.ndim != 2 or probabilities.shape != truth.shape:
        raise ValueError(
            f"multi-label truth {truth.shape} and probabilities {probabilities.shape} must both be (rows, labels)"
        )
    return class_labels(task, truth.shape[1]), truth, probabilities


def evaluate_multi_label(task: Task, truth, predictions: dict) -> tuple[dict, dict]:
    labels, truth, probabilities = _checked_multi_hot(task, truth, predictions)
    predicted = probabilities >= MULTI_LABEL_THRESHOLD
    report = counts_report(labels, (truth & predicted).sum(axis=0), predicted.sum(axis=0), truth.sum(axis=0))
    metrics = {
        "micro_f1": report["averages"]["micro"]["f1"],
        "macro_f1": report["averages"]["macro"]["f1"],
        "weighted_f1": report["averages"]["weighted"]["f1"],
        "subset_accuracy": float(np.mean((truth == predicted).all(axis=1))),
        "hamming_loss": float(np.mean(truth != predicted)),
    }
    return metrics, {**report, "threshold": MULTI_LABEL_THRESHOLD}


def majority_labels_baseline(task: Task, truth) -> dict:
    """Predicting, for every row, each label that most rows have (usually none of them)."""
    truth = np.asarray(truth).astype(bool)
    common = truth.mean(axis=0) > 0.5
    labels = class_labels(task, truth.shape[1])
    return {
        "strategy": "majority_labels",
        "labels": [label for label, is_common in zip(labels, common) if is_common],
        "subset_accuracy": float(np.mean((truth == common).all(axis=1))),
    }
