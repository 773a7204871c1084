"""The coordinator polled by hand, its trials' jobs moved through the job services as a worker
moves them (claim, metrics, success or cancellation): what Optuna is told and which jobs are
queued, deterministically and without training. The real worker processes are
tests/e2e/test_sweeps.py's."""
from datetime import timedelta

import optuna
import pytest
from django.conf import settings
from django.utils import timezone

from indus.jobs import services as job_services
from indus.jobs.execution import Heartbeat, JobContext
from indus.jobs.models import Job
from indus.jobs.selectors import job_spec
from indus.registry.models import ModelAlias, ModelVersion
from indus.registry.services import model_version_create, registered_model_get_or_create
from indus.sweeps.coordinator import Coordinator
from indus.sweeps.services import sweep_submit
from indus.sweeps.storage import study_storage
from tests.sweeps.conftest import TASK

# Optuna writes through its own connection: the test's rows must be committed for it to go on.
pytestmark = pytest.mark.django_db(transaction=True)

SPACE = {"learning_rate": {"low": 1e-4, "high": 1e-2, "log": True}}


def coordinator_of(job: Job) -> Coordinator:
    """A delivery of the coordinator job, as `execute_job` makes one (without its heartbeat)."""
    lease = job_services.job_claim(job_id=job.pk, worker="coordinator@test")
    context = JobContext(job_id=job.pk, project_id=job.project_id, spec=job_spec(job=job), lease=lease,
                         _heartbeat=Heartbeat(lease))
    return Coordinator(context, Job.objects.get(pk=job.pk).sweep)


def trial_jobs(sweep_job: Job) -> list[Job]:
    return list(Job.objects.filter(sweep_trial__sweep__job=sweep_job).order_by("sweep_trial__number"))


def train(job: Job, maes: list[float], *, succeed: bool = True, register: bool = False,
          smoothed: list[float] = ()) -> job_services.Lease:
    """What a worker does with a trial's job: run it, record its validation series (and the
    moving average early stopping followed, if given), maybe end it (and register its model
    version, as fine-tuning does)."""
    lease = job_services.job_claim(job_id=job.pk, worker="gpu@test")
    for step, mae in enumerate(maes, start=1):
        job_services.job_record_metric(lease=lease, name="eval_mae", step=step, value=mae)
    for step, average in enumerate(smoothed, start=1):
        job_services.job_record_metric(lease=lease, name="eval_smoothed_mae", step=step, value=average)
    if succeed:
        version = None
        if register:
            model = registered_model_get_or_create(project=job.project, name=job.spec["model_name"], task=TASK)
            version = model_version_create(model=model, artifact_path=f"models/{job.pk}", job=job, metrics={"mae": maes[-1]})
        job_services.job_succeed(lease=lease, result={"model_version_id": version and version.pk})
    return lease


def told(job: Job) -> dict[int, tuple[str, float | None]]:
    study = optuna.load_study(study_name=job.sweep.study_name, storage=study_storage())
    return {trial.number: (trial.state.name, trial.value) for trial in study.trials}


def test_the_median_pruner_cancels_a_trial_worse_than_the_earlier_ones(project, arrivals):
    job = sweep_submit(project=project, dataset_version=arrivals(), task=TASK, model_name="delays", search_space=SPACE,
                       trials=3, parallelism=3, pruning="median")
    coordinator = coordinator_of(job)
    assert coordinator.poll() is False
    first, second, weak = trial_jobs(job)
    train(first, [2.0, 1.5])
    train(second, [2.2, 1.7])
    weak_lease = train(weak, [9.0], succeed=False)
    coordinator.poll()
    weak.refresh_from_db()
    assert weak.cancel_requested_at is not None and weak.sweep_trial.pruned_at_step == 1
    job_services.job_mark_cancelled(lease=weak_lease)  # the worker stops at its next check
    assert coordinator.poll() is True
    assert told(job) == {0: ("COMPLETE", 1.5), 1: ("COMPLETE", 1.7), 2: ("PRUNED", 9.0)}
    result = coordinator.result()
    assert (result["best_trial"], result["best_value"], result["trials"]) == (
        0, 1.5, {"complete": 2, "failed": 0, "pruned": 1})


