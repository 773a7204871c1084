"""Every change of a job part's state goes through these functions.

A job of a kind that runs in parts (`JobKind.part_runner`) over many rows is split into
`JobPart` rows by the worker holding the job (its coordinator); any worker of the job's queue
then claims a part, computes it and records its result. As for jobs, each change is a
compare-and-set update fenced by the part's lease token: a worker that went silent and whose
part was taken over cannot record it any more, and two workers claiming at once get one each.
"""
import math
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from indus.jobs.dispatch import job_parts_dispatch_on_commit
from indus.jobs.models import Job, JobEvent, JobPart
from indus.jobs.services import Lease
from indus.jobs.states import JobState

State = JobPart.State


@dataclass(frozen=True)
class PartLease:
    """A worker's hold on one attempt of one part; every write of that attempt presents it."""

    part_id: int
    job_id: int
    index: int
    count: int  # the job's number of parts
    first_row: int
    end_row: int
    token: uuid.UUID
    attempt: int
    worker: str

    @property
    def rows_text(self) -> str:
        """The part's rows as people count them in the file, from 0: "rows 4000 to 5999"."""
        return f"part {self.index + 1} of {self.count} (rows {self.first_row} to {self.end_row - 1})"


def part_ranges(*, total_rows: int, align: int = 1) -> list[tuple[int, int]]:
    """The row ranges a job over `total_rows` rows is split into: parts of about
    INDUS_JOB_PART_ROWS rows, at most INDUS_JOB_MAX_PARTS, as even as multiples of `align` rows
    allow (batch inference aligns them with its output parts, so that each part computes the
    very batches the whole job would). One range (or none, for no rows) means the job runs
    whole, with no parts."""
    count = min(math.ceil(total_rows / settings.INDUS_JOB_PART_ROWS), max(settings.INDUS_JOB_MAX_PARTS, 1))
    if count <= 1:
        return [(0, total_rows)] if total_rows else []
    bounds = sorted({0, total_rows, *(min(total_rows, align * round(total_rows * index / count / align))
                                      for index in range(1, count))})
    return list(zip(bounds[:-1], bounds[1:]))


def _event(job_id: int, message: str, *, level=JobEvent.Level.INFO, attempt: int = 0) -> None:
    JobEvent.objects.create(job_id=job_id, message=message, level=level, attempt=attempt)


@transaction.atomic
def job_parts_plan(*, lease: Lease, ranges: list[tuple[int, int]]) -> list[JobPart]:
    """The job's parts, made from `ranges` on its first delivery and found as they are on any
    later one (finished parts are kept). Only the holder of the job's lease plans."""
    if not Job.objects.filter(pk=lease.job_id, state=JobState.RUNNING, lease_token=lease.token).exists():
        return []
    parts = list(JobPart.objects.filter(job_id=lease.job_id).order_by("index"))
    if parts:
        return parts
    try:
        with transaction.atomic():
            JobPart.objects.bulk_create(
                JobPart(job_id=lease.job_id, index=index, first_row=first, end_row=end)
                for index, (first, end) in enumerate(ranges)
            )
    except IntegrityError:  # planned at the same moment by an attempt that replaced this one
        pass
    else:
        _event(lease.job_id, f"split into {len(ranges)} parts of about {ranges[0][1] - ranges[0][0]} rows",
               attempt=lease.attempt)
    return list(JobPart.objects.filter(job_id=lease.job_id).order_by("index"))


def job_parts_dispatch(*, job: Job, count: int) -> None:
    """Send `count` messages asking the job's queue for workers of its parts (once the
    transaction commits). A message finding no part left to claim ends at once."""
    if count > 0:
        job_parts_dispatch_on_commit(job_id=job.pk, queue=job.queue, count=count)


def _stale_before(now: datetime) -> datetime:
    return now - timedelta(seconds=settings.INDUS_JOB_LEASE_SECONDS)


