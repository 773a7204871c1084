from django.db.models import QuerySet

from indus.jobs.models import Job, MetricPoint
from indus.sweeps.models import Sweep, SweepTrial

# The validation series of a metric, as the trainer reports it at each evaluation.
VALIDATION_PREFIX = "eval_"


def sweep_trials(*, sweep: Sweep) -> QuerySet[SweepTrial]:
    return sweep.trials.select_related("job").order_by("number")


def trial_validation_series(*, job: Job, metric: str) -> list[tuple[int, float]]:
    """(step, value) of the job's validation `metric` at each evaluation, in step order."""
    return list(MetricPoint.objects.filter(job=job, name=VALIDATION_PREFIX + metric).order_by("step")
                .values_list("step", "value"))


def trial_objective(*, job: Job, sweep: Sweep) -> float | None:
    """What a finished trial scores: the sweep's validation metric at the checkpoint training
    kept. Early stopping that follows the metric's moving average (`smoothed_<metric>`, see
    `trainer.StoppingMetric`) keeps the checkpoint where the average was best, and the metric's
    value there is the score; the best value of the raw series would reward a trial for its
    luckiest evaluation. Otherwise, the best value of the series. Never a test metric: choosing
    on the test split would spoil it."""
    values = dict(trial_validation_series(job=job, metric=sweep.metric))
    if not values:
        return None
    best = max if sweep.direction == Sweep.Direction.MAXIMIZE else min
    averaged = [(value, step) for step, value in trial_validation_series(job=job, metric=f"smoothed_{sweep.metric}")
                if step in values]
    if averaged:
        _, kept_step = best(averaged, key=lambda point: point[0])  # the first of equal values, as the Trainer keeps
        return values[kept_step]
    return best(values.values())
