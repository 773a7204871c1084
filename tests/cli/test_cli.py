"""The `indus` command against a live server, with a real token."""
import io
import json
import os
import stat
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from indus.jobs import services as job_services
from indus.jobs.models import Job
from tests.api.conftest import TASK, failed_job, registered_version
from tests.training.conftest import headlines  # noqa: F401  (a fixture, shared)

pytestmark = pytest.mark.django_db(transaction=True)


def installed_indus() -> str:
    """The console script pip installed next to this interpreter."""
    script = Path(sys.executable).with_name("indus")
    assert script.exists(), "the indus command is not installed: pip install -e ."
    return str(script)


def test_the_installed_command_lists_my_projects(cli_env):
    listed = subprocess.run([installed_indus(), "projects", "list"], env={**os.environ, **cli_env},
                            capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.splitlines()[1].split()[:3] == ["credit", "Credit", "risk"]


def test_login_checks_the_token_and_saves_it_privately(indus, cli_env, monkeypatch):
    code, out, _ = indus("login", "--url", cli_env["INDUS_URL"], "--token", cli_env["INDUS_TOKEN"])
    assert code == 0 and "(cli tests)" in out
    saved = Path(cli_env["INDUS_CONFIG"])
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert json.loads(saved.read_text()) == {"url": cli_env["INDUS_URL"], "token": cli_env["INDUS_TOKEN"]}
    monkeypatch.delenv("INDUS_URL")
    monkeypatch.delenv("INDUS_TOKEN")
    assert indus("projects", "list")[0] == 0


def test_upload_makes_the_dataset_and_queues_the_import(indus, tmp_path):
    data = tmp_path / "loans.csv"
    data.write_text("income,defaulted\n1200,no\n300,yes\n")
    code, out, _ = indus("datasets", "upload", "credit", "loans", data)
    assert code == 0
    job = Job.objects.get(kind="import")
    assert out.splitlines() == ["created dataset 'loans' in credit", f"import job {job.pk} queued"]
    assert job.spec["original_name"] == "loans.csv"


def test_fine_tune_submitted_twice_with_one_key_is_one_job(indus, stored_version, headlines):  # noqa: F811
    version = stored_version(headlines)
    submit = ("jobs", "submit", "credit", "fine-tune", "--dataset-version", version.pk, "--task", TASK,
              "--model", "news", "--set", "epochs=1", "--set", "learning_rate=0.0001", "--idempotency-key", "nightly-7")
    first, again = indus(*submit), indus(*submit)
    job = Job.objects.get(kind="fine_tune")
    assert first == again == (0, f"fine_tune job {job.pk} queued\n", "")
    assert (job.spec["hyperparameters"]["epochs"], job.spec["hyperparameters"]["learning_rate"]) == (1.0, 0.0001)


def test_an_evaluation_is_submitted_with_a_model_and_a_dataset_version(indus, project, stored_version, headlines):  # noqa: F811
    model_version, version = registered_version(project), stored_version(headlines)
    code, out, _ = indus("jobs", "submit", "credit", "evaluate", "--model-version", model_version.pk,
                         "--dataset-version", version.pk)
    job = Job.objects.get(kind="evaluate")
    assert (code, out) == (0, f"evaluate job {job.pk} queued\n")
    assert job.spec == {"model_version_id": model_version.pk, "dataset_version_id": version.pk}
    missing = indus("jobs", "submit", "credit", "evaluate", "--dataset-version", version.pk)
    assert missing[0] == 3 and "(model_version) [400" in missing[2]


def test_watch_shows_progress_until_the_job_succeeds(cli_env, project):
    job = job_services.job_create(project=project, kind="sample", spec={})
    watcher = subprocess.Popen([installed_indus(), "jobs", "watch", "credit", str(job.pk), "--interval", "0.1"],
                               env={**os.environ, **cli_env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lease = job_services.job_claim(job_id=job.pk, worker="w1")
    job_services.job_report_progress(lease=lease, fraction=0.5, message="epoch 1 of 2")
    time.sleep(1.0)  # long enough for several polls to see it
    job_services.job_succeed(lease=lease, result={"rows": 10})
    out, err = watcher.communicate(timeout=60)
    assert watcher.returncode == 0, err
    assert f"job {job.pk} [###############---------------]  50.0%  running  epoch 1 of 2" in out.splitlines()
    assert out.splitlines()[-1] == 'result: {"rows": 10}'


def test_watch_exits_1_with_the_reason_when_the_job_failed(indus, project):
    job = failed_job(project)
    code, out, _ = indus("jobs", "watch", "credit", job.pk, "--interval", "0.1")
    assert code == 1
    assert out.splitlines()[-1] == f"job {job.pk} failed: it broke"


def test_models_are_listed_and_downloaded(indus, project, tmp_path):
    registered_version(project)
    code, out, _ = indus("models", "list", "credit")
    assert code == 0 and out.splitlines()[1].split()[1:4] == ["news", TASK, "1"]
    target = tmp_path / "news.zip"
    assert indus("models", "download", "credit", "news", 1, "-o", target)[0] == 0
    assert sorted(zipfile.ZipFile(io.BytesIO(target.read_bytes())).namelist()) == ["config.json", "tokenizer/vocab.txt"]


@pytest.mark.parametrize(
    "argv,code,message",
    [
        (("jobs", "submit", "credit", "fine-tune", "--dataset-version", 1, "--task", "x.y", "--model", "m"), 3,
         "error: no dataset version with id 1 in this project (dataset_version) [400 not_found]"),
        (("jobs", "show", "credit", 99999), 3, "error: no job 99999 in project credit [404 not_found]"),
        (("jobs", "list", "nowhere"), 3, "error: no project 'nowhere' among yours [404 not_found]"),
        (("datasets", "upload", "credit", "loans", "/no/such/file.csv"), 2, "error: no file /no/such/file.csv"),
    ],
)
def test_refusals_print_the_apis_error_and_exit_non_zero(indus, argv, code, message):
    result = indus(*argv)
    assert (result[0], result[2].strip()) == (code, message)


def test_a_bad_token_or_no_server_or_no_configuration(indus, monkeypatch):
    monkeypatch.setenv("INDUS_TOKEN", "indus_000000000000_wrong")
    assert indus("projects", "list")[::2] == (3, "error: the API token is not valid [401 invalid_token]\n")
    monkeypatch.setenv("INDUS_URL", "http://127.0.0.1:9")
    code, _, err = indus("projects", "list")
    assert code == 4 and err.startswith("error: cannot reach http://127.0.0.1:9")
    monkeypatch.delenv("INDUS_URL")
    assert indus("projects", "list")[0] == 2
