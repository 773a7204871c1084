from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q, QuerySet

from indus.jobs.models import Job
from indus.jobs.states import JobState


def job_list(*, project=None, state: JobState | None = None) -> QuerySet[Job]:
    jobs = Job.objects.select_related("project")
    if project is not None:
        jobs = jobs.filter(project=project)
    if state is not None:
        jobs = jobs.filter(state=state)
    return jobs


def jobs_with_silent_worker(*, now: datetime) -> QuerySet[Job]:
    stale_before = now - timedelta(seconds=settings.INDUS_JOB_LEASE_SECONDS)
    return Job.objects.filter(state=JobState.RUNNING, heartbeat_at__lt=stale_before)


def jobs_waiting_too_long(*, now: datetime) -> QuerySet[Job]:
    """Queued jobs whose message was never sent, or was sent long ago and never taken."""
    sent_before = now - timedelta(seconds=settings.INDUS_JOB_REDISPATCH_SECONDS)
    return Job.objects.filter(state=JobState.QUEUED).filter(
        Q(dispatched_at__isnull=True, created_at__lt=sent_before) | Q(dispatched_at__lt=sent_before)
    )
