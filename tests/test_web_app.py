"""The web process: light to load, everything behind a login, every admin page working."""
import subprocess
import sys

import pytest
from django.contrib import admin
from django.urls import reverse

from tests.support.workers import REPO_DIR, process_env

LOAD_WEB_APP = """
import sys
from django.test import Client
from indus.wsgi import application
import indus.urls, indus.jobs.tasks, indus.datasets.importing, indus.training.runner, indus.inference.runner
from indus.plugins.manager import get_registry
get_registry()
Client().get("/admin/login/")
print(" ".join(m for m in ("torch", "transformers", "indus_workers") if m in sys.modules))
"""


def test_loading_the_web_app_does_not_import_the_ml_stack():
    loaded = subprocess.run(
        [sys.executable, "-c", LOAD_WEB_APP], env=process_env(), cwd=REPO_DIR,
        capture_output=True, text=True, timeout=120,
    )
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.strip() == ""


def test_health_check_answers_without_login(client, db):
    assert client.get("/healthz").json() == {"status": "ok"}


def test_api_root_needs_a_login(client, user):
    # 401 with a Bearer challenge: the API says how to authenticate.
    response = client.get("/api/v1/")
    assert response.status_code == 401 and response["WWW-Authenticate"].startswith("Bearer")
    client.force_login(user)
    assert client.get("/api/v1/").status_code == 200


@pytest.mark.parametrize("model", list(admin.site._registry), ids=lambda m: m._meta.label)
def test_every_admin_list_and_add_page_loads(admin_client, dataset, model):
    prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
    assert admin_client.get(reverse(f"{prefix}_changelist")).status_code == 200
    add = admin_client.get(reverse(f"{prefix}_add"))
    assert add.status_code in (200, 403)  # read-only models refuse adding


def test_admin_needs_a_login(client, db):
    response = client.get(reverse("admin:jobs_job_changelist"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
