"""Submitting a sweep: what a trial would be refused for is refused before anything is queued,
with a 400 naming the field; a good sweep queues its coordinator alone, on the cpu queue."""
import json

import pytest
from django.urls import reverse

from indus.jobs.models import Job
from indus.plugins.manager import get_registry
from indus.sweeps.models import Sweep
from indus.sweeps.search_space import checked_search_space
from indus.tenancy.models import Role
from tests.admin.conftest import admin_client_as  # noqa: F401  (a fixture, shared)
from tests.api.conftest import api_client  # noqa: F401
from tests.cli.conftest import cli_env, indus  # noqa: F401
from tests.sweeps.conftest import QUICK, TASK

JOBS_URL = "/api/v1/projects/credit/jobs/"
SPACE = {"learning_rate": {"low": 1e-4, "high": 1e-2, "log": True}, "batch_size": {"choices": [32, 64]}}


@pytest.fixture
def owner_api(api_client, user):  # noqa: F811
    return api_client(user)


def sweep_body(version, **changes) -> dict:
    return {"kind": "sweep", "dataset_version": version.pk, "task": TASK, "model_name": "delays",
            "search_space": SPACE, "hyperparameters": {"epochs": 1}, "trials": 8, **changes}


def test_a_sweep_queues_its_coordinator_with_the_tasks_primary_metric(owner_api, arrivals):
    version = arrivals()
    response = owner_api.post(JOBS_URL, sweep_body(version), format="json")
    assert response.status_code == 201, response.json()
    job = Job.objects.get()  # the coordinator only: its trials are queued when it runs
    assert (job.kind, job.queue) == ("sweep", "cpu")
    assert (job.spec["search_space"], job.spec["trials"], job.spec["parallelism"]) == (SPACE, 8, 2)
    sweep = Sweep.objects.get(job=job)
    # The task's first metric that goes one way; its declaration says lower is better.
    assert (sweep.metric, sweep.direction, job.spec["metric"]) == ("mae", "minimize", "mae")
    assert str(job.pk) in sweep.study_name


def test_a_sweep_without_a_search_space_searches_its_backbones_default_less_what_it_fixes(owner_api, arrivals):
    body = sweep_body(arrivals(), hyperparameters={"epochs": 1, "weight_decay": 0.0}, max_minutes=30)
    del body["search_space"]
    response = owner_api.post(JOBS_URL, body, format="json")
    assert response.status_code == 201, response.json()
    job = Job.objects.get()
    declared = get_registry().backbones[job.spec["backbone"]].search_space_defaults
    assert "weight_decay" in declared and "learning_rate" in declared
    assert job.spec["search_space"] == {name: entry for name, entry in declared.items() if name != "weight_decay"}
    assert job.spec["max_minutes"] == 30
    listed = {b["name"]: b["search_space_defaults"] for b in owner_api.get("/api/v1/backbones/").json()["results"]}
    assert listed[job.spec["backbone"]] == declared


@pytest.mark.parametrize("backbone", sorted(get_registry().backbones))
def test_each_backbones_default_search_space_lies_within_the_table(backbone):
    declared = get_registry().backbones[backbone]
    assert declared.search_space_defaults
    assert checked_search_space(None, fixed={}, backbone=declared, task=None) == declared.search_space_defaults


