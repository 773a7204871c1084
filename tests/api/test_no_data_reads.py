"""A web request reads no dataset: a submitted job's data is checked against its task from
the version's stored schema and profile, and what only the values show is the job's first
stage, in a worker."""
import pyarrow as pa
import pyarrow.parquet as pa_parquet
import pytest

from indus.bindings.models import TaskBinding
from indus.core.storage import artifact_storage
from indus.datasets.profiling import ALL_VALUES_CAP
from indus.jobs.execution import execute_job
from indus.jobs.models import Job
from indus.tenancy.models import Role
from tests.support.forms import as_posted

from .conftest import TASK

JOBS_URL = "/api/v1/projects/credit/jobs/"


@pytest.fixture
def editor(world, api_client):
    return api_client(world.users[Role.EDITOR])


@pytest.fixture
def forbid_data_reads(monkeypatch):
    """Once called, opening a stored file or reading Parquet raises, and the storage has no
    local paths, as an object store has none: any read of a dataset would be a download."""

    def read(*args, **kwargs):
        raise AssertionError("the web request read a dataset")

    def no_local_path(self, name):
        raise NotImplementedError("no local paths, as on an object store")

    def forbid():
        storage = type(artifact_storage())
        monkeypatch.setattr(storage, "open", read)
        monkeypatch.setattr(storage, "path", no_local_path)
        for reader in ("ParquetFile", "read_table", "ParquetDataset"):
            monkeypatch.setattr(pa_parquet, reader, read)

    return forbid


def fine_tune(editor, version, **changes):
    body = {"kind": "fine_tune", "dataset_version": version.pk, "task": TASK, "model_name": "news",
            "hyperparameters": {"epochs": 1}, **changes}
    return editor.post(JOBS_URL, body, format="json")


def test_submitting_each_kind_reads_no_data(world, editor, forbid_data_reads):
    forbid_data_reads()
    model = {"model_version": world.model_version.pk, "dataset_version": world.version.pk}
    for body in ({"kind": "batch_inference", **model}, {"kind": "evaluate", **model}):
        response = editor.post(JOBS_URL, body, format="json")
        assert response.status_code == 201, response.json()
    response = fine_tune(editor, world.version)
    assert response.status_code == 201, response.json()
    assert Job.objects.filter(kind__in=["fine_tune", "batch_inference", "evaluate"]).count() == 3


def test_data_that_cannot_fit_is_refused_from_its_stored_profile(world, editor, stored_version, headlines,
                                                                 forbid_data_reads):
    renamed = headlines.rename_columns(["headline_id", "text", "sentiment"])
    broken = stored_version(renamed.set_column(2, "sentiment", pa.array(["meh", "great"] * (headlines.num_rows // 2))))
    forbid_data_reads()
    response = fine_tune(editor, broken)
    assert response.status_code == 400
    errors = response.json()["error"]["details"]["errors"]
    assert {error["field"] for error in errors} == {"dataset_version"}
    messages = [error["message"] for error in errors]
    assert messages[0] == "column 'headline' is missing; the task needs it as text"
    assert "column 'sentiment' has labels the task does not know: 'meh', 'great' (120 values)" in messages[1]
    assert not Job.objects.filter(kind="fine_tune").exists()


def test_a_class_with_too_few_rows_is_refused_from_its_stored_profile(world, editor, stored_version, forbid_data_reads):
    labels = ["negative"] * 2 + ["neutral", "positive"] * 60
    version = stored_version(pa.table({"headline_id": list(range(len(labels))), "headline": ["Shares move"] * len(labels),
                                       "sentiment": labels}))
    forbid_data_reads()
    response = fine_tune(editor, version)
    assert response.status_code == 400
    assert "too few rows for some classes ('negative': 2)" in response.json()["error"]["message"]


@pytest.mark.django_db(transaction=True)
def test_labels_past_the_profiles_top_values_fail_the_jobs_first_stage(world, editor, stored_version):
    """More distinct labels than the profile keeps (its top values, and all values only of a
    column with at most ALL_VALUES_CAP): the request cannot see them all, so it queues, and the worker's first stage fails the job before any training."""
    labels = ["negative", "neutral", "positive"] * 40 + [f"other-{i}" for i in range(ALL_VALUES_CAP)]
    table = pa.table({"headline_id": list(range(len(labels))), "headline": ["Shares move"] * len(labels),
                      "sentiment": labels})
    response = fine_tune(editor, stored_version(table))
    assert response.status_code == 201, response.json()
    execute_job(job_id=response.json()["id"], worker="test-worker")
    job = Job.objects.get(pk=response.json()["id"])
    assert job.state == "failed"
    assert job.error.startswith(f"the data does not fit task {TASK}: column 'sentiment' has labels the task does not know")
    assert f"({ALL_VALUES_CAP} values)" in job.error


def test_the_preview_and_the_version_page_read_no_data(world, api_client, forbid_data_reads, client, headlines):
    """A preview served from the rows stored at import: on an object store, reading the file
    would be a download of all of it."""
    from django.urls import reverse

    forbid_data_reads()
    viewer = api_client(world.users[Role.VIEWER])
    dataset = world.version.dataset
    response = viewer.get(f"/api/v1/projects/credit/datasets/{dataset.pk}/versions/{world.version.number}/preview/?rows=3")
    assert response.status_code == 200, response.json()
    assert response.json() == {"columns": headlines.column_names, "rows": headlines.slice(0, 3).to_pylist(),
                               "truncated": False}
    client.force_login(world.users[Role.VIEWER])
    page = client.get(reverse("admin:datasets_datasetversion_change", args=[world.version.pk]))
    assert page.status_code == 200
    assert str(headlines.column("headline")[0]) in page.content.decode()


def test_use_this_data_proposes_saves_and_fine_tunes_without_reading_data(world, forbid_data_reads, client):
    """The admin's "Use this data" infers from the stored profile, as the API's infer call does."""
    from django.urls import reverse

    forbid_data_reads()
    client.force_login(world.users[Role.EDITOR])
    url = reverse("admin:bindings_taskbinding_use", args=[world.version.pk])
    assert client.get(url).status_code == 200
    proposed = client.get(url, {"target": "sentiment"})
    assert proposed.status_code == 200 and proposed.context["proposal"].valid, proposed.context["proposal"].problems
    response = client.post(url, as_posted(proposed.context["form"]) | {"model_name": "sentiment", "_fine_tune": "1"})
    assert response.status_code == 302
    binding = TaskBinding.objects.get()
    assert Job.objects.get(kind="fine_tune").spec["binding_id"] == binding.pk
    assert client.get(reverse("admin:bindings_taskbinding_change", args=[binding.pk])).status_code == 200
