"""Driving a training run in a separate process and relaying what it reports.

The Celery task never imports torch: it starts `python -m indus_workers.training` (or torchrun
for several processes), relays the JSON-line events the run writes to the job's services,
turns a cancellation into a stop file the run checks at every step, and reads the result file
the run writes last. The run dies with the worker process (PR_SET_PDEATHSIG; under torchrun
each rank also dies with the agent), so a worker killed mid-job leaves no training behind to
race the attempt that replaces it.
"""
import ctypes
import json
import logging
import signal
import subprocess
import sys
import time
from pathlib import Path

from indus.jobs.execution import JobCancelled, JobContext, JobInputError

logger = logging.getLogger(__name__)

POLL_SECONDS = 0.5
PR_SET_PDEATHSIG = 1


class EventTail:
    """Reads the complete lines a run has appended since the last read."""

    def __init__(self, events_path: Path):
        self.events_path = events_path
        self.offset = 0

    def read_new(self) -> list[dict]:
        if not self.events_path.exists():
            return []
        with self.events_path.open("rb") as events:
            events.seek(self.offset)
            complete = []
            while line := events.readline():
                if not line.endswith(b"\n"):  # still being written: read it next time
                    break
                self.offset += len(line)
                complete.append(json.loads(line))
        return complete


def _die_with_parent():
    """Runs in the child between fork and exec: ask the kernel to SIGKILL it with its parent."""
    if sys.platform.startswith("linux"):
        _LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


_LIBC = ctypes.CDLL(None) if sys.platform.startswith("linux") else None


def training_command(paths: dict[str, Path], processes: int) -> list[str]:
    runtime = ["-m", "indus_workers.training"]
    for option in ("spec", "events", "stop-file", "result"):
        runtime += [f"--{option}", str(paths[option])]
    if processes == 1:
        return [sys.executable, *runtime]
    # torchrun starts one process per device and sets up the process group (gloo on CPU,
    # NCCL on GPU); the HF Trainer inside each process wraps the model in DDP.
    return [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={processes}", *runtime]


def run_training_process(context: JobContext, spec: dict, work_dir: Path, *, processes: int = 1) -> dict:
    """Run the training and return its result; raise JobInputError, JobCancelled or RuntimeError."""
    attempt_dir = work_dir / f"attempt-{context.attempt}"
    attempt_dir.mkdir(parents=True, exist_ok=True)
    paths = {
        "spec": attempt_dir / "spec.json",
        "events": attempt_dir / "events.jsonl",
        "stop-file": attempt_dir / "stop",
        "result": attempt_dir / "result.json",
        "log": attempt_dir / "training.log",
    }
    paths["spec"].write_text(json.dumps(spec))
    tail = EventTail(paths["events"])
    with paths["log"].open("ab") as log:
        process = subprocess.Popen(
            training_command(paths, processes), stdout=log, stderr=subprocess.STDOUT, cwd=attempt_dir,
            preexec_fn=_die_with_parent,
        )
        try:
            while process.poll() is None:
                _relay(context, tail.read_new())
                if context.should_stop and not paths["stop-file"].exists():
                    paths["stop-file"].touch()
                time.sleep(POLL_SECONDS)
        finally:
            if process.poll() is None:  # an exception here (not a cancel): do not leave it running
                process.kill()
                process.wait()
    _relay(context, tail.read_new())
    if paths["stop-file"].exists():
        raise JobCancelled()
    return _result(paths, process.returncode)


def _relay(context: JobContext, events: list[dict]) -> None:
    for event in events:
        kind = event["event"]
        if kind == "progress":
            context.report_progress(event["fraction"], event.get("message", ""))
        elif kind == "metric":
            context.record_metric(event["name"], event["step"], event["value"])
        elif kind == "checkpoint":
            context.log(f"checkpoint saved at step {event['step']}")
        else:
            context.log(event.get("message", ""))


def _result(paths: dict[str, Path], returncode: int) -> dict:
    if paths["result"].exists():
        outcome = json.loads(paths["result"].read_text())
        if outcome.get("ok"):
            return outcome
        if outcome.get("input_error"):
            raise JobInputError(outcome["error"])
        raise RuntimeError(f"training failed: {outcome['error']}")
    # The log (with any traceback) stays on the worker for operators; users get the summary.
    logger.error("training process exited with code %s; log: %s", returncode, paths["log"])
    raise RuntimeError(f"the training process exited with code {returncode} without a result")
