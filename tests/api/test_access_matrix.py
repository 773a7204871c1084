"""Who may do what: every role against every project-scoped action, across two projects.

`alice` owns project credit, `ed` edits it, `vera` views it; `otto` owns project retail and
is no member of credit. Each row names an action and the exact status each of them gets.
"""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from indus.tenancy.models import Role

from .conftest import TASK

ROLES = (Role.VIEWER, Role.EDITOR, Role.OWNER, "outsider")


def upload_body(world):
    return {"file": SimpleUploadedFile("rows.csv", b"headline,sentiment\nShares rise,positive\n")}


#        action                  method    path under /projects/credit/       body                      viewer editor owner outsider
MATRIX = [
    ("show project",             "get",    "",                                None,                       (200, 200, 200, 404)),
    ("list members",             "get",    "members/",                        None,                       (403, 403, 200, 404)),
    ("add member",               "post",   "members/",                        {"username": "newbie", "role": "viewer"}, (403, 403, 201, 404)),
    ("change member role",       "patch",  "members/vera/",                   {"role": "editor"},         (403, 403, 200, 404)),
    ("remove member",            "delete", "members/ed/",                     None,                       (403, 403, 204, 404)),
    ("read audit log",           "get",    "audit/",                          None,                       (403, 403, 200, 404)),
    ("list datasets",            "get",    "datasets/",                       None,                       (200, 200, 200, 404)),
    ("create dataset",           "post",   "datasets/",                       {"name": "loans"},          (403, 201, 201, 404)),
    ("show dataset",             "get",    "datasets/{d}/",                   None,                       (200, 200, 200, 404)),
    ("upload version",           "post",   "datasets/{d}/upload/",            upload_body,                (403, 201, 201, 404)),
    ("version from sample",      "post",   "datasets/{d}/from-sample/",       {"sample": "finance.news_headlines", "rows": 50}, (403, 201, 201, 404)),
    ("version from SQL",         "post",   "datasets/{d}/from-sql/",          {"url": "postgresql+psycopg://reader@192.0.2.10/sales", "query": "SELECT 1 AS x"}, (403, 201, 201, 404)),
    ("list versions",            "get",    "datasets/{d}/versions/",          None,                       (200, 200, 200, 404)),
    ("show version",             "get",    "datasets/{d}/versions/{v}/",      None,                       (200, 200, 200, 404)),
    ("preview version",          "get",    "datasets/{d}/versions/{v}/preview/", None,                    (200, 200, 200, 404)),
    ("list jobs",                "get",    "jobs/",                           None,                       (200, 200, 200, 404)),
    ("show job",                 "get",    "jobs/{queued}/",                  None,                       (200, 200, 200, 404)),
    ("submit fine-tune",         "post",   "jobs/",                           lambda w: {"kind": "fine_tune", "dataset_version": w.version.pk, "task": TASK, "model_name": "news2"}, (403, 201, 201, 404)),
    ("submit evaluate",          "post",   "jobs/",                           lambda w: {"kind": "evaluate", "model_version": w.model_version.pk, "dataset_version": w.version.pk}, (403, 201, 201, 404)),
    ("cancel job",               "post",   "jobs/{queued}/cancel/",           None,                       (403, 200, 200, 404)),
    ("retry job",                "post",   "jobs/{failed}/retry/",            None,                       (403, 201, 201, 404)),
    ("list task bindings",       "get",    "task-bindings/",                  None,                       (200, 200, 200, 404)),
    ("bind a template",          "post",   "task-bindings/",                  lambda w: {"dataset_version": w.version.pk, "target": "sentiment"}, (403, 201, 201, 404)),
    ("list models",              "get",    "models/",                         None,                       (200, 200, 200, 404)),
    ("show model",               "get",    "models/{m}/",                     None,                       (200, 200, 200, 404)),
    ("list model versions",      "get",    "models/{m}/versions/",            None,                       (200, 200, 200, 404)),
    ("show model version",       "get",    "models/{m}/versions/1/",          None,                       (200, 200, 200, 404)),
    ("download artifacts",       "get",    "models/{m}/versions/1/artifacts/", None,                      (200, 200, 200, 404)),
    ("list aliases",             "get",    "models/{m}/aliases/",             None,                       (200, 200, 200, 404)),
    ("set alias",                "put",    "models/{m}/aliases/staging/",     {"version": 1},             (403, 403, 200, 404)),
    ("delete alias",             "delete", "models/{m}/aliases/production/",  None,                       (403, 403, 204, 404)),
]