@transaction.atomic
def job_part_claim(*, job_id: int, worker: str, now: datetime | None = None) -> PartLease | None:
    """Start the next attempt of a part of a running job: a queued part, else one whose worker
    went silent (taken over). None when the job is not running, its cancellation was asked
    for, or no part is left to claim. A part that used up the job's attempts fails here."""
    now = now or timezone.now()
    job = Job.objects.filter(pk=job_id).first()
    if job is None or job.state != JobState.RUNNING or job.cancel_requested_at is not None:
        return None
    stale_before = _stale_before(now)
    claimable = JobPart.objects.filter(job_id=job_id).filter(
        Q(state=State.QUEUED) | Q(state=State.RUNNING, heartbeat_at__lt=stale_before)
    )
    count = JobPart.objects.filter(job_id=job_id).count()
    for part in claimable.order_by("index"):
        # Guarded by what was read: of two workers claiming the same part, one updates it.
        guard = {"pk": part.pk, "state": part.state, "attempts": part.attempts}
        if part.state == State.RUNNING:
            guard["heartbeat_at__lt"] = stale_before
        if part.attempts >= job.max_attempts:
            reason = f"gave up after {part.attempts} attempts: each time the worker stopped before the part ended"
            if JobPart.objects.filter(**guard).update(state=State.FAILED, error=reason, lease_token=None,
                                                      finished_at=now):
                _event(job_id, f"part {part.index + 1} of {count}: {reason}", level=JobEvent.Level.ERROR)
            continue
        token = uuid.uuid4()
        if not JobPart.objects.filter(**guard).update(
            state=State.RUNNING, lease_token=token, worker=worker, heartbeat_at=now, attempts=part.attempts + 1,
            started_at=now,
        ):
            continue
        if part.state == State.RUNNING:
            _event(job_id, f"part {part.index + 1} of {count}: worker {part.worker} went silent; {worker} takes it over",
                   level=JobEvent.Level.WARNING, attempt=part.attempts + 1)
        return PartLease(part_id=part.pk, job_id=job_id, index=part.index, count=count, first_row=part.first_row,
                         end_row=part.end_row, token=token, attempt=part.attempts + 1, worker=worker)
    return None


def _held(lease: PartLease):
    return JobPart.objects.filter(pk=lease.part_id, state=State.RUNNING, lease_token=lease.token)


def job_part_heartbeat(*, lease: PartLease) -> tuple[bool, bool]:
    """Renew the part's lease. Returns (still held, stop asked for): a part stops when its job
    is no longer running or its cancellation was asked for."""
    held = _held(lease).update(heartbeat_at=timezone.now())
    job_goes_on = Job.objects.filter(pk=lease.job_id, state=JobState.RUNNING, cancel_requested_at__isnull=True).exists()
    return held == 1, not job_goes_on


@transaction.atomic
def job_part_report_progress(*, lease: PartLease, fraction: float) -> None:
    """Record how far the part is, and make the job's progress the sum of its parts'."""
    rows_done = round(min(max(fraction, 0.0), 1.0) * (lease.end_row - lease.first_row))
    if _held(lease).update(rows_done=rows_done):
        _job_progress_from_parts(lease.job_id)


def _job_progress_from_parts(job_id: int) -> None:
    totals = JobPart.objects.filter(job_id=job_id).aggregate(done=Sum("rows_done"), first=Sum("first_row"),
                                                             end=Sum("end_row"))
    rows = (totals["end"] or 0) - (totals["first"] or 0)
    if rows:
        Job.objects.filter(pk=job_id, state=JobState.RUNNING).update(
            progress=min((totals["done"] or 0) / rows, 0.99), progress_message=f"{totals['done']} of {rows} rows done"
        )


@transaction.atomic
def job_part_succeed(*, lease: PartLease, result: dict) -> bool:
    """Record the part's result; False when the lease was lost (another worker took it over)."""
    done = _held(lease).update(state=State.SUCCEEDED, result=result, rows_done=lease.end_row - lease.first_row,
                               lease_token=None, finished_at=timezone.now())
    if done:
        _job_progress_from_parts(lease.job_id)
    return done == 1


@transaction.atomic
def job_part_fail(*, lease: PartLease, error: str) -> bool:
    """The part failed for good (bad input, or a fault of its worker): the job fails with this
    message, which says which part and rows it was."""
    message = f"{lease.rows_text}: {error}"
    failed = _held(lease).update(state=State.FAILED, error=message, lease_token=None, finished_at=timezone.now())
    if failed:
        _event(lease.job_id, f"failed: {message}", level=JobEvent.Level.ERROR, attempt=lease.attempt)
    return failed == 1


def job_part_release(*, lease: PartLease) -> bool:
    """Give a part back unfinished (its job was cancelled, its worker stops): another worker,
    or a later delivery of the job, continues it from what it wrote."""
    return _held(lease).update(state=State.QUEUED, lease_token=None, worker="") == 1


@transaction.atomic
def job_parts_redispatch(*, job: Job, count: int) -> None:
    """Ask for workers again for parts whose worker went silent; an idle one takes them over."""
    _event(job.pk, f"{count} part(s) lost their worker; asking the {job.queue} queue for others",
           level=JobEvent.Level.WARNING)
    job_parts_dispatch(job=job, count=count)
