"""Every change of a job's state goes through these functions.

State changes are compare-and-set updates (`UPDATE ... WHERE state = ... AND lease_token = ...`),
so two workers, a worker and the reconciler, or a worker and a user cancelling, can race
freely on SQLite or PostgreSQL and exactly one of them wins.
"""
import logging
import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.module_loading import import_string

from indus.core.errors import field_error
from indus.jobs.dispatch import job_dispatch_on_commit
from indus.jobs.kinds import job_kind
from indus.jobs.models import Job, JobEvent, MetricPoint
from indus.jobs.selectors import job_spec
from indus.jobs.states import TERMINAL_STATES, JobState, check_transition
from indus.tenancy.services import audit_entry_create

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Lease:
    """A worker's hold on one attempt of a job; every write of that attempt presents it."""

    job_id: int
    token: uuid.UUID
    attempt: int
    worker: str


def _event(job_id: int, message: str, *, level=JobEvent.Level.INFO, attempt: int = 0) -> None:
    JobEvent.objects.create(job_id=job_id, message=message, level=level, attempt=attempt)


def _compare_and_set(job_id: int, *, source: JobState, target: JobState, where=None, **fields) -> bool:
    check_transition(source, target)
    updated = Job.objects.filter(pk=job_id, state=source, **(where or {})).update(
        state=target, **fields
    )
    if updated == 1 and target in TERMINAL_STATES:
        transaction.on_commit(lambda: _after_final(job_id))
    return updated == 1


def _after_final(job_id: int) -> None:
    """The job's kind's `after_final` hook, once its final state is committed, whatever path
    put it there: every one goes through `_compare_and_set`."""
    job = Job.objects.filter(pk=job_id).first()
    kind = job_kind(job.kind) if job else None
    if kind is None or kind.after_final is None:
        return
    try:
        import_string(kind.after_final)(job_spec(job=job))
    except Exception:  # the job's final state stands; the hook says what it could not free
        logger.exception("job %s ended, but its after_final hook failed", job_id)


def _lease_filter(lease: Lease) -> dict:
    return {"lease_token": lease.token}


# --- Submitting -----------------------------------------------------------------------------


@transaction.atomic
def job_create(
    *, project, kind: str, spec: dict, created_by=None, retry_of: Job | None = None,
    audit_action: str | None = "job.submit", audit_summary: dict | None = None,
) -> Job:
    """Queue a job. Every launch of every kind comes through here, so here it is audited, once:
    as `audit_action` (the services that launch a job for a dataset say so), with the kind and
    `audit_summary`; None when the caller's own entry covers the job (a new dataset's first
    upload is part of its `dataset.create`)."""
    known_kind = job_kind(kind)
    if known_kind is None:
        raise field_error("kind", f"unknown job kind {kind!r}", code="unknown_kind")
    job = Job.objects.create(
        project=project,
        kind=kind,
        spec=spec,
        spec_version=known_kind.spec_version,
        queue=known_kind.queue,
        created_by=created_by,
        retry_of=retry_of,
    )
    _event(job.pk, f"queued on the {known_kind.queue} queue")
    if audit_action is not None:
        audit_entry_create(
            action=audit_action, target=job, project=project, summary={"kind": kind, **(audit_summary or {})}
        )
    job_dispatch_on_commit(job_id=job.pk, queue=job.queue)
    return job


@transaction.atomic
def job_retry(*, job: Job, created_by=None) -> Job:
    """A failed or cancelled job runs again as a new job that points back at it, one retry at
    a time: while a retry of it is queued or running, another is refused. The job's row is
    locked while this is checked, so two retries sent at once make one job."""
    job = Job.objects.select_for_update().get(pk=job.pk)
    if job.state not in (JobState.FAILED, JobState.CANCELLED):
        raise field_error("state", f"only failed or cancelled jobs can be retried; this one is {job.state}")
    running = job.retries.exclude(state__in=TERMINAL_STATES).order_by("pk").first()
    if running is not None:
        raise field_error("state", f"job {job.pk} is being retried already, as job {running.pk} ({running.state})")
    retry = job_create(
        project=job.project, kind=job.kind, spec=job_spec(job=job), created_by=created_by, retry_of=job,
        audit_action="job.retry", audit_summary={"retry_of": job.pk},
    )
    kind = job_kind(job.kind)
    if kind is not None and kind.after_retry is not None:
        import_string(kind.after_retry)(retry=retry, of=job)
    return retry


@transaction.atomic
def job_cancel(*, job: Job) -> Job:
    """A queued job is cancelled at once; a running one is asked to stop at its next check."""
    now = timezone.now()
    if _compare_and_set(job.pk, source=JobState.QUEUED, target=JobState.CANCELLED, finished_at=now):
        _event(job.pk, "cancelled before it started")
    elif Job.objects.filter(pk=job.pk, state=JobState.RUNNING).update(cancel_requested_at=now):
        _event(job.pk, "cancellation requested; the worker stops at its next check")
    else:
        job.refresh_from_db(fields=["state"])
        raise field_error("state", f"a {job.state} job cannot be cancelled")
    job.refresh_from_db()
    audit_entry_create(
        action="job.cancel", target=job, project=job.project, summary={"kind": job.kind, "state": job.state}
    )
    return job


# --- Worker side ----------------------------------------------------------------------------


