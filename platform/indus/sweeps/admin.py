"""The sweep's part of its job page: the trials, each with its values, what Optuna was told and
its fine-tuning job; which hyperparameters mattered (Optuna's fANOVA importance) and a parallel
coordinates chart of the trials, drawn here as inline SVG (the page loads nothing from
elsewhere, and SVG attributes are no inline styles for the Content-Security-Policy). The page's
metric charts show each trial's value and the best so far (the coordinator records them as the
job's metrics, with the trial number as the step)."""
import math

from django.template.loader import render_to_string

from indus.jobs.models import Job
from indus.sweeps.models import Sweep, SweepTrial
from indus.sweeps.selectors import sweep_trials
from indus.sweeps.storage import study_storage

# The chart's frame, in SVG units: an axis per hyperparameter, then the value's.
WIDTH, HEIGHT, MARGIN_X, TOP, BOTTOM = 640, 260, 60, 30, 30
BAR_WIDTH = 200


def sweep_trials_section(job: Job) -> str:
    sweep = Sweep.objects.filter(job=job).first()
    if sweep is None:
        return ""
    trials = list(sweep_trials(sweep=sweep))
    scored = [trial for trial in trials if trial.state == SweepTrial.State.COMPLETE and trial.value is not None]
    return render_to_string("admin/sweeps/trials.html", {
        "sweep": sweep, "trials": trials, "budget": job.spec.get("trials"),
        "importances": importances(sweep, scored),
        "chart": parallel_coordinates(job.spec.get("search_space") or {}, scored, sweep),
        "width": WIDTH, "height": HEIGHT,
    })


def importances(sweep: Sweep, scored: list[SweepTrial]) -> list[dict]:
    """Each searched hyperparameter's share of the value's variance (fANOVA over the completed
    trials), largest first; none before two trials have completed."""
    if len(scored) < 2:
        return []
    import optuna

    study = optuna.load_study(study_name=sweep.study_name, storage=study_storage())
    try:
        shares = optuna.importance.get_param_importances(
            study, evaluator=optuna.importance.FanovaImportanceEvaluator(seed=0))
    except (RuntimeError, ValueError):  # trials that do not vary yet
        return []
    return [{"name": name, "share": share, "bar": round(BAR_WIDTH * share, 1)} for name, share in shares.items()]


def parallel_coordinates(space: dict, scored: list[SweepTrial], sweep: Sweep) -> dict | None:
    """Axes (one per searched hyperparameter, then the value) and a polyline per completed
    trial through its place on each, the best one marked; None before a trial has completed."""
    if not scored:
        return None
    values = [trial.value for trial in scored]
    axes = [_axis(name, entry) for name, entry in space.items()]
    axes.append({"name": sweep.metric, "low": min(values), "high": max(values), "log": False, "choices": None})
    step = (WIDTH - 2 * MARGIN_X) / max(len(axes) - 1, 1)
    for index, axis in enumerate(axes):
        axis["x"] = round(MARGIN_X + index * step, 1)
        axis["low_text"], axis["high_text"] = _label(axis["low"]), _label(axis["high"])
    lines = []
    for trial in scored:
        places = [_place(axis, trial.hyperparameters.get(axis["name"])) for axis in axes[:-1]]
        places.append(_place(axes[-1], trial.value))
        points = " ".join(f"{axis['x']},{_y(place)}" for axis, place in zip(axes, places))
        lines.append({"number": trial.number, "points": points, "best": trial.pk == sweep.best_trial_id,
                      "value": trial.value})
    return {"axes": axes, "lines": lines, "top": TOP, "bottom": HEIGHT - BOTTOM}


def _axis(name: str, entry: dict) -> dict:
    if "choices" in entry:
        choices = entry["choices"]
        return {"name": name, "low": choices[0], "high": choices[-1], "log": False, "choices": choices}
    return {"name": name, "low": entry["low"], "high": entry["high"], "log": entry.get("log", False), "choices": None}


def _place(axis: dict, value) -> float:
    """Where `value` lies on the axis, 0 (bottom) to 1 (top)."""
    if axis["choices"] is not None:
        choices = axis["choices"]
        return choices.index(value) / (len(choices) - 1) if value in choices and len(choices) > 1 else 0.5
    low, high = axis["low"], axis["high"]
    if value is None or high == low:
        return 0.5
    if axis["log"]:
        low, high, value = math.log(low), math.log(high), math.log(value)
    return min(max((value - low) / (high - low), 0.0), 1.0)


def _y(place: float) -> float:
    return round(HEIGHT - BOTTOM - place * (HEIGHT - BOTTOM - TOP), 1)


def _label(value) -> str:
    return f"{value:.3g}" if isinstance(value, float) else str(value)
