"""Brings the broker back in line with the database, which is the source of truth.

A worker that dies while it holds a job (SIGKILL, lost machine) leaves the job `running` with
a heartbeat that stops; a message can be lost in the broker. Run periodically (Celery beat,
or `manage.py reconcile_jobs`), this finds both and sends the jobs again; a part of a job split
into parts whose worker went silent is asked for again, so an idle worker takes it over. Each job's attempts
are bounded: `job_claim` fails a job that has used them up.
"""
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from indus.jobs import parts, selectors, services


@dataclass(frozen=True)
class ReconcileReport:
    released: int
    redispatched: int
    parts_redispatched: int = 0  # parts of running jobs whose worker went silent, asked for again


def jobs_reconcile(*, now: datetime | None = None) -> ReconcileReport:
    now = now or timezone.now()
    released = sum(
        services.job_release_lost(job=job, now=now) for job in selectors.jobs_with_silent_worker(now=now)
    )
    waiting = list(selectors.jobs_waiting_too_long(now=now))
    for job in waiting:
        services.job_redispatch(job=job)
    silent_parts = selectors.jobs_with_silent_parts(now=now)
    for job, count in silent_parts.items():
        parts.job_parts_redispatch(job=job, count=count)
    return ReconcileReport(released=released, redispatched=len(waiting), parts_redispatched=sum(silent_parts.values()))
