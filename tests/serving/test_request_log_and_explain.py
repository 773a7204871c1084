"""Request logging to a dataset, explanations on request, and who may read /metrics; a real
serving process that stores its logged rows every fraction of a second."""
import re

import pyarrow.parquet as pa_parquet
import pytest
from rest_framework.test import APIClient

from indus.core.storage import artifact_storage
from indus.datasets.models import Dataset, DatasetVersion
from indus.serving.directory import served_dataset_name
from indus_workers.inference.explain import explain_rows
from indus_workers.model import load_model
from indus_workers.serving.rows import ServedModel
from tests.serving.conftest import Client, ServingProcess, register
from tests.support.workers import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

METRICS_TOKEN = "scraper-secret-for-tests"
EXPLAIN_MAX_ROWS = 2
ROWS = [{"income": 90_000.0, "age": 40.0, "region": "north", "is_member": True},
        {"income": 20_000.5, "age": 30.0, "region": "south", "is_member": False}]


@pytest.fixture(scope="module")
def server(django_db_setup, tmp_path_factory):
    process = ServingProcess(tmp_path_factory.mktemp("serving-logs") / "serve.log", env={
        "INDUS_SERVING_REQUEST_LOG_FLUSH_SECONDS": "0.2",
        "INDUS_SERVING_METRICS_TOKEN": METRICS_TOKEN,
        "INDUS_SERVING_EXPLAIN_MAX_ROWS": str(EXPLAIN_MAX_ROWS),
    })
    yield process
    process.stop()


def set_logging(token: str, model, **logging) -> None:
    """Through the platform's API, as an operator would."""
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    answer = api.put(f"/api/v1/projects/{model.project.slug}/models/{model.pk}/aliases/production/",
                     {"version": 1, **logging}, format="json")
    assert answer.status_code == 200, answer.json()


def served_versions(project, model_name: str) -> list[DatasetVersion]:
    return list(DatasetVersion.objects.filter(dataset__project=project, dataset__name=served_dataset_name(model_name),
                                              source=DatasetVersion.Source.SERVED).order_by("number"))


def stored_rows(versions: list[DatasetVersion]) -> list[dict]:
    rows = []
    for version in versions:
        with artifact_storage().open(version.data_path) as stored:
            rows += pa_parquet.read_table(stored).to_pylist()
    return rows


def metric(server, name: str, model: str, **labels) -> float:
    status, text, _ = Client(server.port, METRICS_TOKEN).get("/metrics")
    assert status == 200
    wanted = {"model": model, **labels}
    for line in text.decode().splitlines():
        match = re.match(rf"{name}\{{(.*)\}} (\S+)$", line)
        if match and dict(re.findall(r'(\w+)="([^"]*)"', match[1])) == wanted:
            return float(match[2])
    return 0.0


def test_logged_requests_become_a_dataset_version_with_inputs_and_predictions(
    server, client, token, project, tabular_model_dir,
):
    quiet = register(project, "quiet", [tabular_model_dir])[0].model  # logging off: the default
    logged = register(project, "limits", [tabular_model_dir])[0].model
    set_logging(token, logged, log_sample_rate=1.0)
    assert client.predict("quiet", ROWS)[0] == 200
    predictions = []
    for _ in range(3):
        status, body, _ = client.predict("limits", ROWS)
        assert status == 200, body
        predictions += body["predictions"]
    wait_for(lambda: sum(version.row_count for version in served_versions(project, "limits")) >= 6, timeout=30,
             message="the logged rows to be stored")
    versions = served_versions(project, "limits")
    rows = stored_rows(versions)
    assert len(rows) == 6
    assert [{name: row[name] for name in ROWS[0]} for row in rows] == ROWS * 3
    assert [row["value"] for row in rows] == pytest.approx([prediction["value"] for prediction in predictions])
    assert {(row["model_version"], row["alias"]) for row in rows} == {(1, "production")}
    # A dataset version like an import's: profiled, previewed, in the model's project.
    assert versions[0].profile["row_count"] == versions[0].row_count and versions[0].stored_preview.rows
    assert [column["name"] for column in versions[0].columns][:3] == ["served_at", "model_version", "alias"]
    # Rate 0 (its requests were answered first, so the flushes above would have held them).
    assert not Dataset.objects.filter(project=project, name=served_dataset_name("quiet")).exists()
    assert quiet.aliases.get().log_sample_rate == 0


