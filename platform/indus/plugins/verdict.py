"""The verdict on a model version: does it beat the classical baseline fitted on its own
training split, only the trivial one, or not even that?

Judged on the task's primary metric (the first metric it declares that goes one way, that the
model reports and a baseline scored too), with the direction declared in `contract.METRICS`.
Light on purpose: the worker computes the verdict when it tests a model, the registry refuses
an alias on a version whose verdict says it is no better than a trivial prediction.
"""
from collections.abc import Callable
from enum import StrEnum

from indus.plugins.contract import Better, metric_named


class Verdict(StrEnum):
    BEATS_CLASSICAL = "beats_classical"
    BEATS_TRIVIAL_ONLY = "beats_trivial_only"
    NOT_BETTER_THAN_TRIVIAL = "not_better_than_trivial"
    UNJUDGED = "unjudged"  # no metric the model and a baseline both report


VERDICT_TITLES = {
    Verdict.BEATS_CLASSICAL: "beats the classical baseline",
    Verdict.BEATS_TRIVIAL_ONLY: "beats only the trivial baseline",
    Verdict.NOT_BETTER_THAN_TRIVIAL: "does not beat the trivial baseline",
    Verdict.UNJUDGED: "not judged",
}


def _best(candidates: list[dict], metric: str, sign: int) -> dict | None:
    scored = [c for c in candidates if isinstance((c.get("metrics") or {}).get(metric), (int, float))]
    return max(scored, key=lambda c: sign * c["metrics"][metric], default=None)


def primary_metric(task_metrics, model_metrics: dict, usable: Callable[[str], bool] = lambda name: True) -> tuple[str, int] | None:
    """(name, +1 when higher is better or -1 when lower is) of the task's primary metric: the
    first it asks for that goes one way and has a value in `model_metrics` (so the target kind
    computes it and it is defined on these rows: no AUC over one class), and that `usable`
    accepts. The verdict and the trainer's early stopping both choose with it."""
    for name in task_metrics:
        declared = metric_named(name)
        if declared is None or declared.better == Better.NEITHER:
            continue
        if isinstance(model_metrics.get(name), (int, float)) and usable(name):
            return name, 1 if declared.better == Better.HIGHER else -1
    return None


def judge(task_metrics, model_metrics: dict, baselines: list[dict]) -> dict:
    """The verdict, with the metric, its direction and the values it compared. `model_metrics`
    are the test metrics by bare name (roc_auc, not test_roc_auc); each baseline is
    {"name", "family": "trivial" | "classical", "metrics"}."""
    chosen = primary_metric(task_metrics, model_metrics, usable=lambda name: _best(baselines, name, 1) is not None)
    if chosen is None:
        return {"verdict": Verdict.UNJUDGED.value, "title": VERDICT_TITLES[Verdict.UNJUDGED]}
    metric, sign = chosen
    value = model_metrics[metric]
    best = {
        family: _best([b for b in baselines if b.get("family") == family], metric, sign)
        for family in ("trivial", "classical")
    }

    def beats(baseline: dict | None) -> bool:
        return baseline is not None and sign * (value - baseline["metrics"][metric]) > 0

    if beats(best["classical"]):
        verdict = Verdict.BEATS_CLASSICAL
    elif best["trivial"] is None or beats(best["trivial"]):
        verdict = Verdict.BEATS_TRIVIAL_ONLY
    else:
        verdict = Verdict.NOT_BETTER_THAN_TRIVIAL
    return {
        "verdict": verdict.value,
        "title": VERDICT_TITLES[verdict],
        "metric": metric,
        "better": "higher" if sign > 0 else "lower",
        "model": value,
        **{
            family: {"name": baseline["name"], "value": baseline["metrics"][metric]}
            for family, baseline in best.items() if baseline is not None
        },
    }


def is_flagged(verdict: dict | None) -> bool:
    """A version that does not beat a prediction that ignores its inputs."""
    return bool(verdict) and verdict.get("verdict") == Verdict.NOT_BETTER_THAN_TRIVIAL.value
