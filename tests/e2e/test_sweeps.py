"""Sweeps through real worker processes: a coordinator on a cpu worker, its trials fine-tuning on
two gpu workers. Each ends with the sweep complete and every trial counted once, in Optuna's
study and in the platform's rows, whether a worker is killed mid-trial or all of them are."""
import optuna
import pytest
from django.urls import reverse

from indus.jobs.models import Job
from indus.jobs.reconciler import jobs_reconcile
from indus.registry.models import ModelVersion
from indus.sweeps.services import sweep_submit
from indus.sweeps.storage import study_storage
from indus.tenancy.models import Role
from tests.admin.conftest import admin_client_as  # noqa: F401  (a fixture, shared)
from tests.support.workers import wait_for
from tests.sweeps.conftest import QUICK, TASK, arrivals  # noqa: F401

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SPACE = {"learning_rate": {"low": 1e-4, "high": 1e-2, "log": True}, "batch_size": {"choices": [32, 64]}}


@pytest.fixture
def sweep_workers(worker_factory):
    """The coordinator's cpu worker and two gpu workers for the trials."""
    return {"cpu": worker_factory("cpu"), "gpu": [worker_factory("gpu"), worker_factory("gpu")]}


def submit(project, version, trials: int) -> Job:
    return sweep_submit(project=project, dataset_version=version, task=TASK, model_name="delays",
                        search_space=SPACE, hyperparameters={"epochs": QUICK["epochs"]}, trials=trials, parallelism=2)


def finished_sweep(job: Job, timeout: float = 600) -> Job:
    """The sweep once it has ended, the reconciler running meanwhile as beat would run it."""

    def done():
        jobs_reconcile()
        job.refresh_from_db()
        return job.state in ("succeeded", "failed", "cancelled")

    wait_for(done, timeout=timeout, interval=0.5, message=f"sweep {job.pk} to finish (now {job.state})")
    return job


def running_trial(job: Job) -> Job:
    """A trial job of the sweep that a gpu worker is running now."""
    return wait_for(lambda: Job.objects.filter(sweep_trial__sweep__job=job, state="running").first(),
                    timeout=300, message="a trial to run")


def assert_every_trial_counted_once(job: Job, trials: int) -> None:
    assert job.state == "succeeded", job.error
    sweep = job.sweep
    rows = list(sweep.trials.select_related("job"))
    # One row, one fine-tuning job and one model version per trial, killed attempts included.
    assert [row.number for row in rows] == list(range(trials))
    assert Job.objects.filter(kind="fine_tune").count() == trials
    assert all(row.job.state == "succeeded" and row.state == "complete" for row in rows)
    assert ModelVersion.objects.filter(model__name="delays").count() == trials
    study = optuna.load_study(study_name=sweep.study_name, storage=study_storage())
    told = {trial.number: (trial.state, trial.value) for trial in study.trials}
    assert told == {row.number: (optuna.trial.TrialState.COMPLETE, row.value) for row in rows}
    # Mean absolute error: the lowest validation value wins, and its model version is the result's.
    best = min(rows, key=lambda row: row.value)
    assert (sweep.best_trial, job.result["best_trial"], job.result["best_value"]) == (best, best.number, best.value)
    assert job.result["model_version_id"] == ModelVersion.objects.get(job=best.job).pk
    assert job.result["trials"] == {"complete": trials, "failed": 0, "pruned": 0}


def test_a_sweep_of_eight_trials_on_two_workers_records_its_best(sweep_workers, project, arrivals,  # noqa: F811
                                                                  admin_client_as):  # noqa: F811
    job = finished_sweep(submit(project, arrivals(), trials=8))
    assert_every_trial_counted_once(job, 8)
    trial_jobs = Job.objects.filter(kind="fine_tune")
    assert {trial.queue for trial in trial_jobs} == {"gpu"}
    # Side by side: both gpu workers ran trials.
    assert {trial.worker.split("@")[0] for trial in trial_jobs} == {w.name for w in sweep_workers["gpu"]}
    assert {tuple(sorted(row.hyperparameters)) for row in job.sweep.trials.all()} == {("batch_size", "learning_rate")}

    page = admin_client_as(Role.VIEWER).get(reverse("admin:jobs_job_change", args=[job.pk])).content.decode()
    best = job.sweep.best_trial
    assert 'id="sweep-trials"' in page and f'<tr id="sweep-trial-{best.number}" class="sweep-best">' in page
    assert reverse("admin:jobs_job_change", args=[best.job_id]) in page
    # The page's charts: each trial's value and the best so far, by trial number.
    assert job.metrics.filter(name="trial_mae").count() == 8
    assert job.metrics.get(name="best_mae", step=7).value == best.value


def test_a_sweep_survives_a_worker_killed_mid_trial_then_every_worker_restarting(
    sweep_workers, replace_killed_worker, worker_factory, project, arrivals,  # noqa: F811
):
    job = submit(project, arrivals(seed=1), trials=4)
    trial = running_trial(job)
    killed = next(w for w in sweep_workers["gpu"] if trial.worker.startswith(f"{w.name}@"))
    replacement = replace_killed_worker(killed, trial)
    # Mid-sweep: a trial told, another running. Then the whole platform stops at once.
    wait_for(lambda: job.sweep.trials.filter(state="complete").exists(), timeout=300, message="a first trial to end")
    running_trial(job)
    for worker in [sweep_workers["cpu"], replacement, *sweep_workers["gpu"]]:
        if worker.alive:
            worker.kill()
    worker_factory("cpu"), worker_factory("gpu"), worker_factory("gpu")
    job = finished_sweep(job)
    assert_every_trial_counted_once(job, 4)
    trial.refresh_from_db()
    assert trial.attempts >= 2  # taken over after its worker died
    assert job.attempts == 2  # the coordinator was delivered again, and resumed from the database
