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
