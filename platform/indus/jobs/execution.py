"""Running one delivery of a job inside a worker process.

The Celery task calls `execute_job`; it claims the job, keeps its lease alive from a
heartbeat thread, calls the kind's runner with a `JobContext`, and records the outcome.
Runners never touch Job rows: they report through the context, like Trainer callbacks.
"""
import logging
import threading
from dataclasses import dataclass, field

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils.module_loading import import_string

from indus.jobs import services
from indus.jobs.kinds import job_kind
from indus.jobs.models import Job
from indus.jobs.selectors import job_spec
from indus.plugins.contract import JobInputError  # runners import it from here too

logger = logging.getLogger(__name__)


class JobCancelled(Exception):
    """Raised by a runner (through `JobContext.raise_if_cancelled`) to stop where it is."""


class Heartbeat(threading.Thread):
    """Renews the lease while the runner works and notices cancellation requests."""

    def __init__(self, lease, *, renew=services.job_heartbeat, name: str = ""):
        """`renew(lease=...)` -> (still held, stop asked for): a job's lease, or a part's."""
        super().__init__(name=name or f"heartbeat-job-{lease.job_id}", daemon=True)
        self.lease = lease
        self.renew = renew
        self.stopped = threading.Event()
        self.lease_lost = threading.Event()
        self.cancel_requested = threading.Event()

    def run(self) -> None:
        try:
            while not self.stopped.wait(settings.INDUS_JOB_HEARTBEAT_SECONDS):
                try:
                    held, cancel_requested = self.renew(lease=self.lease)
                except Exception:
                    logger.exception("heartbeat of job %s failed; trying again", self.lease.job_id)
                    continue
                if cancel_requested:
                    self.cancel_requested.set()
                if not held:
                    logger.warning("job %s: lease lost; stopping this attempt", self.lease.job_id)
                    self.lease_lost.set()
                    return
        finally:
            connection.close()


@dataclass
class JobContext:
    """What a runner sees of its job: the spec in, progress, events and metrics out."""

    job_id: int
    project_id: int
    spec: dict
    lease: services.Lease
    _heartbeat: Heartbeat = field(repr=False)

    @property
    def attempt(self) -> int:
        return self.lease.attempt

    def report_progress(self, fraction: float, message: str = "") -> None:
        services.job_report_progress(lease=self.lease, fraction=fraction, message=message)

    def log(self, message: str) -> None:
        services.job_log(lease=self.lease, message=message)

    def record_metric(self, name: str, step: int, value: float) -> None:
        services.job_record_metric(lease=self.lease, name=name, step=step, value=value)

    @property
    def should_stop(self) -> bool:
        return self._heartbeat.cancel_requested.is_set() or self._heartbeat.lease_lost.is_set()

    def raise_if_cancelled(self) -> None:
        if self.should_stop:
            raise JobCancelled()


def execute_job(*, job_id: int, worker: str) -> str:
    """Run one delivery of a job; returns what happened, for the worker's log."""
    close_old_connections()
    lease = services.job_claim(job_id=job_id, worker=worker)
    if lease is None:
        return "skipped"
    job = Job.objects.get(pk=job_id)
    heartbeat = Heartbeat(lease)
    heartbeat.start()
    spec = job_spec(job=job)
    context = JobContext(job_id=job.pk, project_id=job.project_id, spec=spec, lease=lease, _heartbeat=heartbeat)
    try:
        runner = import_string(job_kind(job.kind).runner)
        result = runner(context)
    except JobCancelled:
        return "cancelled" if services.job_mark_cancelled(lease=lease) else "lease lost"
    except JobInputError as error:
        services.job_fail(lease=lease, error=str(error))
        return "failed"
    except Exception as error:  # a bug or an environment fault: keep the worker alive
        logger.exception("job %s failed", job_id)
        services.job_fail(lease=lease, error=f"internal error ({type(error).__name__}): {error}")
        return "failed"
    finally:
        heartbeat.stopped.set()
        heartbeat.join()
    if not services.job_succeed(lease=lease, result=result or {}):
        return "lease lost"
    _after_success(job, spec)
    return "succeeded"


def _after_success(job: Job, spec: dict) -> None:
    hook = job_kind(job.kind).after_success
    if hook is None:
        return
    try:
        import_string(hook)(spec)
    except Exception:  # the job's result stands; what was not freed is only disk
        logger.exception("job %s succeeded, but cleaning up after it failed", job.pk)
