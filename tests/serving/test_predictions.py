"""The plain JSON route and the Open Inference Protocol, against a real serving process."""
import re
import subprocess
import sys

import numpy as np
import pytest
import tritonclient.http as triton

from indus.tenancy.services import api_token_create
from indus_workers.inference.explain import explain_rows
from indus_workers.model import load_model
from indus_workers.serving.rows import ServedModel
from tests.serving.conftest import Client, ServingProcess, register
from tests.support.workers import REPO_DIR, process_env

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

REVIEWS = [{"review": "the item arrived today and it was great"}, {"review": "really quite broken"}]


def local_predictions(folder: str, rows: list[dict]) -> list[dict]:
    """What the model itself predicts for the rows, in the same process as the test."""
    import pyarrow as pa

    model = load_model(folder)
    table = pa.table({name: [row[name] for row in rows] for name in rows[0]})
    return model.predict_rows(model.featurize(table, inference=True))


def test_rows_in_predictions_out_in_the_tasks_labels(client, project, review_model_dirs):
    register(project, "reviews", review_model_dirs[:1])
    status, body, headers = client.predict("reviews", REVIEWS)
    assert status == 200, body
    assert body["version"] == 1 and headers["x-indus-model-version"] == "1" and body["selector"] == "production"
    expected = local_predictions(review_model_dirs[0], REVIEWS)
    assert [row["label"] for row in body["predictions"]] == [row["label"] for row in expected] == ["positive", "negative"]
    for served, own in zip(body["predictions"], expected):
        # Shaped like a batch-inference output row: the row number, the label, p_<label>.
        assert served["row"] in (0, 1)
        assert served["p_positive"] == pytest.approx(own["probabilities"]["positive"], abs=1e-5)
        assert served["p_negative"] == pytest.approx(own["probabilities"]["negative"], abs=1e-5)


def test_a_server_computing_in_bfloat16_answers_as_full_precision_does(tmp_path, token, project, review_model_dirs):
    """bf16 rounds each product to 8 bits of mantissa: probabilities move by about 1e-2, the
    labels of rows this clear do not."""
    register(project, "reviews", review_model_dirs[:1])
    process = ServingProcess(tmp_path / "serve.log", "--cpu-precision", "bfloat16")
    try:
        client = Client(process.port, token)
        status, body, _ = client.predict("reviews", REVIEWS)
        # The transformer's weights are held in bf16; an explanation's gradients run without autocast.
        explained_status, explained, _ = client.post("/projects/credit/models/reviews/predict", {"rows": REVIEWS[:1], "explain": True})
    finally:
        process.stop()
    assert status == 200, body
    assert explained_status == 200, explained
    model = load_model(review_model_dirs[0])
    [own_explanation] = explain_rows(model, ServedModel(model).table(REVIEWS[:1], max_rows=1), [0])
    [served_explanation] = explained["explanations"]
    assert served_explanation["output"] == pytest.approx(own_explanation["output"], abs=0.05)
    assert {word["token"] for word in served_explanation["tokens"]} == {word["token"] for word in own_explanation["tokens"]}
    expected = local_predictions(review_model_dirs[0], REVIEWS)
    assert [row["label"] for row in body["predictions"]] == [row["label"] for row in expected]
    served = [row["p_positive"] for row in body["predictions"]]
    own = [row["probabilities"]["positive"] for row in expected]
    assert served == pytest.approx(own, abs=0.03)
    assert served != pytest.approx(own, abs=1e-6)  # computed in bf16 indeed, not in full precision


