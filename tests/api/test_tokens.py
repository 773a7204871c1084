"""API tokens: hashed at rest, shown once, revocable, expiring; every failure a clear 401."""
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from indus.tenancy.models import ApiToken
from indus.tenancy.services import api_token_create


def bearer(secret: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def every_stored_value(table: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")
        return " ".join(str(value) for row in cursor.fetchall() for value in row)


def test_a_new_token_is_shown_once_and_only_its_hash_is_stored(user, api_client):
    created = api_client(user).post("/api/v1/tokens/", {"name": "nightly CI", "expires_in_days": 7}, format="json")
    assert created.status_code == 201
    secret = created.json()["token"]
    prefix, _, secret_part = secret.removeprefix("indus_").partition("_")
    assert created.json()["prefix"] == prefix and created.json()["state"] == "active"

    stored = every_stored_value(ApiToken._meta.db_table)
    assert secret_part not in stored and prefix in stored
    listed = bearer(secret).get("/api/v1/tokens/").json()["results"]
    assert {t["name"] for t in listed} == {"tests", "nightly CI"}
    assert all("token" not in t for t in listed)
    assert timedelta(days=6) < ApiToken.objects.get(prefix=prefix).expires_at - timezone.now() <= timedelta(days=7)


def test_use_is_recorded(user):
    token, secret = api_token_create(user=user, name="script")
    assert bearer(secret).get("/api/v1/projects/").status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_a_revoked_token_is_refused_with_the_reason(user):
    token, secret = api_token_create(user=user, name="laptop")
    client = bearer(secret)
    assert client.delete(f"/api/v1/tokens/{token.pk}/").status_code == 204
    response = client.get("/api/v1/projects/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_revoked"
    assert f"{token.prefix} was revoked" in response.json()["error"]["message"]
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_an_expired_token_is_refused_with_the_reason(user):
    token, secret = api_token_create(user=user, name="old")
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = bearer(secret).get("/api/v1/projects/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_expired"
    assert "create a new one" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    "header,code",
    [
        ("Bearer", "malformed_token"),
        ("Bearer two words", "malformed_token"),
        ("Bearer indus_000000000000_guessed", "invalid_token"),
        ("Bearer not-an-indus-token", "invalid_token"),
    ],
)
def test_bad_tokens_are_refused(user, header, code):
    api_token_create(user=user, name="real")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get("/api/v1/projects/")
    assert (response.status_code, response.json()["error"]["code"]) == (401, code)


def test_a_tampered_secret_with_a_real_prefix_is_refused(user):
    _, secret = api_token_create(user=user, name="real")
    assert bearer(secret[:-1] + ("A" if secret[-1] != "A" else "B")).get("/api/v1/projects/").status_code == 401


def test_someone_elses_token_cannot_be_seen_or_revoked(user, api_client, django_user_model):
    other = django_user_model.objects.create_user(username="mallory", password="x")
    token, _ = api_token_create(user=user, name="mine")
    client = api_client(other)
    assert client.get(f"/api/v1/tokens/{token.pk}/").status_code == 404
    assert client.delete(f"/api/v1/tokens/{token.pk}/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_expiry_is_bounded(user, api_client):
    response = api_client(user).post("/api/v1/tokens/", {"name": "forever", "expires_in_days": 10_000}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "expires_in_days"


def test_the_management_command_prints_a_working_token(user, capsys):
    from django.core.management import call_command

    call_command("create_api_token", "alice", "--name", "bootstrap", "--days", "1")
    secret = capsys.readouterr().out.strip()
    assert bearer(secret).get("/api/v1/projects/").status_code == 200