@transaction.atomic
def job_claim(*, job_id: int, worker: str, now: datetime | None = None) -> Lease | None:
    """Start the next attempt of a job, or None when this delivery must not run it.

    None covers a job that is gone, finished, held by a live worker (a duplicate delivery),
    or out of attempts (it is failed here, with its reason).
    """
    now = now or timezone.now()
    job = Job.objects.filter(pk=job_id).first()
    if job is None or job.state in TERMINAL_STATES:
        return None
    stale_before = now - timedelta(seconds=settings.INDUS_JOB_LEASE_SECONDS)
    if job.state == JobState.RUNNING and job.heartbeat_at and job.heartbeat_at >= stale_before:
        _event(job_id, f"ignored a second delivery while {job.worker} runs attempt {job.attempts}")
        return None
    source = JobState(job.state)
    # A running job reaching here has a silent worker: take it over only if still silent.
    guard = {"attempts": job.attempts}
    if source == JobState.RUNNING:
        guard["heartbeat_at__lt"] = stale_before
    if job.cancel_requested_at:
        if _compare_and_set(job_id, source=source, target=JobState.CANCELLED, where=guard, finished_at=now):
            _event(job_id, "cancelled before its next attempt started")
        return None
    if job.attempts >= job.max_attempts:
        reason = f"gave up after {job.attempts} attempts: each time the worker stopped before the job ended"
        if _compare_and_set(
            job_id, source=source, target=JobState.FAILED, where=guard, error=reason, finished_at=now
        ):
            _event(job_id, reason, level=JobEvent.Level.ERROR)
        return None
    token = Job.new_lease_token()
    claimed = _compare_and_set(
        job_id,
        source=source,
        target=JobState.RUNNING,
        where=guard,
        attempts=F("attempts") + 1,
        worker=worker,
        lease_token=token,
        heartbeat_at=now,
        started_at=job.started_at or now,
    )
    if not claimed:
        return None
    attempt = job.attempts + 1
    _event(job_id, f"attempt {attempt} of {job.max_attempts} started on {worker}", attempt=attempt)
    return Lease(job_id=job_id, token=token, attempt=attempt, worker=worker)


def job_heartbeat(*, lease: Lease) -> tuple[bool, bool]:
    """Renew the lease. Returns (still held, cancellation requested)."""
    held = Job.objects.filter(pk=lease.job_id, state=JobState.RUNNING, **_lease_filter(lease)).update(
        heartbeat_at=timezone.now()
    )
    cancel_requested = Job.objects.filter(pk=lease.job_id, cancel_requested_at__isnull=False).exists()
    return held == 1, cancel_requested


def job_report_progress(*, lease: Lease, fraction: float, message: str = "") -> None:
    Job.objects.filter(pk=lease.job_id, state=JobState.RUNNING, **_lease_filter(lease)).update(
        progress=min(max(fraction, 0.0), 1.0), progress_message=message[:300]
    )


def job_log(*, lease: Lease, message: str, level=JobEvent.Level.INFO) -> None:
    _event(lease.job_id, message, level=level, attempt=lease.attempt)


def job_record_metric(*, lease: Lease, name: str, step: int, value: float) -> None:
    if not math.isfinite(value):
        # A diverging loss is news for the user, not a number to chart (SQLite cannot store NaN).
        _event(lease.job_id, f"{name} is {value} at step {step}", level=JobEvent.Level.WARNING, attempt=lease.attempt)
        return
    MetricPoint.objects.update_or_create(
        job_id=lease.job_id, name=name, step=step, defaults={"value": value}
    )


@transaction.atomic
def _finish(lease: Lease, *, target: JobState, message: str, level=JobEvent.Level.INFO, **fields) -> bool:
    """End the attempt the lease holds; False when the lease was lost and nothing changed."""
    done = _compare_and_set(
        lease.job_id,
        source=JobState.RUNNING,
        target=target,
        where=_lease_filter(lease),
        finished_at=timezone.now(),
        **fields,
    )
    if done:
        _event(lease.job_id, message, level=level, attempt=lease.attempt)
    return done


def job_succeed(*, lease: Lease, result: dict) -> bool:
    return _finish(lease, target=JobState.SUCCEEDED, message="succeeded", result=result, progress=1.0)


def job_fail(*, lease: Lease, error: str) -> bool:
    return _finish(
        lease, target=JobState.FAILED, message=f"failed: {error}", level=JobEvent.Level.ERROR, error=error
    )


def job_mark_cancelled(*, lease: Lease) -> bool:
    return _finish(lease, target=JobState.CANCELLED, message="cancelled; what it wrote so far is kept")


# --- Reconciling ----------------------------------------------------------------------------


@transaction.atomic
def job_release_lost(*, job: Job, now: datetime) -> bool:
    """Put a running job whose worker went silent back in the queue; True if it was."""
    stale_before = now - timedelta(seconds=settings.INDUS_JOB_LEASE_SECONDS)
    released = _compare_and_set(
        job.pk,
        source=JobState.RUNNING,
        target=JobState.QUEUED,
        where={"heartbeat_at__lt": stale_before, "lease_token": job.lease_token},
        lease_token=None,
        worker="",
    )
    if released:
        _event(
            job.pk,
            f"worker {job.worker} went silent during attempt {job.attempts} "
            f"(last heartbeat {job.heartbeat_at:%Y-%m-%d %H:%M:%S} UTC); sending the job again",
            level=JobEvent.Level.WARNING,
            attempt=job.attempts,
        )
        job_dispatch_on_commit(job_id=job.pk, queue=job.queue)
    return released


@transaction.atomic
def job_redispatch(*, job: Job) -> None:
    """Send a queued job's message again; a duplicate is harmless, a lost one is not."""
    _event(job.pk, "no worker took the job; sending its message again", level=JobEvent.Level.WARNING)
    job_dispatch_on_commit(job_id=job.pk, queue=job.queue)
