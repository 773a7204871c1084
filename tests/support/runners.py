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


def parted_runner(context: JobContext) -> dict:
    """Sums the numbers 0 .. spec["rows"] - 1 in parts (`part_sum`), as a sharded kind would."""
    from indus.jobs.part_execution import run_in_parts
    from indus.jobs.parts import part_ranges

    results = run_in_parts(context, ranges=part_ranges(total_rows=context.spec["rows"]))
    return {"sum": sum(result["sum"] for result in results), "parts": len(results)}


def part_sum(context) -> dict:
    """One part of `parted_runner`: records that it ran, fails on spec["bad_row"] as bad input."""
    with Path(context.spec["parts_log"]).open("a") as log:
        log.write(f"{context.index}\n")
    bad_row = context.spec.get("bad_row")
    if bad_row is not None and context.first_row <= bad_row < context.end_row:
        raise JobInputError(f"row {bad_row}: not a number")
    context.report_progress(1.0)
    return {"sum": sum(range(context.first_row, context.end_row))}