def test_rows_past_the_hourly_bound_are_dropped_and_counted(server, client, token, project, tabular_model_dir):
    model = register(project, "bounded", [tabular_model_dir])[0].model
    set_logging(token, model, log_sample_rate=1.0, log_max_rows_per_hour=3)
    dropped_before = metric(server, "indus_serving_logged_rows_dropped_total", "credit.bounded", reason="hourly_bound")
    for _ in range(5):
        assert client.predict("bounded", ROWS[:1])[0] == 200
    wait_for(lambda: sum(version.row_count for version in served_versions(project, "bounded")) >= 3, timeout=30,
             message="the logged rows to be stored")
    assert metric(server, "indus_serving_logged_rows_dropped_total", "credit.bounded", reason="hourly_bound") - dropped_before == 2
    assert metric(server, "indus_serving_logged_rows_total", "credit.bounded") == 3
    assert len(stored_rows(served_versions(project, "bounded"))) == 3


def test_explanations_on_request_are_batch_inferences_reason_codes(client, project, tabular_model_dir):
    register(project, "limits", [tabular_model_dir])
    status, body, _ = client.post("/projects/credit/models/limits/predict", {"rows": ROWS, "explain": True})
    assert status == 200, body
    assert len(body["explanations"]) == len(body["predictions"]) == 2
    model = load_model(tabular_model_dir)
    expected = explain_rows(model, ServedModel(model).table(ROWS, max_rows=10), [0, 1])
    for served, own in zip(body["explanations"], expected):
        assert served["reason_codes"] == own["reason_codes"]
        assert [feature["feature"] for feature in served["features"]] == [feature["feature"] for feature in own["features"]]
        assert [feature["contribution"] for feature in served["features"]] == pytest.approx(
            [feature["contribution"] for feature in own["features"]], abs=1e-5)
        assert set(served["reason_codes"]) <= set(ROWS[0])
    assert "explanations" not in client.predict("limits", ROWS)[1]  # only on request
    too_many = client.post("/projects/credit/models/limits/predict", {"rows": ROWS * 2, "explain": True})
    assert (too_many[0], too_many[1]["error"]["field"]) == (400, "explain")
    assert str(EXPLAIN_MAX_ROWS) in too_many[1]["error"]["message"]
    wrong = client.post("/projects/credit/models/limits/predict", {"rows": ROWS, "explain": "yes"})
    assert (wrong[0], wrong[1]["error"]["field"]) == (400, "explain")


def test_metrics_need_the_scrapers_token_or_a_staff_users(server, client):
    anonymous = Client(server.port).get("/metrics")
    assert anonymous[0] == 401 and anonymous[1]["error"]["code"] == "not_authenticated"
    assert Client(server.port, "not-the-scraper-token").get("/metrics")[0] == 401
    member = client.get("/metrics")
    assert member[0] == 403 and "INDUS_SERVING_METRICS_TOKEN" in member[1]["error"]["message"]
    status, text, _ = Client(server.port, METRICS_TOKEN).get("/metrics")
    assert status == 200 and b"indus_serving_loaded_models" in text


def test_a_stopping_server_stores_the_rows_it_logged_since_the_last_flush(token, project, tabular_model_dir, tmp_path):
    model = register(project, "limits", [tabular_model_dir])[0].model
    set_logging(token, model, log_sample_rate=1.0)
    stopping = ServingProcess(tmp_path / "serve.log", env={"INDUS_SERVING_REQUEST_LOG_FLUSH_SECONDS": "3600"})
    try:
        assert Client(stopping.port, token).predict("limits", ROWS)[0] == 200
        assert served_versions(project, "limits") == []  # no flush yet: an hour away
    finally:
        stopping.stop()
    assert [{name: row[name] for name in ROWS[0]} for row in stored_rows(served_versions(project, "limits"))] == ROWS
