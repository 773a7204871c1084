"""Running a job split into parts inside worker processes.

The worker holding the job (its coordinator, inside the kind's runner) calls `run_in_parts`:
it plans the parts (a later delivery finds them, finished ones included), asks the queue for
more workers, then claims and computes parts like any of them. With no part left to claim it
waits, its job heartbeat still running, and takes over a part whose worker went silent. When
every part is done it returns their results, for the runner to merge; the first failed part
fails the job with that part's message. Other workers come through `execute_job_parts` (the
`indus.jobs.run_job_parts` task): they claim parts until none is left or the job stops.
"""
import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import close_old_connections
from django.utils.module_loading import import_string

from indus.jobs import parts, selectors, services
from indus.jobs.execution import Heartbeat, JobCancelled, JobContext, JobInputError
from indus.jobs.kinds import job_kind
from indus.jobs.models import Job, JobPart

logger = logging.getLogger(__name__)

# Between two looks at the parts other workers compute: the job ends at most this long after its
# last part; a look is one indexed read.
WAIT_SECONDS = 0.2


@dataclass
class PartContext(JobContext):
    """What a part runner sees: the job's spec, its part's rows, progress and events out. It is
    a `JobContext` (the same stop checks), so that a kind's reporting works for both."""

    lease: parts.PartLease

    @property
    def index(self) -> int:
        return self.lease.index

    @property
    def first_row(self) -> int:
        return self.lease.first_row

    @property
    def end_row(self) -> int:
        return self.lease.end_row

    def report_progress(self, fraction: float, message: str = "") -> None:
        parts.job_part_report_progress(lease=self.lease, fraction=fraction)

    def log(self, message: str) -> None:
        services.job_log(lease=self.lease, message=f"part {self.index + 1}: {message}")

    def record_metric(self, name: str, step: int, value: float) -> None:
        """Not recorded: steps of several parts would overwrite each other's points; the job's
        result has the rate of the whole job."""


def run_in_parts(context: JobContext, *, ranges: list[tuple[int, int]]) -> list[dict]:
    """Compute the job's parts (rows `ranges`) with every worker that comes; the results in row
    order. Raises JobInputError with a failed part's message, JobCancelled when the job stops."""
    job = Job.objects.get(pk=context.job_id)
    planned = parts.job_parts_plan(lease=context.lease, ranges=ranges)
    if not planned:
        raise JobCancelled()  # the job's lease was lost before it could plan
    open_parts = sum(part.state != JobPart.State.SUCCEEDED for part in planned)
    parts.job_parts_dispatch(job=job, count=open_parts - 1)  # this worker computes one itself
    run_part = import_string(job_kind(job.kind).part_runner)
    while True:
        context.raise_if_cancelled()
        lease = parts.job_part_claim(job_id=job.pk, worker=context.lease.worker)
        if lease is not None:
            _compute_part(job, context.spec, lease, run_part)
            continue
        current = selectors.job_parts(job_id=job.pk)
        failed = next((part for part in current if part.state == JobPart.State.FAILED), None)
        if failed is not None:
            raise JobInputError(failed.error)
        if all(part.state == JobPart.State.SUCCEEDED for part in current):
            return [part.result for part in current]
        # Parts are running elsewhere: wait for them, or for one whose worker goes silent. A
        # short wait (WAIT_SECONDS), so the job ends soon after its last part.
        time.sleep(min(settings.INDUS_JOB_HEARTBEAT_SECONDS, WAIT_SECONDS))


def execute_job_parts(*, job_id: int, worker: str) -> str:
    """Compute parts of a job until none is left to claim; returns what happened, for the log."""
    close_old_connections()
    job = Job.objects.filter(pk=job_id).first()
    kind = job_kind(job.kind) if job else None
    if kind is None or kind.part_runner is None:
        return "skipped"
    run_part = import_string(kind.part_runner)
    spec = selectors.job_spec(job=job)
    computed = 0
    while (lease := parts.job_part_claim(job_id=job_id, worker=worker)) is not None:
        if not _compute_part(job, spec, lease, run_part):
            break
        computed += 1
    return f"computed {computed} part(s)"


def _compute_part(job: Job, spec: dict, lease: parts.PartLease, run_part) -> bool:
    """Run one claimed part and record how it ended; False when it stopped unfinished."""
    heartbeat = Heartbeat(lease, renew=parts.job_part_heartbeat, name=f"heartbeat-job-{job.pk}-part-{lease.index}")
    heartbeat.start()
    context = PartContext(job_id=job.pk, project_id=job.project_id, spec=spec, lease=lease, _heartbeat=heartbeat)
    try:
        result = run_part(context)
        context.raise_if_cancelled()
    except JobCancelled:
        parts.job_part_release(lease=lease)
        return False
    except JobInputError as error:
        parts.job_part_fail(lease=lease, error=str(error))
        return True
    except Exception as error:  # a bug or an environment fault: the job fails, the worker lives
        logger.exception("job %s: %s failed", job.pk, lease.rows_text)
        parts.job_part_fail(lease=lease, error=f"internal error ({type(error).__name__}): {error}")
        return True
    finally:
        heartbeat.stopped.set()
        heartbeat.join()
    parts.job_part_succeed(lease=lease, result=result or {})
    return True
