"""Running a set of long-lived processes as one: stop all when one stops or on a signal."""
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field

STOP_GRACE_SECONDS = 20


@dataclass
class ChildSpec:
    name: str
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)


def supervise(children: list[ChildSpec], *, poll_seconds: float = 0.3, on_started=None) -> int:
    """Run the children until one exits or this process gets SIGINT/SIGTERM; return an exit code.

    Children get their own session so that Ctrl-C reaches only this supervisor, which then
    asks each child to stop (SIGTERM: a warm shutdown for Celery, graceful for gunicorn) and
    kills the ones still running after a grace period.
    """
    stop_requested = []

    def request_stop(signum, _frame):
        stop_requested.append(signum)

    previous = {s: signal.signal(s, request_stop) for s in (signal.SIGINT, signal.SIGTERM)}
    processes = [
        subprocess.Popen(child.argv, env={**os.environ, **child.env}, start_new_session=True)
        for child in children
    ]
    try:
        if on_started:
            on_started()
        while not stop_requested:
            exited = [p for p in processes if p.poll() is not None]
            if exited:
                return exited[0].returncode or 1
            time.sleep(poll_seconds)
        return 0
    finally:
        _stop_all(processes)
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _stop_all(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for process in processes:
        try:
            process.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