@pytest.mark.parametrize("changes,field,words", [
    ({"search_space": {}}, "search_space", "at least one hyperparameter"),
    ({"search_space": {"dropout": {"low": 0.1, "high": 0.5}}}, "search_space.dropout", "unknown hyperparameter"),
    ({"search_space": {"learning_rate": {"low": 0, "high": 0.1}}}, "search_space.learning_rate",
     "low 0: must be greater than 0"),
    ({"search_space": {"warmup_ratio": {"low": 0, "high": 0.9}}}, "search_space.warmup_ratio",
     "high 0.9: must be at most 0.5"),
    ({"search_space": {"batch_size": {"choices": [32, 0.5]}}}, "search_space.batch_size", "must be a whole number"),
    ({"search_space": {"learning_rate": {"low": 0.1, "high": 0.01}}}, "search_space.learning_rate", "must be below high"),
    ({"search_space": {"epochs": {"choices": [1, 2]}}}, "search_space.epochs", "also fixed in hyperparameters"),
    ({"trials": 0}, "trials", "greater than or equal to 1"),
    ({"max_minutes": 0}, "max_minutes", "must be more than 0 minutes, not 0"),
    ({"max_minutes": -5}, "max_minutes", "must be more than 0 minutes, not -5"),
    ({"pruning": "hyperband"}, "pruning", "not a valid choice"),
    ({"metric": "roc_auc"}, "metric", "reports mae, rmse; not 'roc_auc'"),
    ({"hyperparameters": {"epochs": 0}}, "hyperparameters.epochs", "greater than 0"),
    ({"task": "finance.fraud_detection"}, "dataset_version", "is missing; the task needs it"),
])
def test_a_bad_sweep_is_a_400_naming_the_field_and_queues_nothing(owner_api, arrivals, changes, field, words):
    response = owner_api.post(JOBS_URL, sweep_body(arrivals(), **changes), format="json")
    error = response.json()["error"]
    assert response.status_code == 400 and error["field"] == field and words in error["message"], error
    assert not Job.objects.exists() and not Sweep.objects.exists()


def test_the_cli_submits_a_sweep_with_flags_from_the_schema(indus, arrivals):  # noqa: F811
    version = arrivals()
    code, out, err = indus("jobs", "submit", "credit", "sweep", "--dataset-version", version.pk, "--task", TASK,
                           "--model", "delays", "--space", 'learning_rate={"low": 0.0001, "high": 0.01, "log": true}',
                           "--set", f"epochs={QUICK['epochs']}", "--trials", 4, "--parallelism", 2,
                           "--metric", "rmse", "--pruning", "median")
    job = Job.objects.get()
    assert (code, out, err) == (0, f"sweep job {job.pk} queued\n", "")
    assert job.spec["search_space"] == {"learning_rate": {"low": 0.0001, "high": 0.01, "log": True}}
    assert (job.spec["trials"], job.spec["metric"], job.spec["pruning"], job.spec["hyperparameters"]) == (
        4, "rmse", "median", {"epochs": 1})
    refused = indus("jobs", "submit", "credit", "sweep", "--dataset-version", version.pk, "--task", TASK,
                    "--model", "delays", "--space", "{}")
    assert refused[0] == 3 and "(search_space) [400" in refused[2]


def test_the_admin_launches_a_sweep_from_its_generated_form(admin_client_as, arrivals):  # noqa: F811
    version, editor = arrivals(), admin_client_as(Role.EDITOR)
    launch = reverse("admin:jobs_job_launch_sweep")
    form = editor.get(launch).context["form"]
    assert {"dataset_version", "task", "model_name", "search_space", "trials", "parallelism", "metric",
            "pruning"} <= set(form.fields)
    body = {"dataset_version": version.pk, "task": TASK, "model_name": "delays", "trials": 4, "parallelism": 2,
            "pruning": "median", "hyperparameters": "{}"}
    refused = editor.post(launch, {**body, "search_space": json.dumps({"lr": {"low": 0.1, "high": 0.2}})})
    assert refused.context["form"].non_field_errors()[0].startswith("search_space.lr: unknown hyperparameter")
    assert not Job.objects.exists()
    launched = editor.post(launch, {**body, "search_space": json.dumps(SPACE)})
    job = Job.objects.get()
    assert launched["Location"] == reverse("admin:jobs_job_change", args=[job.pk])
    assert (job.kind, job.spec["search_space"], job.spec["pruning"]) == ("sweep", SPACE, "median")
    page = editor.get(launched["Location"]).content.decode()
    assert 'id="sweep-trials"' in page and "No trial queued yet." in page
