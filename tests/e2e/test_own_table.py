"""A user's own table, with no plugin: scikit-learn's breast cancer measurements as a clinic's
CSV export ('mean radius', 'worst concave points'..., a 'Sample ID', the diagnosis spelled out),
whose names match no plugin's task. Through the API: upload, infer a binding from the target
alone, fine-tune with no hyperparameters, evaluate on held-out rows, predict, and get the
predictions back under the table's own names and labels; the CLI shows the same proposal.

Then more public tables that ship inside Python packages, each under its own names: a
vineyard's three cultivars (scikit-learn's wine), a clinic's disease progression (its diabetes
data, a regression) and Palmer penguins (string categories and missing values)."""
import io
import json
import time

import numpy as np
import pyarrow.csv as pa_csv
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient
from sklearn.datasets import load_breast_cancer

from indus.jobs.models import Job
from indus.tenancy.services import api_token_create
from tests.cli.conftest import cli_env, indus  # noqa: F401  (fixtures, shared)
from tests.support.public_tables import PUBLIC_TABLES

# Model quality and column inference on real tables: the services change neither.
pytestmark = [pytest.mark.e2e, pytest.mark.services_neutral, pytest.mark.django_db(transaction=True)]

PROJECT = "/api/v1/projects/credit/"
# Rows trained on, the rest held out: the first 450 of 569, in the data set's own order.
TRAINING_ROWS = 450


def clinic_csv(frame) -> bytes:
    return frame.to_csv(index=False).encode()


@pytest.fixture
def clinic_frames():
    data = load_breast_cancer(as_frame=True)
    frame = data.frame.drop(columns="target")
    frame.insert(0, "Sample ID", [f"S{index:04d}" for index in range(len(frame))])
    frame["diagnosis"] = [str(data.target_names[value]) for value in data.target]
    return frame.iloc[:TRAINING_ROWS], frame.iloc[TRAINING_ROWS:]


@pytest.fixture
def api(user, project):
    _, secret = api_token_create(user=user, name="own table")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


def finished(api, response, timeout: float = 600) -> dict:
    """The job a response made, once it has finished; it must have succeeded."""
    assert response.status_code == 201, response.content
    job = response.json()
    deadline = time.monotonic() + timeout
    while job["state"] in ("queued", "running"):
        assert time.monotonic() < deadline, f"job {job['id']} did not finish"
        time.sleep(0.5)
        job = api.get(f"{PROJECT}jobs/{job['id']}/").json()
    assert job["state"] == "succeeded", job["error"]
    return job


def uploaded(api, name: str, content: bytes) -> int:
    dataset = api.post(f"{PROJECT}datasets/", {"name": name}, format="json").json()
    job = finished(api, api.post(f"{PROJECT}datasets/{dataset['id']}/upload/",
                                 {"file": SimpleUploadedFile(f"{name}.csv", content, "text/csv")}, format="multipart"))
    return job["result"]["dataset_version_id"]


def test_a_table_of_its_own_trains_evaluates_and_predicts_in_its_own_names(worker, api, clinic_frames, indus):  # noqa: F811
    training, held_out = clinic_frames
    training_version = uploaded(api, "clinic", clinic_csv(training))

    proposal = api.get(f"{PROJECT}task-bindings/infer/", {"dataset_version": training_version, "target": "diagnosis"}).json()
    assert proposal["valid"], proposal["problems"]
    assert (proposal["template"], proposal["target_inference"]["kind"]) == ("indus.tabular_classification", "binary")
    assert sorted(proposal["labels"]) == ["benign", "malignant"] and proposal["positive_label"] == "malignant"
    assert proposal["id_column"] == "Sample ID"
    inputs = {column["name"]: column["type"] for column in proposal["inputs"]}
    assert set(inputs) == set(training.columns) - {"Sample ID", "diagnosis"} and set(inputs.values()) == {"number"}

    code, out, err = indus("tasks", "infer", "credit", "--dataset-version", training_version, "--target", "diagnosis")
    assert code == 0, err
    assert "indus.tabular_classification" in out and "binary" in out and "mean radius" in out and "valid" in out

    binding = api.post(f"{PROJECT}task-bindings/", {"dataset_version": training_version, "target": "diagnosis"},
                       format="json").json()
    fine_tune = finished(api, api.post(f"{PROJECT}jobs/", {
        "kind": "fine_tune", "dataset_version": training_version, "binding": binding["id"], "model_name": "diagnosis",
    }, format="json"))
    version_id = fine_tune["result"]["model_version_id"]
    model = api.get(f"{PROJECT}models/").json()["results"][0]
    version = api.get(f"{PROJECT}models/{model['id']}/versions/{fine_tune['result']['version']}/").json()
    assert version["binding"] == binding["id"] and model["task"] == "indus.tabular_classification"
    assert sorted(version["head_spec"]["labels"]) == ["benign", "malignant"]

    # Held-out rows, uploaded as the clinic would send them later: scored with their diagnosis...
    held_out_version = uploaded(api, "clinic-held-out", clinic_csv(held_out))
    evaluation = finished(api, api.post(f"{PROJECT}jobs/", {
        "kind": "evaluate", "model_version": version_id, "dataset_version": held_out_version}, format="json"))
    metrics = evaluation["result"]["metrics"]
    majority = max(held_out["diagnosis"].value_counts()) / len(held_out)
    assert evaluation["result"]["rows"] == len(held_out) and metrics["accuracy"] > majority + 0.05, metrics

    # ...and predicted without it: predictions come back under 'Sample ID' with the table's labels.
    unlabelled = uploaded(api, "clinic-new", clinic_csv(held_out.drop(columns="diagnosis")))
    inference = finished(api, api.post(f"{PROJECT}jobs/", {
        "kind": "batch_inference", "model_version": version_id, "dataset_version": unlabelled,
        "output_format": "csv"}, format="json"))
    predictions = pa_csv.read_csv(io.BytesIO(api.get(f"{PROJECT}jobs/{inference['id']}/predictions/").getvalue()))
    assert predictions.column("Sample ID").to_pylist() == list(held_out["Sample ID"])
    predicted = predictions.column("label").to_pylist()
    assert set(predicted) <= {"benign", "malignant"} and len(set(predicted)) == 2
    agreement = sum(p == actual for p, actual in zip(predicted, held_out["diagnosis"])) / len(held_out)
    assert agreement > majority + 0.05
    assert Job.objects.filter(kind="fine_tune").get().spec["binding_id"] == binding["id"]
    code, out, err = indus("--json", "tasks", "show", "credit", binding["id"])
    assert code == 0 and json.loads(out)["model_versions"] == [version_id], err


