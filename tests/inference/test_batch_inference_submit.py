"""What a batch-inference request is refused for, before any worker time is spent."""
import pyarrow as pa
import pytest
from django.core.exceptions import ValidationError

from indus.inference.services import batch_inference_submit
from indus.jobs.models import Job
from indus.tenancy.services import project_create


def refused(**request) -> dict:
    with pytest.raises(ValidationError) as error:
        batch_inference_submit(**request)
    assert not Job.objects.exists()
    return error.value.message_dict


def test_missing_input_columns_are_named(project, model_version, stored_version):
    version = stored_version(pa.table({"ticket_id": [1], "text": ["hello"]}))
    errors = refused(project=project, model_version=model_version, dataset_version=version)
    assert errors["dataset_version"] == ["column 'message' is missing; model 'intents' reads it"]


@pytest.mark.parametrize("options,field", [
    ({"output_format": "xlsx"}, "output_format"),
    ({"on_bad_rows": "ignore"}, "on_bad_rows"),
    ({"batch_size": 0}, "batch_size"),
    ({"explain": {"top": 5000}}, "explain"),
    ({"explain": {"rows": [-1]}}, "explain"),
    ({"id_column": "nope"}, "id_column"),
])
def test_bad_options_name_their_field(project, model_version, support_tickets, options, field):
    assert field in refused(project=project, model_version=model_version, dataset_version=support_tickets, **options)


def test_another_projects_model_is_not_found(project, model_version, support_tickets, user):
    other = project_create(slug="other", name="Other", owner=user)
    errors = refused(project=other, model_version=model_version, dataset_version=support_tickets)
    assert errors["model_version"] == ["no such model version in this project"]


def test_a_good_request_queues_with_the_tasks_id_column(project, model_version, support_tickets):
    job = batch_inference_submit(project=project, model_version=model_version, dataset_version=support_tickets,
                                 explain={"rows": [1, 0, 1]})
    assert (job.kind, job.queue) == ("batch_inference", "gpu")
    assert job.spec["id_column"] == "ticket_id" and job.spec["explain"] == {"rows": [0, 1]}
