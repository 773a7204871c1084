"""Import jobs run by a real worker process, on whichever database and broker are configured."""
import io

import pyarrow as pa
import pyarrow.parquet as pa_parquet
import pytest

from indus.core.storage import artifact_storage
from indus.datasets.models import DatasetVersion
from indus.datasets.services import dataset_upload
from indus.jobs.dispatch import job_dispatch

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CSV = "applicant_id,income,purpose,risk\n1,52000,car,low\n2,,house,high\n3,31000,car,medium\n"


def stored_table(version: DatasetVersion) -> pa.Table:
    with artifact_storage().open(version.data_path, "rb") as stored:
        return pa_parquet.read_table(io.BytesIO(stored.read()))


def import_file(dataset, upload, finished, content, name="loans.csv", **options):
    return finished(dataset_upload(dataset=dataset, file=upload(content, name=name), **options))


def test_uploaded_csv_becomes_a_profiled_version(worker, dataset, upload, finished):
    job = import_file(dataset, upload, finished, CSV)
    assert job.state == "succeeded", job.error
    version = DatasetVersion.objects.get(pk=job.result["dataset_version_id"])
    assert (version.number, version.row_count, version.source_name) == (1, 3, "loans.csv")
    assert [c["name"] for c in version.columns] == ["applicant_id", "income", "purpose", "risk"]
    income = version.profile["columns"][1]
    assert (income["missing"], income["min"], income["max"]) == (1, 31000, 52000)
    assert stored_table(version).column("purpose").to_pylist() == ["car", "house", "car"]
    assert version.import_job == job
    assert not artifact_storage().exists(job.spec["upload_path"])  # the version holds the data now


@pytest.mark.parametrize("name,content", [
    ("loans.jsonl", '{"id": 1, "text": "late fee"}\n{"id": 2, "text": "new card"}\n'),
    ("loans.parquet", None),
])
def test_jsonl_and_parquet_are_imported(worker, dataset, upload, finished, name, content):
    if content is None:
        sink = io.BytesIO()
        pa_parquet.write_table(pa.table({"id": [1, 2], "text": ["late fee", "new card"]}), sink)
        content = sink.getvalue()
    job = import_file(dataset, upload, finished, content, name=name)
    assert job.state == "succeeded", job.error
    assert stored_table(DatasetVersion.objects.get(pk=job.result["dataset_version_id"])).to_pydict() == {
        "id": [1, 2], "text": ["late fee", "new card"],
    }


def test_same_content_twice_is_one_version(worker, dataset, upload, finished):
    first = import_file(dataset, upload, finished, CSV)
    second = import_file(dataset, upload, finished, CSV)
    assert second.state == "succeeded"
    assert second.result == {**first.result, "created": False}
    assert dataset.versions.count() == 1
    assert not artifact_storage().exists(second.spec["upload_path"])


@pytest.mark.parametrize("content,message", [
    ("applicant_id,income\n", "no data rows"),
    ("a,b,c\n1,2,3\n4,5,6,7\n", "has 4 fields but the header has 3"),
    ("name,city\nJosé,Zürich\n".encode("latin-1"), "line 2 is not valid utf-8"),
    ("a,b,a\n1,2,3\n", "repeated: 'a'"),
    ("amount\n" + "1\n" * 5 + "\n", None),  # blank trailing line is fine
])
def test_bad_files_fail_clearly_and_change_nothing(worker, dataset, upload, finished, content, message):
    good = import_file(dataset, upload, finished, CSV)
    before = DatasetVersion.objects.get(pk=good.result["dataset_version_id"])
    job = import_file(dataset, upload, finished, content)
    if message is None:
        assert job.state == "succeeded", job.error
        return
    assert job.state == "failed"
    assert message in job.error
    assert "Traceback" not in job.error
    assert worker.alive, "a bad file must never bring the worker down"
    assert list(dataset.versions.all()) == [before]
    assert stored_table(before).num_rows == 3
    assert artifact_storage().exists(job.spec["upload_path"])  # kept for a retry


def test_declared_encoding_imports_latin1(worker, dataset, upload, finished):
    job = import_file(dataset, upload, finished, "name,city\nJosé,Zürich\n".encode("latin-1"), encoding="latin-1")
    assert job.state == "succeeded", job.error
    version = DatasetVersion.objects.get(pk=job.result["dataset_version_id"])
    assert stored_table(version).column("city").to_pylist() == ["Zürich"]


def test_a_finished_job_delivered_again_changes_nothing(worker, dataset, upload, finished):
    job = import_file(dataset, upload, finished, CSV)
    events_before = job.events.count()
    job_dispatch(job_id=job.pk, queue=job.queue)
    job_dispatch(job_id=job.pk, queue=job.queue)
    # A job sent after them shows when the worker has taken both duplicates off the queue.
    marker = import_file(dataset, upload, finished, CSV.replace("car", "boat"))
    assert marker.state == "succeeded"
    job.refresh_from_db()
    assert (job.attempts, job.events.count(), dataset.versions.count()) == (1, events_before, 2)
