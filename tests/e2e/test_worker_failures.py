"""Workers die, brokers lose messages, messages arrive twice: each job still runs to the end once."""
import time

import pytest
from django.conf import settings

from indus.datasets.services import dataset_upload
from indus.jobs import services
from indus.jobs.dispatch import job_dispatch
from indus.jobs.models import Job
from indus.jobs.reconciler import jobs_reconcile
from tests.support.workers import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def gated_job(project, tmp_path):
    """A job that runs until the test opens its gate, logging each attempt it starts."""
    gate, attempts_log = tmp_path / "gate", tmp_path / "attempts.log"

    def make() -> Job:
        return services.job_create(
            project=project, kind="test.gated", spec={"gate": str(gate), "attempts_log": str(attempts_log)}
        )

    make.open_gate = gate.touch
    make.attempts = lambda: attempts_log.read_text().splitlines() if attempts_log.exists() else []
    return make


def wait_until_running(job: Job, attempts: int) -> None:
    def running():
        job.refresh_from_db()
        return job.state == "running" and job.attempts == attempts

    wait_for(running, timeout=60, message=f"job {job.pk} to run attempt {attempts}")


def test_killed_worker_job_is_sent_again_and_finishes_once(worker_factory, replace_killed_worker, gated_job,
                                                          finished):
    first_worker = worker_factory()
    job = gated_job()
    wait_until_running(job, attempts=1)
    replace_killed_worker(first_worker, job)
    wait_until_running(job, attempts=2)
    gated_job.open_gate()
    job = finished(job)

    assert job.state == "succeeded", job.error
    assert job.result == {"finished_attempt": 2}
    assert gated_job.attempts() == ["attempt 1", "attempt 2"]
    messages = list(job.events.values_list("message", flat=True))
    assert any("went silent during attempt 1" in m for m in messages)
    assert messages.count("succeeded") == 1


def test_job_whose_message_was_lost_is_sent_again(worker_factory, dataset, upload, finished, monkeypatch):
    worker_factory()
    # The broker accepts the message and then loses it.
    monkeypatch.setattr("indus.jobs.dispatch.current_app.send_task", lambda *args, **kwargs: None)
    job = dataset_upload(dataset=dataset, file=upload("a,b\n1,2\n"))
    monkeypatch.undo()
    time.sleep(2)
    job.refresh_from_db()
    assert job.state == "queued" and job.dispatched_at is not None

    wait_for(lambda: jobs_reconcile().redispatched, timeout=settings.INDUS_JOB_REDISPATCH_SECONDS + 30,
             interval=0.5, message="the reconciler to send the job again")
    job = finished(job)
    assert job.state == "succeeded", job.error
    assert (job.attempts, dataset.versions.count()) == (1, 1)


def test_job_delivered_to_two_workers_at_once_runs_once(worker_factory, gated_job, finished):
    workers = [worker_factory(), worker_factory()]
    job = gated_job()
    wait_until_running(job, attempts=1)
    job_dispatch(job_id=job.pk, queue=job.queue)  # the same message again, to the idle worker
    wait_for(lambda: job.events.filter(message__startswith="ignored a second delivery").exists(),
             timeout=30, message="the duplicate delivery to be turned away")
    gated_job.open_gate()
    job = finished(job)
    assert (job.state, job.attempts) == ("succeeded", 1)
    assert gated_job.attempts() == ["attempt 1"]
    assert all(w.alive for w in workers)


def test_cancelling_a_running_job_stops_it_within_seconds(worker_factory, gated_job, finished):
    worker_factory()
    job = gated_job()
    wait_until_running(job, attempts=1)
    services.job_cancel(job=job)
    job = finished(job, timeout=10)
    assert job.state == "cancelled"
    assert job.result is None
