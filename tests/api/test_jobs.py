"""Submitting and following jobs: idempotency, filters, detail, pagination."""
from datetime import timedelta

import pytest
from django.utils import timezone

from indus.api.models import IdempotencyKey
from indus.jobs import services as job_services
from indus.jobs.models import Job
from indus.tenancy.models import Role

from .conftest import TASK

JOBS_URL = "/api/v1/projects/credit/jobs/"


@pytest.fixture
def editor(world, api_client):
    return api_client(world.users[Role.EDITOR])


def fine_tune_body(world, **changes) -> dict:
    return {"kind": "fine_tune", "dataset_version": world.version.pk, "task": TASK, "model_name": "news",
            "hyperparameters": {"epochs": 1}, **changes}


def test_the_same_idempotency_key_twice_makes_one_job(world, editor):
    first = editor.post(JOBS_URL, fine_tune_body(world), format="json", HTTP_IDEMPOTENCY_KEY="run-42")
    again = editor.post(JOBS_URL, fine_tune_body(world), format="json", HTTP_IDEMPOTENCY_KEY="run-42")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert Job.objects.filter(kind="fine_tune").count() == 1
    assert world.project.audit_entries.filter(action="job.submit").count() == 1


def test_a_different_body_with_a_used_key_is_409_naming_the_header(world, editor):
    editor.post(JOBS_URL, fine_tune_body(world), format="json", HTTP_IDEMPOTENCY_KEY="run-42")
    response = editor.post(JOBS_URL, fine_tune_body(world, model_name="other"), format="json",
                           HTTP_IDEMPOTENCY_KEY="run-42")
    assert response.status_code == 409
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("idempotency_key_reused", "Idempotency-Key")
    assert Job.objects.filter(kind="fine_tune").count() == 1


def test_keys_belong_to_their_user(world, editor, api_client):
    owner = api_client(world.users[Role.OWNER])
    assert editor.post(JOBS_URL, fine_tune_body(world), format="json", HTTP_IDEMPOTENCY_KEY="k").status_code == 201
    assert owner.post(JOBS_URL, fine_tune_body(world), format="json", HTTP_IDEMPOTENCY_KEY="k").status_code == 201
    assert Job.objects.filter(kind="fine_tune").count() == 2


def test_a_refused_submission_frees_its_key(world, editor):
    refused = editor.post(JOBS_URL, fine_tune_body(world, task="no.such_task"), format="json",
                          HTTP_IDEMPOTENCY_KEY="k")
    assert (refused.status_code, refused.json()["error"]["field"]) == (400, "task")
    assert not IdempotencyKey.objects.exists()
    fixed = editor.post(JOBS_URL, fine_tune_body(world), format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert fixed.status_code == 201


@pytest.mark.parametrize("body,field", [
    ({"kind": "teleport"}, "kind"),
    ({}, "kind"),
    ({"kind": "fine_tune", "task": TASK, "model_name": "m", "dataset_version": 10**9}, "dataset_version"),
])
def test_submissions_are_checked_per_field(world, editor, body, field):
    response = editor.post(JOBS_URL, body, format="json")
    assert (response.status_code, response.json()["error"]["field"]) == (400, field)


def test_a_dataset_version_of_another_project_is_not_found(world, editor, stored_version, headlines):
    from indus.datasets.services import dataset_create

    other = dataset_create(project=world.retail, name="headlines")
    other_version = stored_version(headlines)
    other_version.dataset = other
    other_version.save()
    response = editor.post(JOBS_URL, fine_tune_body(world, dataset_version=other_version.pk), format="json")
    assert (response.status_code, response.json()["error"]["code"]) == (400, "not_found")


def test_detail_shows_progress_events_and_metric_series(world, editor):
    lease = job_services.job_claim(job_id=world.queued_job.pk, worker="w1")
    job_services.job_report_progress(lease=lease, fraction=0.4, message="epoch 2 of 5")
    for step, loss in [(2, 0.5), (1, 0.9)]:
        job_services.job_record_metric(lease=lease, name="loss", step=step, value=loss)
    # A diverged value is reported as an event, not charted (strict JSON has no infinity).
    job_services.job_record_metric(lease=lease, name="accuracy", step=1, value=float("inf"))

    detail = editor.get(f"{JOBS_URL}{world.queued_job.pk}/").json()
    assert (detail["state"], detail["progress"], detail["progress_message"]) == ("running", 0.4, "epoch 2 of 5")
    assert detail["metrics"] == {"loss": [{"step": 1, "value": 0.9}, {"step": 2, "value": 0.5}]}
    assert [e["message"] for e in detail["events"]][-2:] == ["attempt 1 of 3 started on w1", "accuracy is inf at step 1"]


def test_a_retry_is_a_new_job_pointing_back(world, editor):
    response = editor.post(f"{JOBS_URL}{world.failed_job.pk}/retry/")
    assert response.status_code == 201
    assert (response.json()["retry_of"], response.json()["state"]) == (world.failed_job.pk, "queued")


def test_list_filters_by_state_kind_and_creation_time(world, editor):
    old = job_services.job_create(project=world.project, kind="import", spec={})
    Job.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=3))
    ids = lambda query: {j["id"] for j in editor.get(f"{JOBS_URL}?{query}").json()["results"]}  # noqa: E731

    assert ids("state=failed") == {world.failed_job.pk}
    assert ids("kind=import") == {old.pk}
    yesterday = (timezone.now() - timedelta(days=1)).isoformat().replace("+00:00", "Z")
    assert ids(f"created_before={yesterday}") == {old.pk}
    assert old.pk not in ids(f"created_after={yesterday}")
    bad = editor.get(f"{JOBS_URL}?state=exploded")
    assert (bad.status_code, bad.json()["error"]["field"]) == (400, "state")