def test_an_unknown_cpu_precision_stops_the_server_with_the_choices(tmp_path):
    done = subprocess.run([sys.executable, "-m", "django", "serve", "--cpu-precision", "fp8"], env=process_env(),
                          cwd=REPO_DIR, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "CPU precision 'fp8' is not one of float32, bfloat16, auto" in done.stderr
    assert "Traceback" not in done.stderr


def test_an_answered_request_adds_its_access_line_to_the_log_and_no_more(server, client, project, review_model_dirs):
    """A busy server's log grows by one line a request (KServe's timing middleware wrote two
    more, and read the process's CPU time twice, on every request)."""
    register(project, "reviews", review_model_dirs[:1])
    assert client.predict("reviews", REVIEWS)[0] == 200  # the version is loaded: loading may log
    before = server.log_path.read_text()
    for _ in range(20):
        assert client.predict("reviews", REVIEWS)[0] == 200
    added = server.log_path.read_text()[len(before):].splitlines()
    assert len(added) == 20 and all('"POST /projects/credit/models/reviews/predict HTTP/1.1" 200' in line for line in added), added[:4]


def test_tabular_predictions_and_an_explicit_version(client, project, tabular_model_dir, review_model_dirs):
    register(project, "limits", [tabular_model_dir])
    rows = [{"income": 90_000, "age": 40, "region": "north", "is_member": True},
            {"income": 20_000.5, "age": 30, "region": "south", "is_member": False}]
    status, body, _ = client.predict("limits", rows, query="?version=1")
    assert status == 200, body
    expected = local_predictions(tabular_model_dir, [{**row, "income": float(row["income"]), "age": float(row["age"])} for row in rows])
    served = [row["value"] for row in body["predictions"]]
    assert served == pytest.approx([row["value"] for row in expected], rel=1e-5)
    assert served[0] > served[1]  # the richer member gets the higher limit


def test_tritonclient_gets_predictions_from_the_v2_endpoints(server, client, token, project, review_model_dirs):
    register(project, "reviews", review_model_dirs)
    v2 = triton.InferenceServerClient(url=f"127.0.0.1:{server.port}")
    auth = {"Authorization": f"Bearer {token}"}
    assert v2.is_server_live() and v2.is_server_ready()
    metadata = v2.get_model_metadata("credit.reviews", headers=auth)
    assert metadata["inputs"] == [{"name": "review", "datatype": "BYTES", "shape": [-1]}]
    texts = triton.InferInput("review", [2], "BYTES")
    texts.set_data_from_numpy(np.array([row["review"] for row in REVIEWS], dtype=object))
    result = v2.infer("credit.reviews", [texts], headers=auth)
    assert [label.decode() if isinstance(label, bytes) else label for label in result.as_numpy("label")] == ["positive", "negative"]
    probabilities = result.as_numpy("p_positive") + result.as_numpy("p_negative")
    assert probabilities == pytest.approx(np.ones(2), abs=1e-5)
    assert result.get_response()["model_version"] == "1"
    # An explicit version through the protocol's own versions path.
    second = v2.infer("credit.reviews", [texts], model_version="2", headers=auth)
    assert second.get_response()["model_version"] == "2"
    expected = local_predictions(review_model_dirs[1], REVIEWS)
    assert second.as_numpy("p_positive") == pytest.approx([row["probabilities"]["positive"] for row in expected], abs=1e-5)
    # KServe's V1 predict answers the same rows, as `instances`.
    status, body, headers = client.post("/v1/models/credit.reviews:predict", {"instances": REVIEWS})
    assert status == 200 and body["model_version"] == 1 and headers["x-indus-model-version"] == "1"
    assert [row["label"] for row in body["predictions"]] == ["positive", "negative"]


def test_prometheus_metrics_count_requests_batches_queues_and_loaded_models(server, client, project, review_model_dirs,
                                                                           django_user_model):
    register(project, "reviews", review_model_dirs[:1])
    for _ in range(3):
        assert client.predict("reviews", REVIEWS)[0] == 200
    # /metrics names every project's models: a member's token is not enough, a staff user's is.
    assert client.get("/metrics")[0] == 403
    assert Client(server.port).get("/metrics")[0] == 401
    staff = django_user_model.objects.create_user(username="operator", password="x" * 20, is_staff=True)
    status, text, _ = Client(server.port, api_token_create(user=staff, name="scraper")[1]).get("/metrics")
    text = text.decode() if isinstance(text, bytes) else text
    assert status == 200
    requests = re.search(r'indus_serving_requests_total\{model="credit.reviews",status="200",version="(\d+)"\} (\d+)', text)
    assert requests and int(float(requests[2])) >= 3
    assert re.search(r'indus_serving_batch_rows_count\{model="credit.reviews",version="\d+"\} [1-9]', text)
    assert re.search(r'indus_serving_request_seconds_bucket\{le="0.25",model="credit.reviews"\} [1-9]', text)
    assert re.search(r'indus_serving_queue_rows\{model="credit.reviews",version="\d+"\} 0', text)
    assert float(re.search(r"^indus_serving_loaded_models (\S+)$", text, re.M)[1]) >= 1
