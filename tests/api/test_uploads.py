"""Uploading a file as a dataset version: what is refused at once, and why."""
import io

import pyarrow as pa
import pyarrow.parquet as pa_parquet
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from indus.jobs.execution import execute_job
from indus.jobs.models import Job
from indus.tenancy.models import Role
from tests.support.datasets import DOES_NOT_FIT, FITS, two_task_csv


@pytest.fixture
def upload_url(world):
    return f"/api/v1/projects/credit/datasets/{world.dataset.pk}/upload/"


@pytest.fixture
def editor(world, api_client):
    return api_client(world.users[Role.EDITOR])


def parquet_bytes() -> bytes:
    sink = io.BytesIO()
    pa_parquet.write_table(pa.table({"a": [1, 2]}), sink)
    return sink.getvalue()


def post_file(client, url, name: str, content: bytes, **fields):
    return client.post(url, {"file": SimpleUploadedFile(name, content), **fields}, format="multipart")


def import_jobs() -> int:
    return Job.objects.filter(kind="import").count()


def test_a_good_file_is_queued_as_an_import_job(editor, upload_url, world):
    response = post_file(editor, upload_url, "rows.parquet", parquet_bytes(), task="finance.news_sentiment")
    assert response.status_code == 201
    job = Job.objects.get(pk=response.json()["id"])
    assert (job.kind, job.state, job.spec["format"], job.spec["task"]) == ("import", "queued", "parquet",
                                                                           "finance.news_sentiment")


@pytest.mark.parametrize(
    "name,content,fields,code,words",
    [
        ("rows.csv", b"", {}, "empty", "empty"),
        ("rows.xlsx", b"PK\x03\x04", {}, "unsupported_type", "not supported"),
        ("rows.parquet", b"a,b\n1,2\n", {}, "malformed", "not a Parquet file"),
        ("rows.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", {}, "malformed", "binary"),
        ("rows.jsonl", b"[1, 2]\n[3, 4]\n", {}, "malformed", "not a JSON object"),
    ],
    ids=["empty", "wrong type", "fake parquet", "binary csv", "jsonl of arrays"],
)
def test_bad_files_are_refused_naming_the_file(editor, upload_url, name, content, fields, code, words):
    response = post_file(editor, upload_url, name, content, **fields)
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["field"], error["code"]) == ("file", code)
    assert words in error["message"]
    assert import_jobs() == 0


def test_a_bad_option_names_its_field(editor, upload_url):
    response = post_file(editor, upload_url, "rows.csv", b"a\n1\n", encoding="klingon-8")
    assert (response.status_code, response.json()["error"]["field"]) == (400, "encoding")


def test_a_file_over_the_cap_is_413_naming_the_file(editor, upload_url, settings):
    settings.INDUS_MAX_UPLOAD_BYTES = 1024
    response = post_file(editor, upload_url, "rows.csv", b"a,b\n" + b"1,2\n" * 600)
    assert response.status_code == 413
    error = response.json()["error"]
    assert (error["field"], error["code"]) == ("file", "too_large")
    assert "limited to 1024" in error["message"]
    assert import_jobs() == 0


def test_a_body_declared_over_the_cap_is_refused_unread(editor, upload_url, settings):
    settings.INDUS_MAX_UPLOAD_BYTES = 1024
    # The declared length alone decides: the (short) body that follows is never parsed.
    response = editor.generic("POST", upload_url, data=b"--x--", content_type="multipart/form-data; boundary=x",
                              CONTENT_LENGTH=str(10 * 1024**2))
    assert (response.status_code, response.json()["error"]["code"]) == (413, "too_large")


@pytest.mark.parametrize(
    "body,content_type,code,field",
    [
        (b"not multipart at all", "multipart/form-data", "parse_error", None),
        (b"--x\r\nContent-Disposition: form-data; name=\"other\"\r\n\r\nv\r\n--x--\r\n",
         "multipart/form-data; boundary=x", "required", "file"),
    ],
    ids=["no boundary", "no file part"],
)
def test_malformed_multipart_bodies_are_400(editor, upload_url, body, content_type, code, field):
    response = editor.generic("POST", upload_url, data=body, content_type=content_type)
    assert response.status_code == 400
    assert (response.json()["error"]["code"], response.json()["error"]["field"]) == (code, field)


def run(job_id: int) -> Job:
    execute_job(job_id=job_id, worker="test-worker")
    return Job.objects.get(pk=job_id)


@pytest.mark.django_db(transaction=True)
def test_the_same_content_under_another_task_is_checked_against_that_task(editor, upload_url, world):
    content = two_task_csv()
    first = run(post_file(editor, upload_url, "rows.csv", content, task=FITS[0]).json()["id"])
    assert first.state == "succeeded", first.error
    version_url = f"/api/v1/projects/credit/datasets/{world.dataset.pk}/versions/{first.result['version']}/"
    assert editor.get(version_url).json()["tasks"] == [FITS[0]]

    refused = run(post_file(editor, upload_url, "rows.csv", content, task=DOES_NOT_FIT).json()["id"])
    assert refused.state == "failed"
    assert f"does not fit task {DOES_NOT_FIT}" in refused.error and "column 'message' is missing" in refused.error
    # A refusal stores nothing: no version, and the version does not claim the refused task.
    assert world.dataset.versions.count() == 2  # the world's own version and this one
    assert editor.get(version_url).json()["tasks"] == [FITS[0]]

    also = run(post_file(editor, upload_url, "rows.csv", content, task=FITS[1]).json()["id"])
    assert also.state == "succeeded", also.error
    assert (also.result["dataset_version_id"], also.result["created"]) == (first.result["dataset_version_id"], False)
    assert editor.get(version_url).json()["tasks"] == list(FITS)


@pytest.mark.django_db(transaction=True)
def test_a_retried_import_vouches_for_its_version(editor, upload_url, world):
    queued = post_file(editor, upload_url, "rows.csv", two_task_csv(), task=FITS[0]).json()["id"]
    assert editor.post(f"/api/v1/projects/credit/jobs/{queued}/cancel/").status_code == 200
    retry = editor.post(f"/api/v1/projects/credit/jobs/{queued}/retry/")
    assert retry.status_code == 201
    job = run(retry.json()["id"])
    assert job.state == "succeeded", job.error
    version = editor.get(f"/api/v1/projects/credit/datasets/{world.dataset.pk}/versions/{job.result['version']}/")
    assert version.json()["tasks"] == [FITS[0]]
