"""The job state machine and leases, through the services a worker and a user call."""
import threading
import time
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from indus.jobs import services
from indus.jobs.models import Job
from indus.jobs.states import InvalidTransition, JobState, check_transition


def make_job(project, **spec) -> Job:
    return services.job_create(project=project, kind="test.gated", spec=spec)


def later(seconds: float):
    return timezone.now() + timedelta(seconds=seconds)


@pytest.mark.parametrize(
    "source,target",
    [
        (JobState.SUCCEEDED, JobState.RUNNING),
        (JobState.FAILED, JobState.QUEUED),
        (JobState.CANCELLED, JobState.RUNNING),
        (JobState.QUEUED, JobState.SUCCEEDED),
    ],
)
def test_forbidden_transitions_are_refused(source, target):
    with pytest.raises(InvalidTransition):
        check_transition(source, target)


def test_unknown_kind_is_refused_naming_the_field(project):
    with pytest.raises(ValidationError) as error:
        services.job_create(project=project, kind="no.such.kind", spec={})
    assert "kind" in error.value.message_dict
    assert not Job.objects.exists()


def test_claim_starts_the_first_attempt(project):
    job = make_job(project)
    lease = services.job_claim(job_id=job.pk, worker="w1")
    job.refresh_from_db()
    assert (job.state, job.attempts, job.worker, job.lease_token) == (JobState.RUNNING, 1, "w1", lease.token)


def test_second_delivery_is_ignored_while_the_worker_is_alive(project):
    job = make_job(project)
    assert services.job_claim(job_id=job.pk, worker="w1") is not None
    assert services.job_claim(job_id=job.pk, worker="w2") is None
    job.refresh_from_db()
    assert (job.attempts, job.worker) == (1, "w1")


def test_a_silent_worker_is_replaced_and_fenced_off(project, settings):
    job = make_job(project)
    first = services.job_claim(job_id=job.pk, worker="w1")
    second = services.job_claim(job_id=job.pk, worker="w2", now=later(settings.INDUS_JOB_LEASE_SECONDS + 1))
    assert second is not None and second.attempt == 2
    # The first worker wakes up: whatever it reports no longer counts.
    assert services.job_heartbeat(lease=first) == (False, False)
    assert services.job_succeed(lease=first, result={"by": "w1"}) is False
    assert services.job_succeed(lease=second, result={"by": "w2"}) is True
    job.refresh_from_db()
    assert (job.state, job.result, job.attempts) == (JobState.SUCCEEDED, {"by": "w2"}, 2)


def test_attempts_are_bounded_and_the_reason_is_kept(project, settings):
    settings.INDUS_JOB_MAX_ATTEMPTS = 2
    job = make_job(project)
    now = timezone.now()
    step = timedelta(seconds=settings.INDUS_JOB_LEASE_SECONDS + 1)
    assert services.job_claim(job_id=job.pk, worker="w1", now=now)
    assert services.job_claim(job_id=job.pk, worker="w2", now=now + step)
    assert services.job_claim(job_id=job.pk, worker="w3", now=now + 2 * step) is None
    job.refresh_from_db()
    assert job.state == JobState.FAILED
    assert "gave up after 2 attempts" in job.error


def test_finished_jobs_are_never_claimed_again(project):
    job = make_job(project)
    lease = services.job_claim(job_id=job.pk, worker="w1")
    services.job_fail(lease=lease, error="bad input")
    assert services.job_claim(job_id=job.pk, worker="w2") is None
    job.refresh_from_db()
    assert (job.state, job.error, job.attempts) == (JobState.FAILED, "bad input", 1)


def test_cancelling_a_queued_job_is_immediate(project):
    job = services.job_cancel(job=make_job(project))
    assert job.state == JobState.CANCELLED
    assert services.job_claim(job_id=job.pk, worker="w1") is None


def test_cancelling_a_running_job_reaches_its_worker(project):
    job = make_job(project)
    lease = services.job_claim(job_id=job.pk, worker="w1")
    services.job_cancel(job=job)
    assert services.job_heartbeat(lease=lease) == (True, True)
    assert services.job_mark_cancelled(lease=lease)
    job.refresh_from_db()
    assert job.state == JobState.CANCELLED


