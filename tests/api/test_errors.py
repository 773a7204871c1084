"""One error format for every failure, and never a stack trace."""
import pytest
from rest_framework.test import APIClient

from indus.tenancy.models import Role

from .conftest import TASK


def assert_error(response, status: int, code: str, field=None) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"code", "message", "field", "details"}
    assert (error["code"], error["field"]) == (code, field)
    assert error["message"] and "Traceback" not in response.content.decode()
    return error


def test_400_names_the_field_and_lists_every_problem(world, api_client):
    response = api_client(world.users[Role.EDITOR]).post(
        "/api/v1/projects/credit/jobs/",
        {"kind": "fine_tune", "dataset_version": world.version.pk, "task": TASK, "model_name": "m",
         "hyperparameters": {"epochs": -1, "batch_size": 0}},
        format="json",
    )
    error = assert_error(response, 400, "invalid", "hyperparameters.epochs")
    fields = [e["field"] for e in error["details"]["errors"]]
    assert fields == ["hyperparameters.epochs", "hyperparameters.batch_size"]


def test_400_for_a_missing_field_from_the_serializer(world, api_client):
    response = api_client(world.users[Role.EDITOR]).post("/api/v1/projects/credit/datasets/", {}, format="json")
    assert_error(response, 400, "required", "name")


def test_400_for_malformed_json(world, api_client):
    response = api_client(world.users[Role.EDITOR]).post(
        "/api/v1/projects/credit/datasets/", data="{not json", content_type="application/json"
    )
    assert_error(response, 400, "parse_error")


def test_401_without_credentials():
    assert_error(APIClient().get("/api/v1/projects/"), 401, "not_authenticated")


def test_403_names_the_role_needed(world, api_client):
    response = api_client(world.users[Role.VIEWER]).post(f"/api/v1/projects/credit/jobs/{world.queued_job.pk}/cancel/")
    error = assert_error(response, 403, "role_required")
    assert error["message"] == "this needs the editor role in project credit; you are a viewer"


def test_404_says_what_was_not_found_where(world, api_client):
    response = api_client(world.users[Role.VIEWER]).get("/api/v1/projects/credit/jobs/999999/")
    assert assert_error(response, 404, "not_found")["message"] == "no job 999999 in project credit"


def test_404_for_a_url_no_view_serves(world, api_client):
    assert_error(api_client(world.users[Role.VIEWER]).get("/api/v1/no-such-thing/"), 404, "not_found")


def test_405_for_a_method_the_endpoint_does_not_have(world, api_client):
    assert_error(api_client(world.users[Role.OWNER]).delete("/api/v1/projects/credit/jobs/"), 405, "method_not_allowed")


def test_409_for_an_action_the_objects_state_forbids(world, api_client):
    response = api_client(world.users[Role.EDITOR]).post(f"/api/v1/projects/credit/jobs/{world.failed_job.pk}/cancel/")
    error = assert_error(response, 409, "invalid_state", "state")
    assert error["message"] == "a failed job cannot be cancelled"


def test_413_from_the_declared_length_before_the_body_is_read(world, api_client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = api_client(world.users[Role.EDITOR]).post(
        "/api/v1/projects/credit/datasets/", data='{"name": "' + "x" * 2000 + '"}', content_type="application/json"
    )
    assert "1000" in assert_error(response, 413, "too_large")["message"]


def test_415_for_a_body_type_the_endpoint_does_not_read(world, api_client):
    response = api_client(world.users[Role.EDITOR]).post(
        f"/api/v1/projects/credit/datasets/{world.dataset.pk}/upload/", {"file": "x"}, format="json"
    )
    assert_error(response, 415, "unsupported_media_type")


def test_429_says_when_to_retry(world, api_client, settings):
    from django.core.cache import cache

    cache.clear()
    settings.INDUS_API_RATE_LIMIT = "2/minute"
    client = api_client(world.users[Role.VIEWER])
    statuses = [client.get("/api/v1/projects/").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    response = client.get("/api/v1/projects/")
    error = assert_error(response, 429, "throttled")
    assert error["details"]["retry_after_seconds"] == int(response["Retry-After"]) > 0
    cache.clear()


def test_500_is_generic_and_logged_with_a_reference(world, api_client, monkeypatch, caplog):
    def broken(**kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr("indus.api.views.jobs.job_list", broken)
    response = api_client(world.users[Role.VIEWER]).get("/api/v1/projects/credit/jobs/")
    error = assert_error(response, 500, "internal_error")
    assert "secret internals" not in response.content.decode()
    reference = error["message"].rsplit(" ", 1)[-1]
    assert any(reference in record.getMessage() and record.exc_info for record in caplog.records)


@pytest.mark.parametrize("header", ["", "x" * 300])
def test_a_bad_idempotency_key_names_the_header(world, api_client, header):
    client = api_client(world.users[Role.EDITOR], HTTP_IDEMPOTENCY_KEY=header)
    response = client.post(f"/api/v1/projects/credit/datasets/{world.dataset.pk}/from-sample/",
                           {"sample": "finance.news_headlines"}, format="json")
    assert_error(response, 400, "invalid", "Idempotency-Key")


def test_a_percent_sign_from_the_user_is_shown_as_given(world, api_client):
    response = api_client(world.users[Role.OWNER]).post(
        "/api/v1/projects/credit/members/", {"username": "50%d off", "role": "viewer"}, format="json"
    )
    assert assert_error(response, 400, "not_found", "username")["message"] == "there is no active user '50%d off'"


def test_a_number_where_text_belongs_is_refused(world, api_client):
    response = api_client(world.users[Role.EDITOR]).post("/api/v1/projects/credit/datasets/", {"name": 7},
                                                         format="json")
    assert assert_error(response, 400, "invalid_type", "name")["message"] == "must be a string, not int"