def test_successive_halving_cancels_a_trial_worse_than_the_first_one_at_its_rung(project, arrivals):
    job = sweep_submit(project=project, dataset_version=arrivals(), task=TASK, model_name="delays", search_space=SPACE,
                       trials=3, parallelism=2, pruning="halving")
    coordinator = coordinator_of(job)
    assert coordinator.poll() is False
    first, weak = trial_jobs(job)
    # The first trial ends between two polls: the coordinator never saw it run, yet the later
    # trials are compared with it at each rung.
    train(first, [2.0, 1.5, 1.2], register=True)
    weak_lease = train(weak, [9.0], succeed=False)
    coordinator.poll()
    weak.refresh_from_db()
    assert weak.cancel_requested_at is not None and weak.sweep_trial.pruned_at_step == 1
    job_services.job_mark_cancelled(lease=weak_lease)  # the worker stops at its next check
    assert coordinator.poll() is False  # told pruned; the budget's last trial is queued
    last = trial_jobs(job)[2]
    train(last, [1.8, 1.3, 1.1], register=True)
    assert coordinator.poll() is True and coordinator.poll() is True
    assert told(job) == {0: ("COMPLETE", 1.2), 1: ("PRUNED", 9.0), 2: ("COMPLETE", 1.1)}
    result = coordinator.result()
    assert (result["best_trial"], result["best_value"], result["trials"]) == (
        2, 1.1, {"complete": 2, "failed": 0, "pruned": 1})
    rows = list(job.sweep.trials.order_by("number"))
    assert [(row.state, row.pruned_at_step) for row in rows] == [("complete", None), ("pruned", 1), ("complete", None)]
    assert Job.objects.get(pk=weak.pk).state == "cancelled" and Job.objects.filter(kind="fine_tune").count() == 3


def test_a_trial_scores_its_metric_at_the_checkpoint_training_kept_not_its_luckiest_evaluation(project, arrivals):
    job = sweep_submit(project=project, dataset_version=arrivals(), task=TASK, model_name="delays", search_space=SPACE,
                       trials=2, parallelism=2)
    coordinator = coordinator_of(job)
    coordinator.poll()
    lucky, steady = trial_jobs(job)
    # A lucky 1.0 at step 2; the average early stopping followed was best at step 4, where the trial scored 1.6.
    train(lucky, [3.0, 1.0, 2.6, 1.6], smoothed=[3.0, 2.0, 2.3, 1.95])
    train(steady, [1.4, 1.3], smoothed=[1.4, 1.35])  # a run that logged no average would score its best, 1.3
    assert coordinator.poll() is True
    assert told(job) == {0: ("COMPLETE", 1.6), 1: ("COMPLETE", 1.3)}
    assert coordinator.result()["best_trial"] == 1


def test_a_new_delivery_queues_a_trial_asked_for_but_never_queued_and_duplicates_nothing(project, arrivals):
    job = sweep_submit(project=project, dataset_version=arrivals(), task=TASK, model_name="delays", search_space=SPACE,
                       trials=2, parallelism=1)
    dead = coordinator_of(job)
    asked = dead.study.ask(dead.space)  # ...and its worker died before the trial's job was queued
    silent_since = timezone.now() + timedelta(seconds=settings.INDUS_JOB_LEASE_SECONDS + 1)
    assert job_services.job_release_lost(job=Job.objects.get(pk=job.pk), now=silent_since)
    again = coordinator_of(job)
    again.poll()
    [queued] = trial_jobs(job)
    assert queued.sweep_trial.number == 0
    assert queued.spec["hyperparameters"]["learning_rate"] == asked.params["learning_rate"]
    train(queued, [3.0])
    again.poll()
    second = trial_jobs(job)[1]  # the second trial's job fails: Optuna is told so, once
    job_services.job_fail(lease=job_services.job_claim(job_id=second.pk, worker="gpu@test"), error="out of memory")
    assert again.poll() is True and again.poll() is True
    assert told(job) == {0: ("COMPLETE", 3.0), 1: ("FAIL", None)}
    assert len(trial_jobs(job)) == 2 and Job.objects.filter(kind="fine_tune").count() == 2
    assert [row.state for row in job.sweep.trials.all()] == ["complete", "failed"]


def test_a_spent_wall_time_stops_asking_lets_the_running_trials_end_and_aliases_the_best(project, arrivals):
    job = sweep_submit(project=project, dataset_version=arrivals(), task=TASK, model_name="delays", search_space=SPACE,
                       trials=6, parallelism=2, max_minutes=1, pruning="halving")
    coordinator = coordinator_of(job)
    assert isinstance(coordinator.study.pruner, optuna.pruners.SuccessiveHalvingPruner)
    assert coordinator.poll() is False
    first, second = trial_jobs(job)
    Job.objects.filter(pk=job.pk).update(started_at=timezone.now() - timedelta(minutes=1, seconds=1))
    assert coordinator.poll() is False  # the running trials go on
    train(first, [2.0], register=True)
    train(second, [1.5], register=True)
    assert coordinator.poll() is True
    assert len(trial_jobs(job)) == 2 and told(job) == {0: ("COMPLETE", 2.0), 1: ("COMPLETE", 1.5)}
    result = coordinator.result()
    assert (result["best_trial"], result["trials"], result["alias"]) == (1, {"complete": 2, "failed": 0, "pruned": 0},
                                                                        "sweep-best")
    # Both trials' versions stay; the alias names the best, which the result names too.
    assert ModelVersion.objects.filter(model__name="delays").count() == 2
    best = ModelAlias.objects.get(model__name="delays", name="sweep-best").version
    assert (best.job_id, best.pk) == (second.pk, result["model_version_id"])
