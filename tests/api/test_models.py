"""Registered models: versions with their reports, artifact download, aliases."""
import io
import os
import zipfile

from indus.core.storage import artifact_storage
from indus.tenancy.models import Role


def model_url(world, path: str = "") -> str:
    return f"/api/v1/projects/credit/models/{world.model.pk}/{path}"


def test_a_version_shows_metrics_reports_card_and_lineage(world, api_client):
    detail = api_client(world.users[Role.VIEWER]).get(model_url(world, "versions/1/")).json()
    assert detail["metrics"] == {"test_accuracy": 0.91}
    assert detail["reports"] == {"per_class": {"positive": {"f1": 0.9}}}
    assert detail["model_card"] == "# News model"
    assert (detail["number"], detail["aliases"]) == (1, ["production"])


def test_artifacts_download_as_a_zip_of_the_version_folder(world, api_client):
    response = api_client(world.users[Role.VIEWER]).get(model_url(world, "versions/1/artifacts/"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == 'attachment; filename="news-v1.zip"'
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert sorted(archive.namelist()) == ["config.json", "tokenizer/vocab.txt"]
    assert archive.read("tokenizer/vocab.txt") == b"[PAD]\n[UNK]\nshares\n"


def test_links_in_the_version_folder_are_left_out_of_the_zip(world, api_client, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("not for download")
    folder = artifact_storage().path(world.model_version.artifact_path)
    os.symlink(secret, os.path.join(folder, "leak.txt"))
    os.symlink(tmp_path, os.path.join(folder, "leaky-folder"))
    response = api_client(world.users[Role.VIEWER]).get(model_url(world, "versions/1/artifacts/"))
    archive = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert sorted(archive.namelist()) == ["config.json", "tokenizer/vocab.txt"]


def test_an_error_on_the_download_route_is_json_even_when_a_zip_was_asked_for(world, api_client):
    response = api_client(world.users[Role.VIEWER]).get(model_url(world, "versions/9/artifacts/"),
                                                         HTTP_ACCEPT="application/zip")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"]["message"] == "no version of model 'news' numbered 9 in project credit"


def test_owners_move_and_remove_aliases(world, api_client):
    owner = api_client(world.users[Role.OWNER])
    moved = owner.put(model_url(world, "aliases/staging/"), {"version": 1}, format="json")
    assert moved.json() == {"name": "staging", "version": 1, "canary_version": None, "canary_percent": 0,
                            "log_sample_rate": 0.0, "log_max_rows_per_hour": 1000, "updated_at": moved.json()["updated_at"]}
    assert owner.delete(model_url(world, "aliases/production/")).status_code == 204
    listed = owner.get(model_url(world, "aliases/")).json()["results"]
    assert [a["name"] for a in listed] == ["staging"]
    shown = owner.get(model_url(world)).json()
    assert (shown["latest_version"], [a["name"] for a in shown["aliases"]]) == (1, ["staging"])


def test_request_logging_is_set_on_an_alias_and_kept_when_the_alias_moves(world, api_client):
    owner = api_client(world.users[Role.OWNER])
    url = model_url(world, "aliases/production/")
    logged = owner.put(url, {"version": 1, "log_sample_rate": 0.25, "log_max_rows_per_hour": 50}, format="json")
    assert logged.status_code == 200, logged.json()
    assert (logged.json()["log_sample_rate"], logged.json()["log_max_rows_per_hour"]) == (0.25, 50)
    moved = owner.put(url, {"version": 1}, format="json").json()  # no logging fields: the alias keeps its own
    assert (moved["log_sample_rate"], moved["log_max_rows_per_hour"]) == (0.25, 50)
    for field, value in (("log_sample_rate", 1.5), ("log_sample_rate", -0.1), ("log_max_rows_per_hour", -1)):
        refused = owner.put(url, {"version": 1, field: value}, format="json")
        assert (refused.status_code, refused.json()["error"]["field"]) == (400, field)
    shown = owner.get(model_url(world, "aliases/")).json()["results"]
    assert [(a["name"], a["log_sample_rate"]) for a in shown] == [("production", 0.25)]
    viewer = api_client(world.users[Role.VIEWER])
    assert viewer.put(url, {"version": 1, "log_sample_rate": 0}, format="json").status_code == 403


def test_an_alias_to_a_missing_version_or_a_bad_name_is_refused(world, api_client):
    owner = api_client(world.users[Role.OWNER])
    assert owner.put(model_url(world, "aliases/staging/"), {"version": 7}, format="json").status_code == 404
    bad = owner.put(model_url(world, "aliases/Prod_1/"), {"version": 1}, format="json")
    assert (bad.status_code, bad.json()["error"]["field"]) == (400, "name")
    gone = owner.delete(model_url(world, "aliases/canary/"))
    assert (gone.status_code, gone.json()["error"]["field"]) == (400, "name")


def test_an_alias_splits_traffic_with_a_canary_version(world, api_client):
    from indus.registry.services import model_version_create

    second = model_version_create(model=world.model, artifact_path=world.model_version.artifact_path)
    owner = api_client(world.users[Role.OWNER])
    url = model_url(world, "aliases/production/")
    split = owner.put(url, {"version": 1, "canary_version": second.number, "canary_percent": 10}, format="json")
    assert split.status_code == 200, split.json()
    assert (split.json()["version"], split.json()["canary_version"], split.json()["canary_percent"]) == (1, 2, 10)
    listed = owner.get(model_url(world)).json()["aliases"]
    assert [(a["name"], a["version"], a["canary_version"], a["canary_percent"]) for a in listed] == [("production", 1, 2, 10)]
    # A share without a canary, past 100, or the alias's own version: 400s naming the field.
    for body, field in [({"version": 1, "canary_percent": 10}, "canary_percent"),
                        ({"version": 1, "canary_version": 2, "canary_percent": 101}, "canary_percent"),
                        ({"version": 1, "canary_version": 1, "canary_percent": 5}, "canary_version")]:
        refused = owner.put(url, body, format="json")
        assert (refused.status_code, refused.json()["error"]["field"]) == (400, field), refused.json()
    # Viewers see the split but cannot change it; setting the alias alone ends the canary.
    assert api_client(world.users[Role.VIEWER]).put(url, {"version": 1}, format="json").status_code == 403
    assert owner.put(url, {"version": 2}, format="json").json()["canary_version"] is None
