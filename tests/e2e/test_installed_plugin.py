"""docs/plugins.md's example plugin, pip-installed from outside the repository."""
import shutil
import subprocess
import sys

import pyarrow as pa
import pytest

from indus.core.storage import local_folder
from indus.datasets.models import DatasetVersion
from indus.datasets.services import dataset_generate_sample
from indus.plugins.manager import reset_registry
from indus.registry.models import ModelVersion
from indus.training.services import fine_tune_submit
from tests.support.workers import REPO_DIR, process_env

# Installing and discovering a plugin: the services change nothing of it.
pytestmark = [pytest.mark.e2e, pytest.mark.services_neutral]
EXAMPLE = REPO_DIR / "docs" / "examples" / "indus-insurance"


def pip(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pip", "--disable-pip-version-check", "-q", *args],
                          capture_output=True, text=True, timeout=300)


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "manage.py", *args], cwd=REPO_DIR, env=process_env(**env),
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def installed_example(tmp_path_factory):
    source = tmp_path_factory.mktemp("outside") / "indus-insurance"
    shutil.copytree(EXAMPLE, source)
    # A regular (not editable) install: the package is copied into site-packages.
    installed = pip("install", "--no-deps", "--no-build-isolation", str(source))
    assert installed.returncode == 0, installed.stderr
    reset_registry()  # this process sees it too
    yield
    pip("uninstall", "-y", "indus-insurance")  # the last test may have done it already
    reset_registry()


@pytest.mark.django_db(transaction=True)
def test_its_task_trains_and_predicts_with_its_own_head(installed_example, worker_factory, project, dataset, finished):
    worker_factory()  # started after the install, like a worker restarted after a deploy
    sample = finished(dataset_generate_sample(dataset=dataset, sample="insurance.claims", rows=300))
    assert sample.state == "succeeded", sample.error
    version = DatasetVersion.objects.get(pk=sample.result["dataset_version_id"])
    job = finished(fine_tune_submit(
        project=project, dataset_version=version, task="insurance.claim_triage", model_name="triage",
        hyperparameters={"epochs": 3, "learning_rate": 2e-4, "max_length": 32},
    ), timeout=600)
    assert job.state == "succeeded", job.error

    model_version = ModelVersion.objects.get(job=job)
    assert model_version.head_spec["head"] == "insurance.cost_sensitive"
    from indus_workers.model import load_model

    with local_folder(model_version.artifact_path) as folder:
        model = load_model(folder)
    assert type(model.head).__name__ == "CostSensitiveHead"
    examples = model.featurize(pa.table({"description": ["second theft claim this year", "cracked windscreen"]}),
                               inference=True)
    assert [row["label"] for row in model.predict_rows(examples)] == ["investigate", "fast_track"]


def test_install_allow_list_and_uninstall(installed_example):
    """Runs last in this module: it uninstalls the plugin."""
    shown = manage("plugins", "show", "insurance")
    assert shown.returncode == 0, shown.stderr
    assert "task insurance.claim_triage: Claim triage [text, classes target 'route'" in shown.stdout
    assert "head insurance.cost_sensitive" in shown.stdout

    checked = manage("plugins", "check")
    assert checked.returncode == 0, checked.stderr  # the head class imports, with torch, in this process

    hidden = manage("plugins", "list", INDUS_PLUGINS="finance")
    assert any(line.split()[:1] == ["insurance"] and "disabled" in line for line in hidden.stdout.splitlines())

    assert pip("uninstall", "-y", "indus-insurance").returncode == 0
    listed = manage("plugins", "list")
    assert listed.returncode == 0 and "insurance" not in listed.stdout
