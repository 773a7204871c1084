"""The job kinds this installation runs, from settings.INDUS_JOB_KINDS."""
from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class JobKind:
    name: str
    runner: str  # dotted path of `runner(context) -> dict`, imported only inside a worker
    queue: str
    # Dotted path of `after_success(spec)`, called once the job's success is recorded: it frees
    # what only a retry would have needed (a succeeded job is never retried).
    after_success: str | None = None


def job_kinds() -> dict[str, JobKind]:
    return {
        name: JobKind(name=name, runner=entry["runner"], queue=entry["queue"], after_success=entry.get("after_success"))
        for name, entry in settings.INDUS_JOB_KINDS.items()
    }


def job_kind(name: str) -> JobKind | None:
    return job_kinds().get(name)
