"""A version's verdict and baselines as the admin shows them: a table of the model beside each
baseline on the task's metrics, and an inline SVG bar chart of the verdict's metric."""
from indus.plugins.verdict import is_flagged
from indus.registry.models import ModelVersion
from indus.registry.report_tables import show
from indus.registry.selectors import model_version_baselines, model_version_verdict

BAR_HEIGHT, BAR_GAP, LABEL_WIDTH, BAR_AREA, VALUE_WIDTH = 16, 6, 220, 360, 70
FAMILY_TITLES = {"trivial": "trivial", "classical": "classical", "model": "this version"}


def baseline_context(version: ModelVersion, task_metrics: list[str]) -> dict:
    verdict = model_version_verdict(version)
    baselines = model_version_baselines(version)
    candidates = baselines.get("candidates") or []
    metrics = version.metrics or {}
    wanted = dict.fromkeys([*([verdict["metric"]] if verdict.get("metric") else []), *task_metrics])
    names = [name for name in wanted if any(name in (c.get("metrics") or {}) for c in candidates)]
    rows = [
        {"name": name, "cells": [show(metrics.get(f"test_{name}")),
                                 *(show((c.get("metrics") or {}).get(name)) for c in candidates)]}
        for name in names
    ]
    return {
        "verdict": verdict,
        "verdict_flagged": is_flagged(verdict),
        "baselines": baselines,
        "baseline_headers": [{"name": "this version", "family": "model"}]
        + [{"name": c["name"], "family": c.get("family", "")} for c in candidates],
        "baseline_rows": rows,
        **baseline_chart(verdict, candidates),
    }


def baseline_chart(verdict: dict, candidates: list[dict]) -> dict:
    """Bars of the verdict's metric for the model and each baseline, longest = largest value."""
    metric = verdict.get("metric")
    if not metric:
        return {"baseline_bars": []}
    entries = [("this version", "model", verdict.get("model"))]
    entries += [(c["name"], c.get("family", ""), (c.get("metrics") or {}).get(metric)) for c in candidates]
    entries = [(name, family, value) for name, family, value in entries if isinstance(value, (int, float))]
    largest = max((abs(value) for _, _, value in entries), default=0) or 1.0
    bars = []
    for index, (name, family, value) in enumerate(entries):
        y = index * (BAR_HEIGHT + BAR_GAP)
        width = round(BAR_AREA * abs(value) / largest, 1)
        bars.append({
            "label": f"{name} ({FAMILY_TITLES.get(family, family)})", "family": family, "value": show(value),
            "y": y, "text_y": y + BAR_HEIGHT - 4, "x": LABEL_WIDTH, "width": width,
            "label_x": LABEL_WIDTH - 6, "value_x": LABEL_WIDTH + width + 6,
        })
    return {
        "baseline_bars": bars,
        "baseline_chart_metric": metric,
        "baseline_chart_better": verdict.get("better"),
        "baseline_chart_width": LABEL_WIDTH + BAR_AREA + VALUE_WIDTH,
        "baseline_chart_height": len(bars) * (BAR_HEIGHT + BAR_GAP),
    }
