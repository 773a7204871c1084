from contextlib import contextmanager

import pytest
from django.conf import settings

from indus.celery import app as celery_app
from indus.datasets.models import DatasetVersion
from indus.datasets.services import dataset_create, dataset_generate_sample
from indus.jobs.models import Job
from indus.jobs.reconciler import jobs_reconcile
from indus.jobs.states import TERMINAL_STATES
from indus.registry.models import ModelVersion
from indus.training.services import fine_tune_submit
from tests.support.workers import WorkerProcess, stop_all, wait_for


@contextmanager
def running_workers(log_dir):
    """Start real worker processes on demand; all are stopped on leaving the block."""
    # Messages left by an earlier test would name jobs that no longer exist.
    celery_app.control.purge()
    started: list[WorkerProcess] = []

    def start(queues: str = "gpu,cpu", **env: str) -> WorkerProcess:
        started.append(WorkerProcess(log_dir, queues, **env).start())
        return started[-1]

    try:
        yield start
    finally:
        stop_all(started)


@pytest.fixture
def worker_factory(django_db_setup, tmp_path):
    """Workers of one test, for tests that kill them or need several."""
    with running_workers(tmp_path) as start:
        yield start


@pytest.fixture(scope="module")
def worker(django_db_setup, tmp_path_factory) -> WorkerProcess:
    """One worker shared by a module's tests."""
    with running_workers(tmp_path_factory.mktemp("worker-logs")) as start:
        yield start()


@pytest.fixture
def finished():
    """Wait until a job reaches a terminal state and return it fresh from the database."""

    def wait(job: Job, timeout: float = 60) -> Job:
        def done():
            job.refresh_from_db()
            return job.state in TERMINAL_STATES

        wait_for(done, timeout=timeout, message=f"job {job.pk} to finish (now {job.state})")
        return job

    return wait


@pytest.fixture
def replace_killed_worker(worker_factory):
    """SIGKILL a worker mid-job, start another, and let the reconciler hand it the job: the
    database still says `running` until the dead worker's heartbeat is older than the lease."""

    def replace(killed: WorkerProcess, job: Job) -> WorkerProcess:
        job.refresh_from_db()
        assert job.state == "running" and job.worker.startswith(f"{killed.name}@"), (
            f"job {job.pk} is {job.state} on {job.worker!r}, not running on {killed.name}"
        )
        killed.kill()
        replacement = worker_factory()
        wait_for(lambda: jobs_reconcile().released, timeout=settings.INDUS_JOB_LEASE_SECONDS + 30, interval=0.5,
                 message="the reconciler to release the job")
        return replacement

    return replace


@pytest.fixture
def sample_version(project, finished):
    def make(name: str, sample: str, rows: int, seed: int) -> DatasetVersion:
        dataset = dataset_create(project=project, name=name)
        job = finished(dataset_generate_sample(dataset=dataset, sample=sample, rows=rows, seed=seed))
        assert job.state == "succeeded", job.error
        return DatasetVersion.objects.get(pk=job.result["dataset_version_id"])

    return make


@pytest.fixture
def intent_model(project, sample_version, finished) -> ModelVersion:
    """MiniLM fine-tuned for one epoch on the retail plugin's support messages."""

    def make() -> ModelVersion:
        training = sample_version("support-train", "retail.support_messages", 600, 1)
        job = finished(fine_tune_submit(project=project, dataset_version=training, task="retail.support_intent",
                                        model_name="intents", hyperparameters={"epochs": 2, "learning_rate": 2e-4,
                                                                               "max_length": 64}), timeout=600)
        assert job.state == "succeeded", job.error
        return ModelVersion.objects.get(job=job)

    return make