@pytest.mark.parametrize("table", PUBLIC_TABLES, ids=[table.name for table in PUBLIC_TABLES])
def test_a_public_table_trains_evaluates_and_predicts_in_its_own_names(worker, api, table):
    frame = table.frame()
    training, held_out = frame.iloc[:-table.held_out], frame.iloc[-table.held_out:]
    training_version = uploaded(api, table.name, clinic_csv(training))

    proposal = api.get(f"{PROJECT}task-bindings/infer/", {"dataset_version": training_version,
                                                          "target": table.target}).json()
    assert proposal["valid"], proposal["problems"]
    assert proposal["target_inference"]["kind"] == table.kind and proposal["id_column"] == table.id_column
    assert (sorted(proposal["labels"]) if table.labels else proposal["labels"]) == (table.labels or [])
    inputs = {column["name"]: column["type"] for column in proposal["inputs"]}
    assert set(inputs) == set(frame.columns) - {table.target, table.id_column}
    assert {name: inputs[name] for name in table.types} == table.types
    assert all(column["type_reason"] and column["role_reason"] for column in proposal["columns"])

    binding = api.post(f"{PROJECT}task-bindings/", {"dataset_version": training_version, "target": table.target},
                       format="json").json()
    fine_tune = finished(api, api.post(f"{PROJECT}jobs/", {
        "kind": "fine_tune", "dataset_version": training_version, "binding": binding["id"], "model_name": table.name,
    }, format="json"))
    version_id = fine_tune["result"]["model_version_id"]

    held_out_version = uploaded(api, f"{table.name}-held-out", clinic_csv(held_out))
    evaluation = finished(api, api.post(f"{PROJECT}jobs/", {
        "kind": "evaluate", "model_version": version_id, "dataset_version": held_out_version}, format="json"))
    assert evaluation["result"]["rows"] == len(held_out)
    metrics = evaluation["result"]["metrics"]
    truth = held_out[table.target]

    # Predicted from the same rows (the breast cancer test above predicts rows without their target).
    inference = finished(api, api.post(f"{PROJECT}jobs/", {
        "kind": "batch_inference", "model_version": version_id, "dataset_version": held_out_version,
        "output_format": "csv"}, format="json"))
    predictions = pa_csv.read_csv(io.BytesIO(api.get(f"{PROJECT}jobs/{inference['id']}/predictions/").getvalue()))
    # Every row is predicted, those with missing values too (some held-out penguins have no sex).
    assert predictions.num_rows == len(held_out)
    if table.id_column:  # each prediction names its row in the table's own key
        assert predictions.column(table.id_column).to_pylist() == list(held_out[table.id_column])
    if table.labels:
        majority = max(truth.value_counts()) / len(truth)
        assert metrics["accuracy"] > majority + 0.2, metrics
        predicted = predictions.column("label").to_pylist()
        assert set(predicted) <= set(table.labels)
        assert {f"p_{label}" for label in table.labels} <= set(predictions.column_names)
        assert np.mean([p == actual for p, actual in zip(predicted, truth)]) > majority + 0.2
    else:
        # A constant prediction scores an R² of about 0 on held-out rows.
        assert metrics["r2"] > 0.2, metrics
        predicted = np.array(predictions.column("value").to_pylist())
        rmse = float(np.sqrt(np.mean((predicted - truth.to_numpy()) ** 2)))
        assert rmse == pytest.approx(metrics["rmse"], rel=1e-3)
