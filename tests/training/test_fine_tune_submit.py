"""What a fine-tuning request is refused for, before any worker time is spent."""
import pyarrow as pa
import pytest
from django.core.exceptions import ValidationError

from indus.jobs.models import Job
from indus.plugins.manager import get_registry
from indus.tenancy.services import project_create
from indus.training.hyperparameters import defaults
from indus.training.services import fine_tune_submit

TASK = "finance.news_sentiment"


def submit(project, version, **overrides):
    return fine_tune_submit(**{"project": project, "dataset_version": version, "task": TASK, "model_name": "news",
                               **overrides})


def refused(project, version, **overrides) -> dict:
    with pytest.raises(ValidationError) as error:
        submit(project, version, **overrides)
    assert not Job.objects.exists()
    return error.value.message_dict


@pytest.mark.parametrize("hyperparameters,field,words", [
    ({"learning_rate": -0.001}, "hyperparameters.learning_rate", "must be greater than 0, not -0.001"),
    ({"epochs": 0}, "hyperparameters.epochs", "must be greater than 0, not 0"),
    ({"batch_size": 2.5}, "hyperparameters.batch_size", "whole number"),
    ({"batch_size": 4096, "max_length": 512}, "hyperparameters.batch_size", "GiB"),
    ({"max_length": 1024}, "hyperparameters.max_length", "reads at most 512 tokens"),
    ({"lr": 0.1}, "hyperparameters.lr", "unknown hyperparameter"),
    ({"class_weighting": "yes"}, "hyperparameters.class_weighting", "true or false"),
])
def test_bad_hyperparameters_are_refused(project, stored_version, headlines, hyperparameters, field, words):
    errors = refused(project, stored_version(headlines), hyperparameters=hyperparameters)
    assert words in " ".join(errors[field])


@pytest.mark.parametrize("name", ["", "../../etc", "a/b", "x" * 101])
def test_model_names_that_cannot_be_paths_are_refused(project, stored_version, headlines, name):
    assert "a model name has" in refused(project, stored_version(headlines), model_name=name)["model_name"][0]


def test_unknown_backbone(project, stored_version, headlines):
    errors = refused(project, stored_version(headlines), backbone="gpt-17")
    assert errors["backbone"][0].startswith("unknown backbone 'gpt-17'; available: minilm,")


def test_backbone_of_another_modality(project, stored_version, headlines):
    assert "cannot encode text data" in refused(project, stored_version(headlines), backbone="tabular_mlp")["backbone"][0]


def test_unknown_task(project, stored_version, headlines):
    assert "no loaded plugin provides task" in refused(project, stored_version(headlines), task="x.y")["task"][0]


def test_data_that_does_not_fit_the_task_names_its_columns(project, stored_version, headlines):
    without_text = headlines.drop_columns(["headline"])
    broken = without_text.set_column(
        without_text.schema.get_field_index("sentiment"), "sentiment", pa.array(["meh"] * headlines.num_rows)
    )
    errors = refused(project, stored_version(broken))["dataset_version"]
    assert any("column 'headline' is missing" in e for e in errors)
    assert any("column 'sentiment' has labels the task does not know: 'meh'" in e for e in errors)


def test_a_version_of_another_project_is_not_found(project, stored_version, headlines, user):
    other = project_create(slug="other", name="Other", owner=user)
    assert refused(other, stored_version(headlines))["dataset_version"] == ["no such dataset version in this project"]


def test_a_good_request_queues_on_the_gpu_queue_with_every_hyperparameter(project, stored_version, headlines):
    job = submit(project, stored_version(headlines), hyperparameters={"learning_rate": 1e-4})
    assert (job.kind, job.queue, job.state) == ("fine_tune", "gpu", "queued")
    assert job.spec["hyperparameters"]["learning_rate"] == 1e-4
    task = get_registry().tasks[TASK]
    backbone_defaults = defaults(backbone=get_registry().backbones[task.backbone], task=task)
    assert job.spec["hyperparameters"]["epochs"] == backbone_defaults["epochs"]  # the default, made explicit
    assert job.spec["backbone"] == "minilm"
