"""Thin Celery tasks: they carry a job id to the services and nothing else."""
from celery import shared_task

from indus.jobs.execution import execute_job
from indus.jobs.reconciler import jobs_reconcile


@shared_task(name="indus.jobs.run_job", acks_late=True, reject_on_worker_lost=True)
def run_job(job_id: int) -> str:
    return execute_job(job_id=job_id, worker=run_job.request.hostname or "unknown-worker")


@shared_task(name="indus.jobs.reconcile", acks_late=False)
def reconcile() -> dict:
    report = jobs_reconcile()
    return {"released": report.released, "redispatched": report.redispatched}
