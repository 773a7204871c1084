"""`make demo`'s steps on a fresh var/ folder: the embedded platform starts, runs a job, stops."""
import os
import signal
import socket
import subprocess
import sys
import urllib.request

import pytest

from tests.support.workers import REPO_DIR, wait_for

# `make demo` is the embedded default whatever the environment says: a services pass repeats it.
pytestmark = [pytest.mark.e2e, pytest.mark.services_neutral]

SUBMIT_IMPORT = """
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from indus.datasets.services import dataset_create, dataset_upload
from indus.tenancy.models import Project
dataset = dataset_create(project=Project.objects.get(slug="demo"), name="reviews")
job = dataset_upload(dataset=dataset, file=ContentFile(b"text,label\\ngreat,1\\nawful,0\\n", name="r.csv"))
print(job.pk)
"""
JOB_STATE = "from indus.jobs.models import Job; print(Job.objects.get(pk={job_id}).state)"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def embedded_env(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND")}
    return {**env, "DJANGO_SETTINGS_MODULE": "indus.settings", "INDUS_VAR_DIR": str(tmp_path / "var"),
            "INDUS_ADMIN_PASSWORD": "demo-password-123"}


def manage(env, *args) -> str:
    done = subprocess.run([sys.executable, "manage.py", *args], cwd=REPO_DIR, env=env,
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    return done.stdout


def http_get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except OSError:
        return 0


def test_demo_serves_the_admin_runs_a_job_and_stops_on_ctrl_c(embedded_env, tmp_path):
    manage(embedded_env, "migrate", "--noinput")
    manage(embedded_env, "collectstatic", "--noinput")
    assert "admin login: admin / demo-password-123" in manage(embedded_env, "ensure_admin")
    # A second run reuses what exists.
    assert "created admin user" not in manage(embedded_env, "ensure_admin")

    port, serve_port = free_port(), free_port()
    log = (tmp_path / "platform.log").open("w")
    platform = subprocess.Popen(
        [sys.executable, "manage.py", "runplatform", "--bind", f"127.0.0.1:{port}", "--concurrency", "1",
         "--serve-port", str(serve_port)],
        cwd=REPO_DIR, env=embedded_env, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        wait_for(lambda: http_get(f"http://127.0.0.1:{port}/healthz") == 200, timeout=60, message="the web server")
        assert http_get(f"http://127.0.0.1:{port}/admin/login/") == 200
        assert http_get(f"http://127.0.0.1:{port}/static/admin/css/base.css") == 200
        wait_for(lambda: http_get(f"http://127.0.0.1:{serve_port}/v2/health/ready") == 200, timeout=90,
                 message="the serving process")

        job_id = manage(embedded_env, "shell", "--no-imports", "-c", SUBMIT_IMPORT).strip()
        wait_for(lambda: manage(embedded_env, "shell", "--no-imports", "-c", JOB_STATE.format(job_id=job_id)).strip() == "succeeded",
                 timeout=90, interval=1, message="the demo worker to run the import")

        platform.send_signal(signal.SIGINT)
        assert platform.wait(timeout=60) == 0
        assert http_get(f"http://127.0.0.1:{port}/healthz") == 0, "the web server outlived Ctrl-C"
        assert http_get(f"http://127.0.0.1:{serve_port}/v2/health/live") == 0, "the serving process outlived Ctrl-C"
    finally:
        if platform.poll() is None:
            platform.kill()
        log.close()
    output = (tmp_path / "platform.log").read_text()
    assert f"http://127.0.0.1:{port}/admin/" in output
    assert "stopped web server and worker" in output
