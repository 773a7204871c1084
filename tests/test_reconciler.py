"""The reconciler re-sends what the broker lost, going by the database alone."""
from datetime import timedelta

import pytest
from django.utils import timezone

from indus.jobs import services
from indus.jobs.models import Job
from indus.jobs.reconciler import jobs_reconcile
from indus.jobs.states import JobState


@pytest.fixture
def sent_messages(monkeypatch):
    sent = []
    monkeypatch.setattr(
        "indus.jobs.dispatch.current_app.send_task",
        lambda name, args, queue: sent.append((name, args[0], queue)),
    )
    return sent


def test_job_message_is_sent_only_after_commit(project, sent_messages, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        job = services.job_create(project=project, kind="import", spec={})
        assert sent_messages == []
    assert sent_messages == [("indus.jobs.run_job", job.pk, "cpu")]
    job.refresh_from_db()
    assert job.dispatched_at is not None


def test_rolled_back_job_sends_nothing(project, sent_messages, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.job_create(project=project, kind="import", spec={})
    # pytest-django's `db` wraps the test in a transaction that is rolled back: nothing ran.
    assert sent_messages == [] and len(callbacks) == 1


def test_waiting_job_is_sent_again(project, sent_messages, django_capture_on_commit_callbacks, settings):
    job = services.job_create(project=project, kind="import", spec={})
    Job.objects.filter(pk=job.pk).update(dispatched_at=timezone.now())
    soon = timezone.now() + timedelta(seconds=settings.INDUS_JOB_REDISPATCH_SECONDS / 2)
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs_reconcile(now=soon).redispatched == 0
    much_later = timezone.now() + timedelta(seconds=settings.INDUS_JOB_REDISPATCH_SECONDS + 1)
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs_reconcile(now=much_later).redispatched == 1
    assert sent_messages == [("indus.jobs.run_job", job.pk, "cpu")]


def test_job_of_a_silent_worker_is_released_and_sent_again(
    project, sent_messages, django_capture_on_commit_callbacks, settings
):
    job = services.job_create(project=project, kind="import", spec={})
    services.job_claim(job_id=job.pk, worker="w1")
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs_reconcile().released == 0
    much_later = timezone.now() + timedelta(seconds=settings.INDUS_JOB_LEASE_SECONDS + 1)
    with django_capture_on_commit_callbacks(execute=True):
        report = jobs_reconcile(now=much_later)
    assert report.released == 1
    job.refresh_from_db()
    assert (job.state, job.worker, job.lease_token) == (JobState.QUEUED, "", None)
    assert sent_messages == [("indus.jobs.run_job", job.pk, "cpu")]
    assert "went silent" in job.events.last().message


def test_finished_jobs_are_left_alone(project, sent_messages, django_capture_on_commit_callbacks, settings):
    job = services.job_create(project=project, kind="import", spec={})
    services.job_succeed(lease=services.job_claim(job_id=job.pk, worker="w1"), result={})
    much_later = timezone.now() + timedelta(days=30)
    with django_capture_on_commit_callbacks(execute=True):
        report = jobs_reconcile(now=much_later)
    assert (report.released, report.redispatched, sent_messages) == (0, 0, [])
