"""Job runners that exist only for tests of the job machinery."""
import time
from pathlib import Path

from indus.jobs.execution import JobContext, JobInputError


def gated_runner(context: JobContext) -> dict:
    """Record each attempt, then wait until the test creates the gate file."""
    with Path(context.spec["attempts_log"]).open("a") as log:
        log.write(f"attempt {context.attempt}\n")
    gate = Path(context.spec["gate"])
    while not gate.exists():
        context.raise_if_cancelled()
        time.sleep(0.05)
    return {"finished_attempt": context.attempt}


def failing_runner(context: JobContext) -> dict:
    raise JobInputError("the input is wrong")


def succeeding_runner(context: JobContext) -> dict:
    return {"done": True}


def cleanup_marker(spec: dict) -> None:
    """Leaves a file saying it ran, or raises when the spec asks it to."""
    if spec.get("cleanup_fails"):
        raise OSError("the disk is gone")
    Path(spec["cleaned"]).write_text("cleaned")
