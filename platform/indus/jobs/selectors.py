from datetime import datetime, timedelta

from django.apps import apps
from django.conf import settings
from django.db.models import Q, QuerySet

from indus.core.errors import field_error
from indus.jobs.kinds import job_kind
from indus.jobs.models import Job, JobEvent, JobPart, MetricPoint
from indus.jobs.states import TERMINAL_STATES, JobState
from indus.plugins.job_kind import ProjectObject


def job_list(*, project=None, state: JobState | None = None) -> QuerySet[Job]:
    jobs = Job.objects.select_related("project")
    if project is not None:
        jobs = jobs.filter(project=project)
    if state is not None:
        jobs = jobs.filter(state=state)
    return jobs


def job_spec(*, job: Job) -> dict:
    """The job's spec in its kind's current version, however old the row: what runners, retries
    and pages read. A kind no longer installed shows the spec as it was stored."""
    kind = job_kind(job.kind)
    spec = dict(job.spec or {})
    return kind.upgraded_spec(spec, job.spec_version) if kind else spec


def project_objects(*, reference: ProjectObject, projects) -> QuerySet:
    """The objects of the kind a job input references that belong to one of `projects`."""
    model = apps.get_model(reference.model)
    return model.objects.filter(**{f"{reference.project_path}__in": projects}).select_related(*reference.select_related)


def project_object(*, reference: ProjectObject, project, pk, field: str):
    """The referenced object with this id if it belongs to the project, else a ValidationError
    on `field` (another project's object does not exist for this one)."""
    found = project_objects(reference=reference, projects=[project]).filter(pk=pk).first()
    if found is None:
        raise field_error(field, f"no {reference.noun} with id {pk} in this project", code="not_found")
    return found


def jobs_with_silent_worker(*, now: datetime) -> QuerySet[Job]:
    stale_before = now - timedelta(seconds=settings.INDUS_JOB_LEASE_SECONDS)
    return Job.objects.filter(state=JobState.RUNNING, heartbeat_at__lt=stale_before)


def jobs_waiting_too_long(*, now: datetime) -> QuerySet[Job]:
    """Queued jobs whose message was never sent, or was sent long ago and never taken."""
    sent_before = now - timedelta(seconds=settings.INDUS_JOB_REDISPATCH_SECONDS)
    return Job.objects.filter(state=JobState.QUEUED).filter(
        Q(dispatched_at__isnull=True, created_at__lt=sent_before) | Q(dispatched_at__lt=sent_before)
    )


def job_parts(*, job_id: int) -> list[JobPart]:
    """A job's parts in row order; none for a job that runs whole."""
    return list(JobPart.objects.filter(job_id=job_id).order_by("index"))


def jobs_with_silent_parts(*, now: datetime) -> dict[Job, int]:
    """Running jobs with parts whose worker went silent, each with how many such parts."""
    stale_before = now - timedelta(seconds=settings.INDUS_JOB_LEASE_SECONDS)
    silent = JobPart.objects.filter(job__state=JobState.RUNNING, state=JobPart.State.RUNNING,
                                    heartbeat_at__lt=stale_before)
    counts: dict[int, int] = {}
    for job_id in silent.values_list("job_id", flat=True):
        counts[job_id] = counts.get(job_id, 0) + 1
    return {job: counts[job.pk] for job in Job.objects.filter(pk__in=counts)}


def job_metric_series(*, job: Job, since_step: int | None = None) -> dict[str, list[tuple[int, float]]]:
    """Each metric's points as (step, value), in step order; only steps after `since_step` if given."""
    points = MetricPoint.objects.filter(job=job).order_by("name", "step")
    if since_step is not None:
        points = points.filter(step__gt=since_step)
    series: dict[str, list[tuple[int, float]]] = {}
    for name, step, value in points.values_list("name", "step", "value"):
        series.setdefault(name, []).append((step, value))
    return series


def job_events_latest(*, job: Job, limit: int = 100) -> list[JobEvent]:
    """The job's last `limit` events, oldest first."""
    latest = list(JobEvent.objects.filter(job=job).order_by("-created_at", "-id")[:limit])
    return latest[::-1]


def job_timing(*, job: Job, now: datetime) -> tuple[float | None, float | None]:
    """(seconds run so far, estimated seconds left), each None when unknown.

    The estimate assumes progress keeps the average rate it has had since the job started.
    """
    if job.started_at is None:
        return None, None
    end = job.finished_at if job.state in TERMINAL_STATES and job.finished_at else now
    elapsed = max((end - job.started_at).total_seconds(), 0.0)
    if job.state in TERMINAL_STATES:
        return elapsed, None
    if job.state != JobState.RUNNING or not 0 < job.progress < 1:
        return elapsed, None
    return elapsed, elapsed * (1 - job.progress) / job.progress
