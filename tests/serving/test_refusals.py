"""Every refused request gets the REST API's error format, naming the field; the process lives on."""
import json

import pytest

from indus.tenancy.services import api_token_create, api_token_revoke, project_create
from tests.serving.conftest import Client, register

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def error_of(status_body_headers, status: int) -> dict:
    status_got, body, _ = status_body_headers
    assert status_got == status, body
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "field", "details"}, body
    return body["error"]


def test_tokens_and_projects_are_the_platforms(server, client, user, project, review_model_dirs, django_user_model):
    register(project, "reviews", review_model_dirs[:1])
    rows = [{"review": "great"}]
    assert error_of(Client(server.port).predict("reviews", rows), 401)["code"] == "not_authenticated"
    assert error_of(Client(server.port, "indus_nope_nope").predict("reviews", rows), 401)["code"] == "invalid_token"
    revoked, secret = api_token_create(user=user, name="revoked")
    api_token_revoke(token=revoked)
    assert error_of(Client(server.port, secret).predict("reviews", rows), 401)["code"] == "token_revoked"
    # Another project's model is a 404, said as for a model that does not exist at all.
    outsider = django_user_model.objects.create_user(username="mallory", password="x" * 20)
    project_create(slug="other", name="Other", owner=outsider)
    register_other = Client(server.port, api_token_create(user=outsider, name="t")[1])
    refused = error_of(register_other.predict("reviews", rows), 404)
    assert refused == error_of(register_other.predict("no-such-model", rows), 404) | {"message": refused["message"]}
    assert error_of(client.predict("reviews", rows, query="?alias=staging"), 404)["field"] == "alias"
    # The V2 path checks the same: the outsider cannot read the model's metadata either.
    assert error_of(register_other.get("/v2/models/credit.reviews"), 404)["code"] == "not_found"
    assert error_of(register_other.get("/v2/models"), 404)["code"] == "not_found"


def test_bad_rows_are_400s_naming_the_row_and_column(client, project, tabular_model_dir, review_model_dirs):
    register(project, "limits", [tabular_model_dir])
    good = {"income": 50_000, "age": 40, "region": "north", "is_member": True}
    missing = error_of(client.predict("limits", [good, {**good, "income": None}]), 400)
    assert (missing["field"], missing["code"]) == ("rows.1.income", "required")
    wrong = error_of(client.predict("limits", [{**good, "age": "forty"}, {**good, "is_member": "yes"}]), 400)
    assert wrong["field"] == "rows.0.age" and "a number" in wrong["message"]
    assert [problem["field"] for problem in wrong["details"]["errors"]] == ["rows.0.age", "rows.1.is_member"]
    assert error_of(client.predict("limits", [good] * 257), 400)["field"] == "rows"
    assert error_of(client.predict("limits", "not a list"), 400)["field"] == "rows"
    assert error_of(client.predict("limits", [good, 3]), 400)["field"] == "rows.1"
    assert error_of(client.post("/projects/credit/models/limits/predict", b"{not json"), 400)["field"] == "body"
    assert error_of(client.post("/projects/credit/models/limits/predict", {"instances": []}), 400)["field"] == "rows"
    # Over the body cap (1 MiB by default): 413 from the declared length, nothing read.
    huge = json.dumps({"rows": [{**good, "region": "x" * 1000}] * 1100}).encode()
    assert error_of(client.post("/projects/credit/models/limits/predict", huge), 413)["field"] == "body"
    # A V2 request with tensors of different lengths, and one that is not a V2 request at all.
    v2 = {"inputs": [{"name": "income", "shape": [2], "datatype": "FP64", "data": [1.0, 2.0]},
                     {"name": "age", "shape": [1], "datatype": "INT64", "data": [3]}]}
    assert error_of(client.post("/v2/models/credit.limits/infer", v2), 400)["field"] == "inputs"
    assert error_of(client.post("/v2/models/credit.limits/infer", {"inputs": "none"}), 400)["code"] == "invalid"
    assert error_of(client.get("/no/such/route"), 404)["code"] == "not_found"
    # None of it hurt the process: good rows still get predictions.
    status, body, _ = client.predict("limits", [good])
    assert status == 200 and isinstance(body["predictions"][0]["value"], float)
