"""A version no better than the majority class is flagged in the API, and an alias such as
`production` refuses it unless the request forces it, which the audit log records."""
import pytest

from indus.registry.models import ModelAlias
from indus.tenancy.models import AuditEntry
from tests.support.flagged_model import register_flagged_version


@pytest.fixture
def flagged(project):
    return register_flagged_version(project)


def versions_url(version, tail="") -> str:
    return f"/api/v1/projects/{version.model.project.slug}/models/{version.model.pk}/{tail}"


def test_the_api_flags_the_version_and_shows_its_baselines(api_client, user, flagged):
    client = api_client(user)
    listed = client.get(versions_url(flagged, "versions/")).json()["results"]
    assert [(v["number"], v["flagged"], v["verdict"]["verdict"]) for v in listed] == [
        (1, True, "not_better_than_trivial")]
    detail = client.get(versions_url(flagged, "versions/1/")).json()
    assert detail["flagged"] is True
    assert detail["verdict"]["metric"] == "accuracy"
    assert detail["verdict"]["model"] == detail["metrics"]["test_accuracy"]
    families = {candidate["name"]: candidate["family"] for candidate in detail["baselines"]["candidates"]}
    assert families == {"class_shares": "trivial", "hist_gradient_boosting": "classical",
                        "logistic_regression": "classical"}
    assert "does not beat the trivial baseline" in detail["model_card"]


def test_production_refuses_the_flagged_version_unless_forced_and_the_audit_says_so(api_client, user, flagged):
    client = api_client(user)
    refused = client.put(versions_url(flagged, "aliases/production/"), {"version": 1}, format="json")
    assert refused.status_code == 400
    error = refused.json()["error"]
    assert error["field"] == "version"
    assert "does not beat the trivial baseline on accuracy" in error["message"] and "force" in error["message"]
    assert not ModelAlias.objects.exists()
    assert not AuditEntry.objects.filter(action="model_alias.set").exists()

    forced = client.put(versions_url(flagged, "aliases/production/"), {"version": 1, "force": True}, format="json")
    assert forced.status_code == 200, forced.content
    assert ModelAlias.objects.get(name="production").version == flagged
    entry = AuditEntry.objects.get(action="model_alias.set")
    assert entry.summary == {"model": "scores", "alias": "production", "version": 1, "forced": True}
    assert entry.actor == user