def project_url(world, path: str, slug: str = "credit") -> str:
    ids = {"d": world.dataset.pk, "v": world.version.number, "queued": world.queued_job.pk,
           "failed": world.failed_job.pk, "m": world.model.pk}
    return f"/api/v1/projects/{slug}/{path.format(**ids)}"


def send(client, method: str, url: str, body):
    if body is None:
        return getattr(client, method)(url)
    fmt = "multipart" if any(hasattr(value, "read") for value in body.values()) else "json"
    return getattr(client, method)(url, body, format=fmt)


@pytest.mark.parametrize("role_index,role", list(enumerate(ROLES)), ids=[str(r) for r in ROLES])
@pytest.mark.parametrize("action,method,path,body,expected", MATRIX, ids=[row[0] for row in MATRIX])
def test_each_role_gets_exactly_its_status(world, api_client, action, method, path, body, expected, role_index, role):
    client = api_client(world.users[role])
    response = send(client, method, project_url(world, path), body(world) if callable(body) else body)
    assert response.status_code == expected[role_index], getattr(response, "data", response)
    if response.status_code == 403:
        assert "role in project credit" in response.json()["error"]["message"]
    if response.status_code == 404:
        assert response.json()["error"]["code"] == "not_found"


# Objects of project retail, reached by credit's owner through credit's URLs (and directly).
OTHER_PROJECTS_OBJECTS = [
    ("get", "credit", "datasets/{retail_dataset}/"),
    ("post", "credit", "datasets/{retail_dataset}/from-sample/"),
    ("get", "credit", "jobs/{retail_job}/"),
    ("post", "credit", "jobs/{retail_job}/cancel/"),
    ("get", "credit", "models/{retail_model}/versions/1/artifacts/"),
    ("get", "retail", "jobs/{retail_job}/"),
    ("get", "retail", ""),
]


@pytest.mark.parametrize("method,slug,path", OTHER_PROJECTS_OBJECTS)
def test_another_projects_objects_are_not_found(world, api_client, method, slug, path):
    url = f"/api/v1/projects/{slug}/" + path.format(
        retail_dataset=world.retail_dataset.pk, retail_job=world.retail_job.pk, retail_model=world.retail_model.pk
    )
    response = getattr(api_client(world.users[Role.OWNER]), method)(url, format="json")
    assert response.status_code == 404
    world.retail_job.refresh_from_db()
    assert world.retail_job.state == "queued"


#        path                               method  body                                  member anonymous
ACCOUNT_MATRIX = [
    ("/api/v1/projects/",                   "get",  None,                                 (200, 401)),
    ("/api/v1/projects/",                   "post", {"slug": "fresh", "name": "Fresh"},   (201, 401)),
    ("/api/v1/tokens/",                     "get",  None,                                 (200, 401)),
    ("/api/v1/tokens/",                     "post", {"name": "ci"},                       (201, 401)),
    ("/api/v1/plugins/",                    "get",  None,                                 (200, 401)),
    ("/api/v1/tasks/",                      "get",  None,                                 (200, 401)),
    (f"/api/v1/tasks/{TASK}/",              "get",  None,                                 (200, 401)),
    ("/api/v1/templates/",                  "get",  None,                                 (200, 401)),
    ("/api/v1/heads/",                      "get",  None,                                 (200, 401)),
    ("/api/v1/backbones/",                  "get",  None,                                 (200, 401)),
    ("/api/v1/samples/",                    "get",  None,                                 (200, 401)),
    ("/api/schema/",                        "get",  None,                                 (200, 401)),
    ("/api/docs/",                          "get",  None,                                 (200, 401)),
]


@pytest.mark.parametrize("anonymous", [False, True], ids=["member", "anonymous"])
@pytest.mark.parametrize("path,method,body,expected", ACCOUNT_MATRIX, ids=[f"{r[1]} {r[0]}" for r in ACCOUNT_MATRIX])
def test_account_level_endpoints_need_a_login(world, api_client, path, method, body, expected, anonymous):
    from rest_framework.test import APIClient

    client = APIClient() if anonymous else api_client(world.users[Role.VIEWER])
    response = send(client, method, path, body)
    assert response.status_code == expected[anonymous]
