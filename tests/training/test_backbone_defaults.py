"""Hyperparameter defaults belong to the backbone's family (a task may refine them), resolved
in one place and shown by the API and the admin's fine-tune form."""
from dataclasses import replace

import pytest
from django.urls import reverse

from indus.plugins.contract import ContractError, resolve_factory
from indus.plugins.manager import get_registry
from indus.tenancy.models import Role
from indus.training.hyperparameters import defaults
from indus.training.services import fine_tune_submit
from tests.admin.conftest import admin_client_as  # noqa: F401  (fixtures, shared)
from tests.api.conftest import api_client  # noqa: F401

FROM_SCRATCH = {"learning_rate": 3e-4, "epochs": 200.0, "batch_size": 32, "early_stopping_patience": 20}  # tabular_mlp
PRETRAINED = {"learning_rate": 1e-4, "epochs": 5.0, "batch_size": 32, "early_stopping_patience": 2}  # minilm


@pytest.fixture
def transactions(stored_version):
    sample = get_registry().samples_for_task("finance.fraud_detection")[0]
    return stored_version(resolve_factory(sample.generator)(rows=600, seed=0))


def chosen(job, names) -> dict:
    return {name: job.spec["hyperparameters"][name] for name in names}


def test_a_tabular_task_trains_from_scratch_defaults_and_a_text_task_fine_tunes(project, transactions, stored_version,
                                                                                 headlines):
    tabular = fine_tune_submit(project=project, dataset_version=transactions, task="finance.fraud_detection",
                               model_name="fraud")
    assert chosen(tabular, FROM_SCRATCH) == FROM_SCRATCH
    text = fine_tune_submit(project=project, dataset_version=stored_version(headlines), task="finance.news_sentiment",
                            model_name="news")
    assert chosen(text, PRETRAINED) == PRETRAINED
    # What the request gives wins; the rest keeps the backbone's defaults.
    refined = fine_tune_submit(project=project, dataset_version=transactions, task="finance.fraud_detection",
                               model_name="fraud", hyperparameters={"epochs": 8})
    assert chosen(refined, ["epochs", "learning_rate"]) == {"epochs": 8.0, "learning_rate": FROM_SCRATCH["learning_rate"]}


def test_a_task_refines_its_backbone_and_a_bad_declared_default_names_itself():
    registry = get_registry()
    task, backbone = registry.tasks["finance.fraud_detection"], registry.backbones["tabular_mlp"]
    refined = replace(task, hyperparameter_defaults={"epochs": 50})
    assert defaults(backbone=backbone, task=refined)["epochs"] == 50.0
    assert defaults(backbone=backbone, task=refined)["learning_rate"] == FROM_SCRATCH["learning_rate"]
    with pytest.raises(ContractError, match="backbone 'tabular_mlp' declares a default epochs=0 that must be greater"):
        defaults(backbone=replace(backbone, hyperparameter_defaults={"epochs": 0}))
    with pytest.raises(ContractError, match="task 'finance.fraud_detection' declares a default lr=0.1 that is not"):
        defaults(backbone=backbone, task=replace(task, hyperparameter_defaults={"lr": 0.1}))


def test_the_api_shows_the_defaults_of_each_backbone_and_of_a_task_on_each(api_client, user):  # noqa: F811
    client = api_client(user)
    backbones = {b["name"]: b["hyperparameter_defaults"] for b in client.get("/api/v1/backbones/").json()["results"]}
    assert {name: backbones["tabular_mlp"][name] for name in FROM_SCRATCH} == FROM_SCRATCH
    assert {name: backbones["minilm"][name] for name in PRETRAINED} == PRETRAINED
    task = client.get("/api/v1/tasks/finance.fraud_detection/").json()
    assert list(task["hyperparameter_defaults"]) == ["tabular_mlp"]
    assert task["hyperparameter_defaults"]["tabular_mlp"] == backbones["tabular_mlp"]


def test_the_fine_tune_form_starts_at_the_chosen_backbones_defaults(admin_client_as, project):  # noqa: F811
    editor = admin_client_as(Role.EDITOR)
    form = editor.get(reverse("admin:jobs_job_launch_fine_tune"),
                      {"project": project.pk, "task": "finance.fraud_detection"}).context["form"]
    assert form["learning_rate"].value() == 3e-4 and form["epochs"].value() == 200.0
    assert "default for tabular_mlp: 200.0" in form.fields["epochs"].help_text
    form = editor.get(reverse("admin:jobs_job_launch_fine_tune"),
                      {"project": project.pk, "task": "finance.news_sentiment", "backbone": "minilm"}).context["form"]
    assert form["learning_rate"].value() == 1e-4 and form["epochs"].value() == 5.0
