"""Sending a job's wake-up message to the queue its kind runs on.

The message carries only the job id: the worker re-reads everything else from the database,
so a message that is lost, repeated or late can never make a job run with stale data.
"""
import logging

from celery import current_app
from django.db import transaction
from django.utils import timezone

from indus.jobs.models import Job

logger = logging.getLogger(__name__)

RUN_JOB_TASK = "indus.jobs.run_job"
RUN_JOB_PARTS_TASK = "indus.jobs.run_job_parts"


def job_dispatch(*, job_id: int, queue: str) -> bool:
    """Send the message now. False when the broker refused it; the reconciler sends it later."""
    try:
        current_app.send_task(RUN_JOB_TASK, args=[job_id], queue=queue)
    except Exception:
        logger.exception("could not send job %s to queue %s; the reconciler will retry", job_id, queue)
        return False
    Job.objects.filter(pk=job_id).update(dispatched_at=timezone.now())
    return True


def job_dispatch_on_commit(*, job_id: int, queue: str) -> None:
    """Send the message once the transaction that wrote the job commits, never before."""
    transaction.on_commit(lambda: job_dispatch(job_id=job_id, queue=queue), robust=True)


def job_parts_dispatch_on_commit(*, job_id: int, queue: str, count: int) -> None:
    """Once the transaction commits, send `count` messages asking workers of the queue to claim
    parts of the job (see indus.jobs.parts). A lost one costs only speed: the job's own worker
    computes every part nobody else claims, and the reconciler asks again for silent parts."""

    def send() -> None:
        try:
            for _ in range(count):
                current_app.send_task(RUN_JOB_PARTS_TASK, args=[job_id], queue=queue)
        except Exception:
            logger.exception("could not ask queue %s for workers of job %s's parts", queue, job_id)

    transaction.on_commit(send, robust=True)
