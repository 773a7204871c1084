"""Following a job until it ends, with a progress bar on a terminal (a line per change when
the output is a file or a pipe, so logs stay readable)."""
import sys
import time

from indus.cli.client import Client

TERMINAL_STATES = ("succeeded", "failed", "cancelled")
BAR_WIDTH = 30


def render_bar(job: dict) -> str:
    filled = round(job["progress"] * BAR_WIDTH)
    bar = "#" * filled + "-" * (BAR_WIDTH - filled)
    message = f"  {job['progress_message']}" if job["progress_message"] else ""
    return f"job {job['id']} [{bar}] {job['progress'] * 100:5.1f}%  {job['state']}{message}"


def watch(client: Client, project: str, job_id: int, *, interval: float, stream=None) -> dict:
    """Poll the job until it reaches a terminal state; returns it as last seen."""
    stream = stream or sys.stdout
    on_terminal = stream.isatty()
    last_line = None
    while True:
        job = client.get(f"projects/{project}/jobs/{job_id}/")
        line = render_bar(job)
        if line != last_line:
            stream.write(("\r\033[K" + line) if on_terminal else line + "\n")
            stream.flush()
            last_line = line
        if job["state"] in TERMINAL_STATES:
            if on_terminal:
                stream.write("\n")
            return job
        time.sleep(interval)
