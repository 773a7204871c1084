"""Submitting a sweep, and the writes its coordinator makes: a trial's fine-tuning job and its
row in one transaction, what Optuna was told, the best trial."""
import uuid

from django.core.exceptions import ValidationError
from django.db import transaction

from indus.bindings.models import TaskBinding
from indus.core.errors import field_error
from indus.datasets.models import DatasetVersion
from indus.jobs.models import Job
from indus.jobs.services import job_create
from indus.plugins.contract import Better, Task, metric_named
from indus.plugins.job_kind import InputError
from indus.plugins.manager import get_registry
from indus.registry.models import ModelVersion
from indus.registry.services import model_alias_set
from indus.sweeps.kind import SWEEP
from indus.sweeps.models import Sweep, SweepTrial
from indus.sweeps.search_space import checked_search_space
from indus.training.services import fine_tune_checked_spec, fine_tune_submit


def sweep_submit(
    *,
    project,
    dataset_version: DatasetVersion,
    model_name: str,
    search_space: dict | None = None,
    task: str | None = None,
    binding: TaskBinding | None = None,
    backbone: str | None = None,
    hyperparameters: dict | None = None,
    trials: int = 20,
    parallelism: int = 2,
    max_minutes: float | None = None,
    metric: str | None = None,
    pruning: str = "none",
    created_by=None,
) -> Job:
    """Queue a sweep's coordinator on the `cpu` queue, or raise a ValidationError per bad field:
    what each trial's fine-tuning job would be refused for is refused here, before anything runs."""
    try:
        SWEEP.checked({"trials": trials, "parallelism": parallelism, "max_minutes": max_minutes, "pruning": pruning,
                       "metric": metric})
    except InputError as error:
        raise ValidationError(error.problems) from None
    if max_minutes is not None and max_minutes <= 0:
        raise field_error("max_minutes", f"must be more than 0 minutes, not {max_minutes:g}")
    fixed = hyperparameters or {}
    spec, declared = fine_tune_checked_spec(project=project, dataset_version=dataset_version, model_name=model_name,
                                            task=task, binding=binding, backbone=backbone, hyperparameters=fixed)
    search_space = checked_search_space(search_space, fixed=fixed, backbone=get_registry().backbones[spec["backbone"]],
                                        task=declared)
    metric, direction = _metric(declared, metric)
    with transaction.atomic():
        job = job_create(project=project, kind=SWEEP.name, created_by=created_by, spec={
            "dataset_version_id": dataset_version.pk,
            "task": task,
            "binding_id": binding.pk if binding else None,
            "model_name": model_name,
            "backbone": spec["backbone"],
            "search_space": search_space,
            "hyperparameters": fixed,
            "trials": trials,
            "parallelism": parallelism,
            "max_minutes": max_minutes,
            "metric": metric,
            "pruning": pruning,
        })
        _sweep_create(job=job, metric=metric, direction=direction)
    return job


def _sweep_create(*, job: Job, metric: str, direction: str) -> Sweep:
    return Sweep.objects.create(job=job, study_name=f"indus-sweep-{job.pk}-{uuid.uuid4().hex[:8]}", metric=metric,
                                direction=direction)


def sweep_record_retry(*, retry: Job, of: Job) -> None:
    """A retried sweep searches again, in a study of its own (the `after_retry` hook)."""
    _sweep_create(job=retry, metric=of.sweep.metric, direction=of.sweep.direction)


def _metric(task: Task, metric: str | None) -> tuple[str, str]:
    """The metric to optimise and Optuna's direction for it, from the metric's declaration."""
    one_way = [name for name in task.metrics if (declared := metric_named(name)) and declared.better != Better.NEITHER]
    if metric is None:
        if not one_way:
            raise field_error("metric", f"task {task.name!r} reports no metric that goes one way: name one")
        metric = one_way[0]
    if metric not in one_way:
        raise field_error("metric", f"task {task.name!r} reports {', '.join(one_way) or 'no metric that goes one way'}; "
                                    f"not {metric!r}")
    better = metric_named(metric).better
    return metric, Sweep.Direction.MAXIMIZE if better == Better.HIGHER else Sweep.Direction.MINIMIZE


# --- The coordinator's writes ------------------------------------------------------------------


@transaction.atomic
def sweep_trial_create(*, sweep: Sweep, number: int, hyperparameters: dict) -> SweepTrial:
    """Queue trial `number` as a fine-tuning job with the sweep's fixed hyperparameters and the
    trial's, and its row, in one transaction: there is a row exactly when there is a job. The
    fine-tuning service checks the values again; what it refuses raises its ValidationError."""
    spec = sweep.job.spec
    job = fine_tune_submit(
        project=sweep.job.project,
        dataset_version=DatasetVersion.objects.select_related("dataset").get(pk=spec["dataset_version_id"]),
        model_name=spec["model_name"],
        task=spec["task"],
        binding=TaskBinding.objects.get(pk=spec["binding_id"]) if spec["binding_id"] else None,
        backbone=spec["backbone"],
        hyperparameters={**spec["hyperparameters"], **hyperparameters},
        created_by=sweep.job.created_by,
    )
    return SweepTrial.objects.create(sweep=sweep, number=number, job=job, hyperparameters=hyperparameters)


def sweep_trial_record(*, trial: SweepTrial, state: SweepTrial.State, value: float | None = None) -> None:
    SweepTrial.objects.filter(pk=trial.pk).update(state=state, value=value)


def sweep_trial_mark_pruned(*, trial: SweepTrial, step: int) -> None:
    SweepTrial.objects.filter(pk=trial.pk, pruned_at_step__isnull=True).update(pruned_at_step=step)


def sweep_record_best(*, sweep: Sweep, trial: SweepTrial | None) -> None:
    Sweep.objects.filter(pk=sweep.pk).update(best_trial=trial)


# The alias that marks a sweep's result among the versions its trials registered: every trial's
# version stays (a trial is reproducible from it), the best is the one the alias names.
BEST_ALIAS = "sweep-best"


def sweep_promote_best(*, version: ModelVersion) -> str | None:
    """Point the model's `sweep-best` alias at the best trial's version (the latest sweep of a
    model wins); None with the reason when the registry refuses it (a version no better than a
    prediction that ignores its inputs is never promoted unasked)."""
    try:
        model_alias_set(version=version, name=BEST_ALIAS)
    except ValidationError as error:
        return " ".join(error.messages)
    return None
