"""Every change through the API is in the audit log: who, what, when, from where."""
from indus.tenancy.models import AuditEntry, Role


def test_changes_are_recorded_with_actor_address_and_agent(world, api_client):
    owner = api_client(world.users[Role.OWNER], REMOTE_ADDR="203.0.113.7", HTTP_USER_AGENT="indus-cli/0.1")
    owner.post("/api/v1/projects/credit/members/", {"username": "newbie", "role": "viewer"}, format="json")
    owner.patch("/api/v1/projects/credit/members/newbie/", {"role": "editor"}, format="json")
    owner.post(f"/api/v1/projects/credit/jobs/{world.queued_job.pk}/cancel/")
    owner.put(f"/api/v1/projects/credit/models/{world.model.pk}/aliases/staging/", {"version": 1}, format="json")
    owner.get("/api/v1/projects/credit/jobs/")  # reads are not changes

    entries = owner.get("/api/v1/projects/credit/audit/").json()["results"]
    assert [(e["action"], e["object_type"], e["summary"]) for e in entries] == [
        ("model_alias.set", "registeredmodel", {"model": "news", "alias": "staging", "version": 1}),
        ("job.cancel", "job", {"kind": "sample", "state": "cancelled"}),
        ("member.change_role", "user", {"username": "newbie", "role": "editor"}),
        ("member.add", "user", {"username": "newbie", "role": "viewer"}),
    ]
    assert {(e["actor_username"], e["ip_address"], e["user_agent"]) for e in entries} == {
        ("alice", "203.0.113.7", "indus-cli/0.1")
    }


def test_a_refused_change_is_not_recorded(world, api_client):
    editor = api_client(world.users[Role.EDITOR])
    editor.post(f"/api/v1/projects/credit/jobs/{world.failed_job.pk}/cancel/")
    assert not AuditEntry.objects.filter(action="job.cancel").exists()


def test_token_changes_are_recorded_outside_any_project(user, api_client):
    client = api_client(user)
    token_id = client.post("/api/v1/tokens/", {"name": "ci"}, format="json").json()["id"]
    client.delete(f"/api/v1/tokens/{token_id}/")
    entries = AuditEntry.objects.filter(object_type="apitoken").order_by("id")
    assert [(e.action, e.project, e.object_id) for e in entries] == [
        ("token.create", None, str(token_id)), ("token.revoke", None, str(token_id))
    ]


def test_behind_a_trusted_proxy_the_forwarded_address_is_kept(world, api_client, settings):
    settings.INDUS_NUM_PROXIES = 1
    owner = api_client(world.users[Role.OWNER], REMOTE_ADDR="10.0.0.2",
                       HTTP_X_FORWARDED_FOR="198.51.100.1, 192.0.2.44")
    owner.post("/api/v1/projects/credit/datasets/", {"name": "loans"}, format="json")
    assert AuditEntry.objects.get(action="dataset.create").ip_address == "192.0.2.44"


def test_owners_read_the_log_filtered_by_action_and_nobody_else(world, api_client):
    owner = api_client(world.users[Role.OWNER])
    owner.post(f"/api/v1/projects/credit/jobs/{world.queued_job.pk}/cancel/")
    owner.post("/api/v1/projects/credit/datasets/", {"name": "loans"}, format="json")
    cancels = owner.get("/api/v1/projects/credit/audit/?action=job.cancel").json()["results"]
    assert [e["object_id"] for e in cancels] == [str(world.queued_job.pk)]
    assert api_client(world.users[Role.EDITOR]).get("/api/v1/projects/credit/audit/").status_code == 403
