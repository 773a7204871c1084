"""Real processes for the attacks of tests/security: the web server as production runs it
(gunicorn, one worker process, so its memory can be read) and a Celery worker, both with
settings of the test's choosing, and the peak memory of each read from /proc."""
import os
import socket
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import requests

from indus.celery import app as celery_app
from tests.security.live_admin import admin_sign_in
from tests.support.workers import REPO_DIR, WorkerProcess, process_env, wait_for


def resident_bytes(pid: int, field: str = "VmHWM") -> int:
    """A process's resident memory from /proc: VmHWM is its peak so far, VmRSS its present."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"/proc/{pid}/status has no {field}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class WebServer:
    """gunicorn serving indus.wsgi with one worker process (the one that holds requests)."""

    def __init__(self, log_dir: Path, **env: str):
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_dir / f"gunicorn-{self.port}.log"
        self.env = env
        self.process: subprocess.Popen | None = None

    def start(self) -> "WebServer":
        argv = [
            sys.executable, "-m", "gunicorn", f"--bind=127.0.0.1:{self.port}", "--workers=1",
            "--worker-class=gthread", "--threads=2", "--timeout=120", "indus.wsgi:application",
        ]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(argv, env=process_env(**self.env), cwd=REPO_DIR, stdout=log,
                                            stderr=subprocess.STDOUT)
        wait_for(self._healthy, timeout=60, interval=0.2, message=f"gunicorn on port {self.port} to answer")
        return self

    def _healthy(self) -> bool:
        assert self.process.poll() is None, f"gunicorn exited:\n{self.log_path.read_text()[-3000:]}"
        try:
            return requests.get(self.url + "/healthz", timeout=10).status_code == 200
        except (requests.ConnectionError, requests.Timeout):
            return False

    @property
    def worker_pid(self) -> int:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        assert len(children) == 1, f"gunicorn should have one worker process, has {children}"
        return int(children[0])

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()


def admin_login(base_url: str, username: str, password: str) -> requests.Session:
    """A browser's session, signed in through the admin's login form of the server at `base_url`."""
    session, response = admin_sign_in(base_url, username, password)
    assert response.signed_in, f"{username} could not sign in to the admin"
    return session


@contextmanager
def web_server(log_dir: Path, **env: str):
    server = WebServer(log_dir, **env).start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def worker_with(log_dir: Path, **env: str):
    """A Celery worker that reads these settings from its environment."""
    celery_app.control.purge()  # messages of an earlier test would name jobs that are gone
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        worker = WorkerProcess(log_dir).start()
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name)
            else:
                os.environ[name] = value
    try:
        yield worker
    finally:
        worker.stop()
