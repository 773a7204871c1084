"""What an evaluate request is refused for, before any worker time is spent."""
import pyarrow as pa
import pytest
from django.core.exceptions import ValidationError

from indus.evaluation.services import evaluation_submit
from indus.jobs.models import Job
from indus.registry.models import ModelVersion
from indus.registry.services import model_version_create, registered_model_get_or_create
from indus.tenancy.services import project_create


@pytest.fixture
def labelled(stored_version):
    return stored_version(pa.table({
        "ticket_id": [1, 2], "message": ["where is my parcel", "refund please"], "intent": ["delivery", "refund"],
    }))


def refused(**request) -> dict:
    with pytest.raises(ValidationError) as error:
        evaluation_submit(**request)
    assert not Job.objects.exists()
    return error.value.message_dict


def test_a_good_request_queues_on_the_gpu_queue_and_leaves_the_model_alone(project, model_version, labelled, user):
    job = evaluation_submit(project=project, model_version=model_version, dataset_version=labelled, created_by=user)
    assert (job.kind, job.queue, job.state, job.created_by) == ("evaluate", "gpu", "queued", user)
    assert job.spec == {"model_version_id": model_version.pk, "dataset_version_id": labelled.pk}
    assert ModelVersion.objects.get(pk=model_version.pk).metrics == {"test_accuracy": 0.8}


def test_data_without_the_target_column_is_refused_naming_it(project, model_version, stored_version):
    unlabelled = stored_version(pa.table({"ticket_id": [1], "message": ["where is my parcel"]}))
    errors = refused(project=project, model_version=model_version, dataset_version=unlabelled)
    assert errors == {"dataset_version": ["column 'intent' is missing; it holds the classes target the model is scored against"]}


def test_every_missing_column_is_named(project, model_version, stored_version):
    version = stored_version(pa.table({"ticket_id": [1], "text": ["hello"]}))
    errors = refused(project=project, model_version=model_version, dataset_version=version)
    assert [message.split(";")[0] for message in errors["dataset_version"]] == ["column 'message' is missing",
                                                                                  "column 'intent' is missing"]
    assert errors["dataset_version"][0] == "column 'message' is missing; model 'intents' reads it"


def test_another_projects_model_or_data_is_not_found(project, model_version, labelled, user):
    other = project_create(slug="other", name="Other", owner=user)
    with pytest.raises(ValidationError) as error:
        evaluation_submit(project=other, model_version=model_version, dataset_version=labelled)
    assert error.value.error_dict["model_version"][0].code == "not_found"

    other_model = registered_model_get_or_create(project=other, name="intents", task="retail.support_intent")
    other_version = model_version_create(model=other_model, artifact_path="models/y")
    with pytest.raises(ValidationError) as error:
        evaluation_submit(project=other, model_version=other_version, dataset_version=labelled)
    assert error.value.error_dict["dataset_version"][0].code == "not_found"
    assert not Job.objects.exists()


def test_a_model_whose_plugin_is_not_loaded_is_refused(project, labelled):
    model = registered_model_get_or_create(project=project, name="gone", task="nowhere.gone_task")
    version = model_version_create(model=model, artifact_path="models/z")
    errors = refused(project=project, model_version=version, dataset_version=labelled)
    assert errors == {"model_version": ["the model's task 'nowhere.gone_task' is not provided by a loaded plugin"]}


def test_a_forecast_needs_its_series_time_and_history_columns(project, stored_version):
    model = registered_model_get_or_create(project=project, name="flow", task="transport.traffic_flow")
    version = model_version_create(model=model, artifact_path="models/f")
    data = stored_version(pa.table({"road_type": ["motorway"], "direction": ["inbound"], "lanes": [3],
                                    "speed_kmh": [80.0], "occupancy": [0.2], "raining": [False], "incident": [False]}))
    errors = refused(project=project, model_version=version, dataset_version=data)
    assert errors["dataset_version"] == [f"column {name!r} is missing; model 'flow' reads it"
                                         for name in ("sensor_id", "timestamp", "flow")]
