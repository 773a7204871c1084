"""The job kinds this installation runs, from settings.INDUS_JOB_KINDS."""
from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class JobKind:
    name: str
    runner: str  # dotted path of `runner(context) -> dict`, imported only inside a worker
    queue: str


def job_kinds() -> dict[str, JobKind]:
    return {
        name: JobKind(name=name, runner=entry["runner"], queue=entry["queue"])
        for name, entry in settings.INDUS_JOB_KINDS.items()
    }


def job_kind(name: str) -> JobKind | None:
    return job_kinds().get(name)
