"""The predictions download serves only the job's own file, against a live server, through
the API and through the admin.

The attack this reproduces: a finished job's predictions file was replaced by a link to a
file of the host, and the download served the host's file."""
import os
import shutil

import pytest
import requests
from django.core.files.base import ContentFile

from indus.core.storage import artifact_storage
from indus.inference.services import batch_inference_submit
from indus.jobs import services
from indus.jobs.models import Job
from indus.tenancy.services import api_token_create
from tests.security.live_admin import admin_sign_in

PREDICTIONS = b"ticket_id,label\n1,shipping\n2,refund\n"
HOST_SECRET = b"root:x:0:0:the host's own file\n"


@pytest.fixture
def finished_job(project, model_version, support_tickets):
    """A batch-inference job that succeeded, its predictions stored where the runner stores them."""
    job = batch_inference_submit(project=project, model_version=model_version, dataset_version=support_tickets)
    stored = artifact_storage().save(f"predictions/{project.slug}/job-{job.pk}/predictions.csv", ContentFile(PREDICTIONS))
    services.job_succeed(lease=services.job_claim(job_id=job.pk, worker="w1"), result={"output_path": stored})
    job.refresh_from_db()
    yield job
    # A database may hand the same job id to the next test: leave no link in its folder's place.
    folder = os.path.dirname(stored_path(stored))
    if os.path.islink(folder):
        os.unlink(folder)
    for path in (folder, folder + ".moved"):
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def host_file(tmp_path):
    secret = tmp_path / "outside" / "passwd"
    secret.parent.mkdir()
    secret.write_bytes(HOST_SECRET)
    return secret


@pytest.fixture
def downloads(live_server, user):
    """(API response, admin response) for a job's predictions, as the project's owner."""
    _, token = api_token_create(user=user, name="downloads")
    admin, signed_in = admin_sign_in(live_server.url, user.username, "correct horse battery")
    assert signed_in.signed_in

    def download(job: Job) -> tuple[requests.Response, requests.Response]:
        api = requests.get(f"{live_server.url}/api/v1/projects/{job.project.slug}/jobs/{job.pk}/predictions/",
                           headers={"Authorization": f"Bearer {token}"}, timeout=30)
        return api, admin.get(f"{live_server.url}/admin/jobs/job/{job.pk}/predictions/", timeout=30)

    return download


def stored_path(name: str) -> str:
    return artifact_storage().path(name)


def test_the_jobs_own_file_is_served(finished_job, downloads):
    for response in downloads(finished_job):
        assert response.status_code == 200
        assert response.content == PREDICTIONS


def test_a_predictions_file_replaced_by_a_link_to_a_host_file_is_refused(finished_job, downloads, host_file):
    path = stored_path(finished_job.result["output_path"])
    os.remove(path)
    os.symlink(host_file, path)

    api, admin = downloads(finished_job)
    assert api.status_code == 404 and admin.status_code == 404
    assert "not a regular file inside the job's folder" in api.json()["error"]["message"]
    assert HOST_SECRET not in api.content + admin.content


def test_a_predictions_file_replaced_by_a_named_pipe_is_refused_at_once(finished_job, downloads):
    """Opening a pipe waits for a writer: the check must come before that wait, or each such
    download holds a web thread for good."""
    path = stored_path(finished_job.result["output_path"])
    os.remove(path)
    os.mkfifo(path)

    api, admin = downloads(finished_job)
    assert api.status_code == 404 and admin.status_code == 404
    assert "not a regular file inside the job's folder" in api.json()["error"]["message"]


def test_a_predictions_file_replaced_by_a_hard_link_to_another_file_is_refused(finished_job, downloads):
    """A hard link is no symlink: it is the other file under a second name. Here another
    project's stored data (on the same filesystem, as a hard link must be)."""
    elsewhere = artifact_storage().save("datasets/hard-linked-secret.csv", ContentFile(HOST_SECRET))
    path = stored_path(finished_job.result["output_path"])
    os.remove(path)
    os.link(stored_path(elsewhere), path)
    try:
        api, admin = downloads(finished_job)
    finally:
        artifact_storage().delete(elsewhere)
    assert api.status_code == 404 and admin.status_code == 404
    assert HOST_SECRET not in api.content + admin.content


def test_a_job_folder_replaced_by_a_link_is_refused(finished_job, downloads, host_file):
    folder = os.path.dirname(stored_path(finished_job.result["output_path"]))
    os.rename(folder, folder + ".moved")
    (host_file.parent / "predictions.csv").write_bytes(HOST_SECRET)
    os.symlink(host_file.parent, folder)

    api, admin = downloads(finished_job)
    assert api.status_code == 404 and admin.status_code == 404
    assert HOST_SECRET not in api.content + admin.content


@pytest.mark.parametrize("output_path", [
    "predictions/credit/job-{other}/predictions.csv",  # another job's folder
    "predictions/credit/job-{job}/../job-{other}/predictions.csv",
    "datasets/secret.csv",
    "{host_file}",  # an absolute path on the host
])
def test_a_result_naming_a_path_outside_the_jobs_folder_is_refused(
    finished_job, downloads, host_file, project, model_version, support_tickets, output_path,
):
    other = batch_inference_submit(project=project, model_version=model_version, dataset_version=support_tickets)
    artifact_storage().save(f"predictions/credit/job-{other.pk}/predictions.csv", ContentFile(HOST_SECRET))
    artifact_storage().save("datasets/secret.csv", ContentFile(HOST_SECRET))
    result = {**finished_job.result,
              "output_path": output_path.format(other=other.pk, job=finished_job.pk, host_file=host_file)}
    Job.objects.filter(pk=finished_job.pk).update(result=result)

    api, admin = downloads(finished_job)
    assert api.status_code == 404 and admin.status_code == 404
    assert HOST_SECRET not in api.content + admin.content