def test_a_finished_job_cannot_be_cancelled(project):
    job = make_job(project)
    services.job_succeed(lease=services.job_claim(job_id=job.pk, worker="w1"), result={})
    with pytest.raises(ValidationError) as error:
        services.job_cancel(job=job)
    assert "state" in error.value.message_dict
    job.refresh_from_db()
    assert job.state == JobState.SUCCEEDED


def test_retry_makes_a_new_job_that_points_back(project):
    job = make_job(project, gate="g")
    services.job_cancel(job=job)
    retry = services.job_retry(job=job)
    assert (retry.state, retry.spec, retry.retry_of) == (JobState.QUEUED, {"gate": "g"}, job)


def test_only_finished_unsuccessful_jobs_can_be_retried(project):
    with pytest.raises(ValidationError):
        services.job_retry(job=make_job(project))


@pytest.mark.django_db(transaction=True)
def test_two_retries_at_once_make_one_job(project):
    """A double click, or two members at once: the second retry waits for the first's
    transaction, then sees its queued retry and is refused, rather than making a second job.
    Once that retry has finished, the job may be retried again."""
    job = make_job(project, gate="g")
    services.job_cancel(job=job)
    first_made, first_may_commit = threading.Event(), threading.Event()
    outcomes = {}

    def first():
        try:
            with transaction.atomic():
                outcomes["first"] = services.job_retry(job=job)
                first_made.set()
                first_may_commit.wait(timeout=30)
        finally:
            connection.close()

    def second():
        first_made.wait(timeout=30)
        try:
            outcomes["second"] = services.job_retry(job=job)
        except ValidationError as error:
            outcomes["second"] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    first_made.wait(timeout=30)
    time.sleep(0.5)  # the second retry is now waiting on the first's lock
    first_may_commit.set()
    for thread in threads:
        thread.join(timeout=60)

    retry = outcomes["first"]
    assert list(Job.objects.filter(retry_of=job)) == [retry]
    assert isinstance(outcomes["second"], ValidationError)
    assert outcomes["second"].message_dict["state"] == [
        f"job {job.pk} is being retried already, as job {retry.pk} (queued)"]
    services.job_cancel(job=retry)
    assert services.job_retry(job=job).retry_of == job


def test_metrics_keep_one_value_per_step(project):
    job = make_job(project)
    lease = services.job_claim(job_id=job.pk, worker="w1")
    services.job_record_metric(lease=lease, name="loss", step=1, value=0.9)
    services.job_record_metric(lease=lease, name="loss", step=1, value=0.7)  # resumed attempt
    services.job_record_metric(lease=lease, name="loss", step=2, value=0.5)
    assert list(job.metrics.values_list("step", "value")) == [(1, 0.7), (2, 0.5)]


def test_a_non_finite_metric_becomes_a_warning_not_a_point(project):
    job = make_job(project)
    lease = services.job_claim(job_id=job.pk, worker="w1")
    services.job_record_metric(lease=lease, name="loss", step=3, value=float("nan"))
    assert not job.metrics.exists()
    assert job.events.filter(level="warning", message="loss is nan at step 3").exists()


# test.succeeds and test.fails clean up after a success: tests/toy_kinds/kind.py.


# execute_job closes the thread's connection, as a worker does: these need real transactions.
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind,cleaned", [("test.succeeds", True), ("test.fails", False)])
def test_after_success_cleans_up_only_after_a_success(project, tmp_path, kind, cleaned):
    from indus.jobs.execution import execute_job

    marker = tmp_path / "cleaned"
    job = services.job_create(project=project, kind=kind, spec={"cleaned": str(marker)})
    outcome = execute_job(job_id=job.pk, worker="w1")
    assert outcome == ("succeeded" if cleaned else "failed")
    assert marker.exists() is cleaned  # a failed job keeps what a retry needs


@pytest.mark.django_db(transaction=True)
def test_a_failing_cleanup_leaves_the_success_standing(project, tmp_path, caplog):
    from indus.jobs.execution import execute_job

    job = services.job_create(project=project, kind="test.succeeds", spec={"cleaned": str(tmp_path / "x"), "cleanup_fails": True})
    assert execute_job(job_id=job.pk, worker="w1") == "succeeded"
    job.refresh_from_db()
    assert (job.state, job.result) == (JobState.SUCCEEDED, {"done": True})
    assert "cleaning up after it failed" in caplog.text
