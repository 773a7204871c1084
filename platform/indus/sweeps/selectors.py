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
    """What a finished trial scores: its best validation value of the sweep's metric, which is
    the checkpoint training keeps when early stopping follows that metric (the task's primary
    metric, the sweep's default). Never a test metric: choosing on the test split would spoil it."""
    values = [value for _, value in trial_validation_series(job=job, metric=sweep.metric)]
    if not values:
        return None
    return max(values) if sweep.direction == Sweep.Direction.MAXIMIZE else min(values)