@pytest.mark.parametrize("moment", ["0382-02-26T18:02:02.820-18:20", "2026-01-01T00:00+15:00"])
def test_a_time_zone_offset_no_clock_keeps_is_a_clear_error(world, editor, moment):
    # PostgreSQL refuses offsets past ±15:59: checked here, they never reach the database.
    bad = editor.get(JOBS_URL, {"created_before": moment})
    assert (bad.status_code, bad.json()["error"]["field"]) == (400, "created_before")
    assert "between -14:00 and +14:00" in bad.json()["error"]["message"]
    assert editor.get(JOBS_URL, {"created_after": "2026-01-01T00:00+14:00"}).status_code == 200


def test_lists_are_paginated_with_a_capped_page_size(world, editor):
    for _ in range(3):
        job_services.job_create(project=world.project, kind="import", spec={})
    first = editor.get(f"{JOBS_URL}?page_size=2").json()
    assert (first["count"], len(first["results"]), first["previous"]) == (5, 2, None)
    assert "page=2" in first["next"]
    last = editor.get(f"{JOBS_URL}?page_size=2&page=3").json()
    assert (len(last["results"]), last["next"]) == (1, None)
    assert editor.get(f"{JOBS_URL}?page=99").status_code == 404
    seen = {j["id"] for page in (1, 2, 3) for j in editor.get(f"{JOBS_URL}?page_size=2&page={page}").json()["results"]}
    assert len(seen) == 5


def test_the_page_size_cannot_exceed_the_maximum(world, editor, monkeypatch):
    monkeypatch.setattr("indus.api.pagination.PageNumberPagination.max_page_size", 2)
    assert len(editor.get(f"{JOBS_URL}?page_size=1000").json()["results"]) == 2


@pytest.mark.parametrize("query", ["page=", "page=first", "page_size=0", "page_size=-3", "page_size="])
def test_a_malformed_page_or_page_size_is_refused(world, editor, query):
    response = editor.get(f"{JOBS_URL}?{query}")
    assert (response.status_code, response.json()["error"]["field"]) == (400, query.split("=")[0])


def evaluate_body(world, **changes) -> dict:
    return {"kind": "evaluate", "model_version": world.model_version.pk, "dataset_version": world.version.pk, **changes}


def test_an_evaluate_job_is_queued_on_the_gpu_queue(world, editor):
    response = editor.post(JOBS_URL, evaluate_body(world), format="json")
    assert response.status_code == 201, response.json()
    job = Job.objects.get(pk=response.json()["id"])
    assert (job.kind, job.queue, job.state) == ("evaluate", "gpu", "queued")
    assert job.spec == {"model_version_id": world.model_version.pk, "dataset_version_id": world.version.pk}
    assert world.project.audit_entries.filter(action="job.submit").count() == 1


@pytest.mark.parametrize("changes,field,code", [
    ({"model_version": 10**9}, "model_version", "not_found"),
    ({"dataset_version": 10**9}, "dataset_version", "not_found"),
    ({"model_version": None}, "model_version", "null"),
    ({"dataset_version": "latest"}, "dataset_version", "invalid_type"),
])
def test_evaluate_submissions_name_the_bad_field(world, editor, changes, field, code):
    response = editor.post(JOBS_URL, evaluate_body(world, **changes), format="json")
    error = response.json()["error"]
    assert (response.status_code, error["field"], error["code"]) == (400, field, code)
    assert not Job.objects.filter(kind="evaluate").exists()


def test_evaluating_another_projects_model_is_not_found(world, editor):
    retail_version = world.retail_model.versions.get()
    response = editor.post(JOBS_URL, evaluate_body(world, model_version=retail_version.pk), format="json")
    error = response.json()["error"]
    assert (response.status_code, error["field"], error["code"]) == (400, "model_version", "not_found")


def test_evaluating_on_data_without_the_target_names_the_column(world, editor, stored_version, headlines):
    unlabelled = stored_version(headlines.drop_columns(["sentiment"]))
    response = editor.post(JOBS_URL, evaluate_body(world, dataset_version=unlabelled.pk), format="json")
    error = response.json()["error"]
    assert (response.status_code, error["field"]) == (400, "dataset_version")
    assert error["message"].startswith("column 'sentiment' is missing")


def test_the_schema_offers_the_evaluate_kind(world, editor):
    schemas = editor.get("/api/schema/?format=json").json()["components"]["schemas"]
    submission = {"$ref": "#/components/schemas/EvaluateSubmissionRequest"}
    assert submission in schemas["JobSubmissionRequest"]["oneOf"]
    assert sorted(schemas["EvaluateSubmissionRequest"]["required"]) == ["dataset_version", "kind", "model_version"]
