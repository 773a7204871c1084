"""Thin Celery tasks: they carry a job id to the services and nothing else."""
from celery import shared_task

from indus.jobs.execution import execute_job
from indus.jobs.part_execution import execute_job_parts
from indus.jobs.reconciler import jobs_reconcile


@shared_task(name="indus.jobs.run_job", acks_late=True, reject_on_worker_lost=True)
def run_job(job_id: int) -> str:
    return execute_job(job_id=job_id, worker=run_job.request.hostname or "unknown-worker")


@shared_task(name="indus.jobs.run_job_parts", acks_late=True, reject_on_worker_lost=True)
def run_job_parts(job_id: int) -> str:
    """Claim and compute parts of a job split into parts, until none is left (see indus.jobs.parts)."""
    return execute_job_parts(job_id=job_id, worker=run_job_parts.request.hostname or "unknown-worker")


@shared_task(name="indus.jobs.reconcile", acks_late=False)
def reconcile() -> dict:
    report = jobs_reconcile()
    return {"released": report.released, "redispatched": report.redispatched,
            "parts_redispatched": report.parts_redispatched}
