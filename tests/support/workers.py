"""Real Celery worker processes for end-to-end tests."""
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection

REPO_DIR = Path(__file__).resolve().parents[2]


def wait_for(predicate, *, timeout: float, interval: float = 0.1, message: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}")


def test_database_url() -> str:
    """The URL of the database the test run created, for processes the tests start."""
    db = connection.settings_dict
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{db['NAME']}"
    credentials = quote(db["USER"] or "")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"])
    return f"postgres://{credentials}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"


def process_env(**extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "PYTHONPATH": os.pathsep.join([str(REPO_DIR / "platform"), str(REPO_DIR)]),
        "INDUS_VAR_DIR": str(settings.VAR_DIR),
        "DATABASE_URL": test_database_url(),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_RESULT_BACKEND": settings.CELERY_RESULT_BACKEND,
        **extra,
    }


class WorkerProcess:
    """`celery worker` on both queues (or those given), solo pool, logging to a file the test can read."""

    def __init__(self, log_dir: Path, queues: str = "gpu,cpu", **env: str):
        """`env`: settings of this worker's own (INDUS_JOB_PART_ROWS=...), over the test run's."""
        self.name = f"test-{uuid.uuid4().hex[:8]}"
        self.queues = queues
        self.env = env
        self.log_path = log_dir / f"{self.name}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> "WorkerProcess":
        argv = [
            sys.executable, "-m", "celery", "-A", "indus.celery", "worker",
            "--queues", self.queues, "--pool", "solo", "--hostname", f"{self.name}@%h",
            "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel", "INFO",
        ]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(argv, env=process_env(**self.env), cwd=REPO_DIR, stdout=log, stderr=subprocess.STDOUT)
        wait_for(lambda: "ready." in self.log(), timeout=60, message=f"worker {self.name} to start")
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        stop_all([self])


def stop_all(workers: list[WorkerProcess]) -> None:
    """Ask every worker to stop, then wait for them: an idle worker takes seconds to notice
    (its broker loop polls), so stopping them one after the other would add those seconds up."""
    running = [worker for worker in workers if worker.alive]
    for worker in running:
        worker.process.terminate()
    for worker in running:
        try:
            worker.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
