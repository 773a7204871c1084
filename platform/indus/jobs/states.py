"""The job state machine: which state may follow which, and nothing else."""
from django.db import models


class JobState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


TERMINAL_STATES = frozenset({JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED})

# RUNNING -> QUEUED is the way back for a job whose worker went silent; RUNNING -> RUNNING is a
# new attempt taking such a job over directly (a redelivered message); QUEUED -> FAILED is a
# job that used up its attempts before a worker could start it again.
ALLOWED_TRANSITIONS = {
    JobState.QUEUED: frozenset({JobState.RUNNING, JobState.CANCELLED, JobState.FAILED}),
    JobState.RUNNING: frozenset(
        {JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED, JobState.QUEUED, JobState.RUNNING}
    ),
    JobState.SUCCEEDED: frozenset(),
    JobState.FAILED: frozenset(),
    JobState.CANCELLED: frozenset(),
}


class InvalidTransition(Exception):
    pass


def check_transition(source: JobState, target: JobState) -> None:
    if target not in ALLOWED_TRANSITIONS[JobState(source)]:
        raise InvalidTransition(f"a {source} job cannot become {target}")
