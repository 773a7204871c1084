"""A real serving process over loopback, against tiny models trained by the runtime.

The models are trained once per session (the workers' test recipe: a tiny BERT, a small
tabular encoder, a few hundred rows, well under a second each) and stored in artifact storage
as a fine-tune stores them; each test registers its own versions and token, since the
database is emptied between tests. The server processes are started once per module and read
the database the tests write, like the web process would.
"""
import json
import socket
import subprocess
import sys
import threading
import time
from http.client import HTTPConnection
from pathlib import Path

import pytest

from indus.core.storage import store_folder
from indus.registry.services import model_alias_set, model_version_create, registered_model_get_or_create
from indus.tenancy.services import api_token_create
from tests.support.workers import REPO_DIR, process_env, wait_for
from tests.workers import builders
from tests.workers.builders import make_task
from tests.workers.inference.conftest import (
    reviews,
    saved,
    tabular_model_dir,  # noqa: F401  (a fixture: a credit-limit regression)
)


@pytest.fixture(scope="session")
def review_model_dirs(tmp_path_factory):
    """Two versions of a sentiment model (different seeds: their probabilities differ)."""
    task = make_task("classes", labels=("negative", "positive"), inputs={"review": "text"}, modality="text", target_column="sentiment")
    options = {**builders.TINY_TEXT_OPTIONS, "max_length": 32}
    return [
        saved(tmp_path_factory.mktemp(f"reviews_v{seed}"), task, builders.TEXT_BACKBONE, builders.CLASSIFICATION_HEAD,
              options, reviews(rows, seed=seed), steps=steps, lr=3e-3)
        for seed, rows, steps in ((1, 256, 60), (2, 128, 40))
    ]


def register(project, name: str, folders: list[str], *, task: str = "test.task", alias: str = "production"):
    """Store each folder as the next version of the model; point `alias` at the first."""
    model = registered_model_get_or_create(project=project, name=name, task=task)
    versions = []
    for folder in folders:
        stored = store_folder(folder, f"models/{project.slug}/{name}/{Path(folder).name}-{time.monotonic_ns()}")
        versions.append(model_version_create(model=model, artifact_path=stored))
    model_alias_set(version=versions[0], name=alias)
    return versions


@pytest.fixture
def token(user):
    return api_token_create(user=user, name="serving tests")[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ServingProcess:
    def __init__(self, log_path: Path, *options: str, env: dict[str, str] | None = None):
        self.port = free_port()
        self.log_path = log_path
        argv = [sys.executable, "-m", "django", "serve", "--port", str(self.port), *options]
        with log_path.open("ab") as log:
            self.process = subprocess.Popen(argv, env=process_env(**(env or {})), cwd=REPO_DIR, stdout=log, stderr=subprocess.STDOUT)
        wait_for(self._live, timeout=90, interval=0.2, message=f"the serving process to start (log: {log_path})")

    def _live(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"the serving process exited: {self.log_path.read_text()[-3000:]}")
        try:
            return Client(self.port).get("/v2/health/live")[0] == 200
        except OSError:
            return False

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class Client:
    """JSON over one kept-alive loopback connection (one per thread)."""

    def __init__(self, port: int, token: str | None = None):
        self.port = port
        self.token = token
        self._local = threading.local()

    def _connection(self) -> HTTPConnection:
        if getattr(self._local, "connection", None) is None:
            self._local.connection = HTTPConnection("127.0.0.1", self.port, timeout=30)
        return self._local.connection

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None):
        headers = {**({"Authorization": f"Bearer {self.token}"} if self.token else {}), **(headers or {})}
        connection = self._connection()
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            raw = response.read()
        except (ConnectionError, OSError):
            self._local.connection = None
            raise
        payload = json.loads(raw) if raw and response.getheader("content-type", "").startswith("application/json") else raw
        return response.status, payload, dict(response.getheaders())

    def get(self, path: str):
        return self.request("GET", path)

    def post(self, path: str, body, headers: dict | None = None):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        return self.request("POST", path, data, {"Content-Type": "application/json", **(headers or {})})

    def predict(self, model: str, rows, *, project: str = "credit", query: str = ""):
        return self.post(f"/projects/{project}/models/{model}/predict{query}", {"rows": rows})


@pytest.fixture(scope="module")
def server(django_db_setup, tmp_path_factory):
    process = ServingProcess(tmp_path_factory.mktemp("serving-logs") / "serve.log")
    yield process
    process.stop()


@pytest.fixture
def client(server, token):
    return Client(server.port, token)
