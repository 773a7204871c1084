"""API tokens minting tokens, made against a live server: a stolen token without the right
cannot make fresh credentials, and revoking a token revokes everything it made.

The attack this reproduces: a token created a child token, the first was revoked, and the
child went on working."""
from datetime import timedelta

import pytest
import requests
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from indus.tenancy.models import ApiToken, AuditEntry
from indus.tenancy.services import api_token_create
from tests.security.live_admin import admin_sign_in

TOKENS = "/api/v1/tokens/"


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


def mint(live_server, secret: str, **body) -> requests.Response:
    return requests.post(live_server.url + TOKENS, json={"name": "minted", **body}, headers=bearer(secret), timeout=30)


def projects_status(live_server, secret: str) -> requests.Response:
    return requests.get(live_server.url + "/api/v1/projects/", headers=bearer(secret), timeout=30)


@pytest.fixture
def live(live_server, user):
    return live_server


def test_a_token_made_without_the_right_cannot_make_tokens(live, user):
    plain, secret = api_token_create(user=user, name="ci")
    before = set(ApiToken.objects.values_list("pk", flat=True))

    response = mint(live, secret)
    assert response.status_code == 403
    assert f"API token {plain.prefix} may not create tokens" in response.json()["error"]["message"]
    # Asking for the right does not help: a token without it makes nothing at all.
    assert mint(live, secret, can_create_tokens=True).status_code == 403
    assert set(ApiToken.objects.values_list("pk", flat=True)) == before


def test_a_password_login_makes_a_token_that_may_make_tokens(live, user):
    user.is_staff = True  # the admin's login form is for staff
    user.save()
    session, signed_in = admin_sign_in(live.url, "alice", "correct horse battery")
    assert signed_in.signed_in
    response = session.post(
        live.url + TOKENS, json={"name": "deploy bot", "can_create_tokens": True},
        headers={"X-CSRFToken": session.cookies["csrftoken"]}, timeout=30,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["can_create_tokens"] is True and body["created_by_token"] is None

    child = mint(live, body["token"])
    assert child.status_code == 201
    assert child.json()["created_by_token"] == body["id"] and child.json()["can_create_tokens"] is False
    # The child was made without the right, so it cannot go on minting.
    assert mint(live, child.json()["token"]).status_code == 403


def test_revoking_a_token_revokes_every_token_it_made(live, user):
    root, root_secret = api_token_create(user=user, name="root", can_create_tokens=True)
    child = mint(live, root_secret, can_create_tokens=True).json()
    grandchild = mint(live, child["token"]).json()
    sibling, sibling_secret = api_token_create(user=user, name="unrelated")
    for secret in (root_secret, child["token"], grandchild["token"], sibling_secret):
        assert projects_status(live, secret).status_code == 200

    # Revoked with the token it came from (the child itself revokes its parent here: any of
    # the user's tokens may revoke the user's tokens).
    response = requests.delete(f"{live.url}{TOKENS}{root.pk}/", headers=bearer(grandchild["token"]), timeout=30)
    assert response.status_code == 204

    for secret in (root_secret, child["token"], grandchild["token"]):
        refused = projects_status(live, secret)
        assert refused.status_code == 401 and refused.json()["error"]["code"] == "token_revoked"
    assert projects_status(live, sibling_secret).status_code == 200
    listed = {t["id"]: t["state"] for t in requests.get(
        live.url + TOKENS, headers=bearer(sibling_secret), timeout=30).json()["results"]}
    assert listed == {root.pk: "revoked", child["id"]: "revoked", grandchild["id"]: "revoked", sibling.pk: "active"}

    # One entry names every token the revocation took, the one asked for first; asking again
    # changes nothing and records nothing.
    entry = AuditEntry.objects.get(action="token.revoke")
    assert (entry.object_id, entry.actor, entry.token_prefix) == (str(root.pk), user, grandchild["prefix"])
    assert entry.summary == {"name": "root", "prefix": root.prefix,
                             "revoked": [root.prefix, child["prefix"], grandchild["prefix"]]}
    again = requests.delete(f"{live.url}{TOKENS}{root.pk}/", headers=bearer(sibling_secret), timeout=30)
    assert again.status_code == 204
    assert AuditEntry.objects.filter(action="token.revoke").count() == 1


def test_a_revoked_token_cannot_mint_and_a_child_expires_with_its_parent(live, user):
    parent, parent_secret = api_token_create(user=user, name="short-lived", expires_in_days=2, can_create_tokens=True)
    child = mint(live, parent_secret, expires_in_days=300).json()
    assert ApiToken.objects.get(pk=child["id"]).expires_at == parent.expires_at

    ApiToken.objects.filter(pk=parent.pk).update(revoked_at=timezone.now() - timedelta(seconds=1))
    assert mint(live, parent_secret).status_code == 401
    # The service itself refuses a revoked parent too (a revocation between the request's
    # authentication and its write).
    with pytest.raises(PermissionDenied, match="may not create tokens"):
        api_token_create(user=user, name="late", created_by_token=parent)


def test_a_token_cannot_make_a_token_for_another_user(user):
    """The API passes the token's own user; the service holds to it for any other caller."""
    minting, _ = api_token_create(user=user, name="minting", can_create_tokens=True)
    mallory = get_user_model().objects.create_user(username="mallory", password="not used")
    before = set(ApiToken.objects.values_list("pk", flat=True))
    with pytest.raises(PermissionDenied, match=f"API token {minting.prefix} belongs to another user"):
        api_token_create(user=mallory, name="borrowed", created_by_token=minting)
    assert set(ApiToken.objects.values_list("pk", flat=True)) == before


def test_revoking_in_the_admin_revokes_the_tokens_made_from_it(client, user):
    root, _ = api_token_create(user=user, name="root", can_create_tokens=True)
    child, _ = api_token_create(user=user, name="child", created_by_token=root)
    user.is_staff = True
    user.save()
    client.force_login(user)
    response = client.post("/admin/tenancy/apitoken/", {"action": "revoke", "_selected_action": [root.pk]})
    assert response.status_code == 302
    child.refresh_from_db()
    assert child.revoked_at is not None
