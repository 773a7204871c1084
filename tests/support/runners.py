"""Job runners that exist only for tests of the job machinery."""
import time
from pathlib import Path

from indus.jobs.execution import JobContext


def gated_runner(context: JobContext) -> dict:
    """Record each attempt, then wait until the test creates the gate file."""
    with Path(context.spec["attempts_log"]).open("a") as log:
        log.write(f"attempt {context.attempt}\n")
    gate = Path(context.spec["gate"])
    while not gate.exists():
        context.raise_if_cancelled()
        time.sleep(0.05)
    return {"finished_attempt": context.attempt}
