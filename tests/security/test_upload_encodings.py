"""Upload encodings that are not text encodings, against a live server: a 400 that names the
field, never a 500, and nothing stored.

The attack this reproduces: `encoding=zlib_codec` (and `rot13`) passed the check that the
codec exists and the upload answered 500.
"""
import pytest
import requests
from django.core.files.base import ContentFile

from indus.core.storage import artifact_storage
from indus.jobs.execution import execute_job
from indus.jobs.models import Job
from indus.jobs.services import job_create
from indus.tenancy.services import api_token_create
from tests.security.processes import admin_login

pytestmark = pytest.mark.django_db(transaction=True)

NOT_TEXT_ENCODINGS = {
    "zlib_codec": "is a codec but not a text encoding",  # bytes to bytes
    "rot13": "is a codec but not a text encoding",  # text to text
    "base64": "is a codec but not a text encoding",
    "undefined": "cannot decode a file's text",  # refuses everything
    "klingon-8": "unknown text encoding",
}
PASSWORD = "correct horse battery"  # the `user` fixture's


def stored_uploads() -> list[str]:
    storage = artifact_storage()
    return storage.listdir("uploads")[0] if storage.exists("uploads") else []


@pytest.mark.parametrize("encoding", NOT_TEXT_ENCODINGS)
def test_the_api_answers_400_naming_the_encoding(live_server, user, dataset, encoding):
    _, secret = api_token_create(user=user, name="attack")
    before = stored_uploads()
    response = requests.post(
        f"{live_server.url}/api/v1/projects/{dataset.project.slug}/datasets/{dataset.pk}/upload/",
        headers={"Authorization": f"Bearer {secret}"}, data={"encoding": encoding},
        files={"file": ("rows.csv", b"a,b\n1,2\n")}, timeout=30,
    )
    assert response.status_code == 400, response.text[:500]
    error = response.json()["error"]
    assert (error["field"], error["code"]) == ("encoding", "unknown_encoding")
    assert repr(encoding) in error["message"] and NOT_TEXT_ENCODINGS[encoding] in error["message"]
    assert not Job.objects.exists() and stored_uploads() == before


@pytest.mark.parametrize("encoding", ["zlib_codec", "rot13"])
def test_the_admin_upload_form_shows_the_error_next_to_the_encoding(live_server, user, dataset, encoding):
    before = stored_uploads()
    session = admin_login(live_server.url, user.username, PASSWORD)
    response = session.post(
        f"{live_server.url}/admin/datasets/dataset/{dataset.pk}/upload/", timeout=30,
        data={"csrfmiddlewaretoken": session.cookies["csrftoken"], "encoding": encoding, "delimiter": ","},
        files={"file": ("rows.csv", b"a,b\n1,2\n")},
    )
    assert response.status_code == 200, response.text[:500]
    assert "is a codec but not a text encoding" in response.text
    assert not Job.objects.exists() and stored_uploads() == before


def test_an_import_queued_with_such_an_encoding_fails_saying_why(dataset):
    """An import whose spec names a codec that is not a text encoding (queued before this check
    existed) fails with the reason, not with the codec's own error."""
    path = artifact_storage().save("uploads/queued-before/rows.csv", ContentFile(b"a,b\n1,2\n"))
    job = job_create(project=dataset.project, kind="import", spec={
        "dataset_id": dataset.pk, "upload_path": path, "original_name": "rows.csv", "format": "csv",
        "encoding": "zlib_codec", "delimiter": ",", "task": None,
    })
    execute_job(job_id=job.pk, worker="test-worker")
    job.refresh_from_db()
    assert job.state == "failed"
    assert job.error == "'zlib_codec' is a codec but not a text encoding; give one such as utf-8 or latin-1"
    assert not dataset.versions.exists()
