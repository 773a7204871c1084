"""Stored metrics and reports shaped into the rows the registry's admin pages show: metrics
side by side with the best value marked, per-class reports, confusion matrices. No requests here."""
import json

from indus.plugins.contract import Better, metric_named
from indus.registry.models import ModelVersion

DIRECTIONS = {Better.HIGHER: 1, Better.LOWER: -1, Better.NEITHER: 0}
PER_CLASS_SCORES = ("precision", "recall", "f1", "support")


def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def show(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        # 4 decimals for scores; small or huge numbers (a learning rate) keep their digits.
        return f"{value:.4f}" if value == 0 or 1e-3 <= abs(value) < 1e6 else f"{value:.4g}"
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    return str(value)


def metric_label(name: str) -> str:
    return name.removeprefix("test_")


def better_direction(name: str) -> int:
    """+1 when larger is better, -1 when smaller is, 0 when neither, as the metric's declaration
    says (`indus.plugins.contract.METRICS`); 0 for a name nothing declares: no best is marked
    rather than a guessed one."""
    metric = metric_named(metric_label(name))
    return DIRECTIONS[metric.better] if metric else 0


def task_metric_names(task_name: str) -> tuple[str, ...]:
    from indus.plugins.manager import get_registry

    registry = get_registry()
    # A model trained with a binding serves its template, which declares the metrics.
    task = registry.tasks.get(task_name) or registry.templates.get(task_name)
    return tuple(task.metrics) if task else ()


def ordered_metric_names(all_metrics: list[dict], task_metrics: tuple[str, ...]) -> list[str]:
    """Every metric name any version stores: the task's declared metrics first, then the rest."""
    present = set().union(*(metrics.keys() for metrics in all_metrics)) if all_metrics else set()
    first = []
    for name in task_metrics:
        for key in (f"test_{name}", name):
            if key in present and key not in first:
                first.append(key)
    return first + sorted(present - set(first))


def best_value(name: str, values: list):
    """The best of the row's numbers, or None when there is no contest (fewer than two numbers,
    all equal, or a metric without a better direction)."""
    numbers = [value for value in values if is_number(value)]
    direction = better_direction(name)
    if direction == 0 or len(numbers) < 2 or len(set(numbers)) == 1:
        return None
    return max(numbers) if direction > 0 else min(numbers)


def metric_rows(
    versions: list[ModelVersion], task_metrics: tuple[str, ...], *, with_difference: bool = False
) -> list[dict]:
    """One row per metric, one cell per version; the best value of a row is flagged, and with
    `with_difference` each cell after the first says how far it is from the first version."""
    task_metrics = tuple(task_metrics)
    declared = {f"test_{name}" for name in task_metrics} | set(task_metrics)
    rows = []
    for name in ordered_metric_names([version.metrics or {} for version in versions], task_metrics):
        values = [(version.metrics or {}).get(name) for version in versions]
        best = best_value(name, values)
        reference = values[0] if values else None
        cells = []
        for index, value in enumerate(values):
            cell = {"text": show(value), "best": best is not None and value == best}
            if with_difference and index > 0 and is_number(value) and is_number(reference):
                difference = value - reference
                direction = better_direction(name)
                cell["difference"] = f"{difference:+.4f}"
                cell["trend"] = (
                    "same" if difference == 0 or direction == 0
                    else "better" if difference * direction > 0 else "worse"
                )
            cells.append(cell)
        rows.append({"name": name, "label": metric_label(name), "declared": name in declared, "cells": cells})
    return rows


def baseline_value(baseline: dict, name: str):
    """The baseline's score for a metric: stored under the metric's name (accuracy) or as
    `<name>_of_<statistic>` (mae_of_median)."""
    label = metric_label(name)
    if label in baseline:
        return baseline[label]
    return next((value for key, value in baseline.items() if key.startswith(f"{label}_of_")), None)


def version_metric_rows(version: ModelVersion, task_metrics) -> tuple[list[dict], dict]:
    baseline = (version.reports or {}).get("baseline")
    baseline = baseline if isinstance(baseline, dict) else {}
    rows = []
    for row in metric_rows([version], task_metrics):
        value = (version.metrics or {}).get(row["name"])
        row["value"] = row["cells"][0]["text"]
        reference = baseline_value(baseline, row["name"]) if baseline else None
        row["baseline"] = show(reference) if reference is not None else ""
        if is_number(value) and is_number(reference):
            direction = better_direction(row["name"])
            row["versus_baseline"] = f"{value - reference:+.4f}"
            row["beats_baseline"] = direction != 0 and (value - reference) * direction > 0
        rows.append(row)
    return rows, baseline


def per_class_rows(reports: dict) -> list[dict]:
    per_class = (reports or {}).get("per_class")
    if not isinstance(per_class, dict):
        return []
    return [
        {"label": label,
         "scores": [show(scores.get(score)) if isinstance(scores, dict) else "—" for score in PER_CLASS_SCORES]}
        for label, scores in per_class.items()
    ]


def average_rows(reports: dict) -> list[dict]:
    averages = (reports or {}).get("averages")
    if not isinstance(averages, dict):
        return []
    return [
        {"label": f"{kind} average", "scores": [show(scores.get(score)) for score in PER_CLASS_SCORES]}
        for kind, scores in averages.items()
        if isinstance(scores, dict)
    ]


def confusion_matrix(reports: dict) -> dict | None:
    """The stored confusion matrix (rows: true class, columns: predicted) with each cell's share
    of its row, which colours it; None when the version stores none or a malformed one."""
    stored = (reports or {}).get("confusion_matrix")
    if not isinstance(stored, dict):
        return None
    labels, matrix = stored.get("labels") or [], stored.get("matrix") or []
    if not matrix or len(matrix) != len(labels) or any(len(row) != len(labels) for row in matrix):
        return None
    rows = []
    for label, counts in zip(labels, matrix):
        total = sum(counts)
        cells = []
        for predicted, count in zip(labels, counts):
            share = count / total if total else 0.0
            cells.append({
                "count": count,
                "share": share,
                "percent": f"{share:.0%}",
                "diagonal": predicted == label,
                # Django admin's blue, as opaque as the share; light text on dark cells.
                "style": f"background-color: rgba(65, 118, 144, {share:.3f}); "
                         f"color: {'#fff' if share > 0.5 else 'inherit'};",
            })
        rows.append({"label": str(label), "cells": cells, "total": total})
    return {"labels": [str(label) for label in labels], "rows": rows}


RENDERED_REPORTS = {"per_class", "averages", "confusion_matrix", "baseline", "baselines", "verdict"}


def other_reports(reports: dict) -> str:
    rest = {key: value for key, value in (reports or {}).items() if key not in RENDERED_REPORTS}
    return json.dumps(rest, indent=2, sort_keys=True) if rest else ""


