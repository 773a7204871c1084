"""A table whose target is a list of labels, with no plugin: scikit-learn's wine measurements
with each wine's tasting traits (a list per row, possibly empty), uploaded as Parquet. Through
the API: infer from the target alone (multi-label, the labels read from the data), fine-tune
with the template's defaults (fewer epochs), evaluate on held-out rows, and predict lists of the table's labels."""
import io
import json

import pyarrow.parquet as pa_parquet
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.api.test_generic_templates import wine_with_traits

from .test_own_table import PROJECT, api, finished  # noqa: F401  (a fixture, shared)

# Model quality on a real table: the services change nothing it checks.
pytestmark = [pytest.mark.e2e, pytest.mark.services_neutral, pytest.mark.django_db(transaction=True)]

TRAITS = ["acidic", "deep colour", "strong", "tannic"]


def uploaded_parquet(api, name: str, table) -> int:  # noqa: F811
    sink = io.BytesIO()
    pa_parquet.write_table(table, sink)
    dataset = api.post(f"{PROJECT}datasets/", {"name": name}, format="json").json()
    job = finished(api, api.post(f"{PROJECT}datasets/{dataset['id']}/upload/", {
        "file": SimpleUploadedFile(f"{name}.parquet", sink.getvalue(), "application/octet-stream")}, format="multipart"))
    return job["result"]["dataset_version_id"]


def micro_f1(truth: list[list[str]], predicted: list[list[str]]) -> float:
    hits = sum(len(set(t) & set(p)) for t, p in zip(truth, predicted))
    told = sum(map(len, predicted)) + sum(map(len, truth))
    return 2 * hits / told if told else 0.0


def test_a_table_of_label_lists_trains_evaluates_and_predicts_its_own_labels(worker, api):  # noqa: F811
    table = wine_with_traits()
    # Wines in the data set's order are sorted by cultivar: every third row is held out.
    held = [index for index in range(table.num_rows) if index % 3 == 0]
    training = table.take([index for index in range(table.num_rows) if index % 3])
    held_out = table.take(held)
    version = uploaded_parquet(api, "cellar", training)

    proposal = api.get(f"{PROJECT}task-bindings/infer/", {"dataset_version": version, "target": "traits"}).json()
    assert proposal["valid"], proposal["problems"]
    assert (proposal["template"], proposal["target_inference"]["kind"]) == ("indus.tabular_multi_label", "label_lists")
    assert sorted(proposal["labels"]) == TRAITS
    binding = api.post(f"{PROJECT}task-bindings/", {"dataset_version": version, "target": "traits"}, format="json").json()
    fine_tune = finished(api, api.post(f"{PROJECT}jobs/", {
        # 8 epochs of the backbone's budget (the rest its defaults): enough for these traits, and
        # a quarter of the compute on the CI's two cores.
        "kind": "fine_tune", "dataset_version": version, "binding": binding["id"], "model_name": "traits",
        "hyperparameters": {"epochs": 8}}, format="json"))
    model_version = fine_tune["result"]["model_version_id"]

    evaluation = finished(api, api.post(f"{PROJECT}jobs/", {
        "kind": "evaluate", "model_version": model_version, "dataset_version": uploaded_parquet(api, "held", held_out)},
        format="json"))
    truth = held_out.column("traits").to_pylist()
    # What knowing only how common each trait is gives: every trait most training wines have.
    training_traits = training.column("traits").to_pylist()
    common = [trait for trait in TRAITS if sum(trait in row for row in training_traits) > len(training_traits) / 2]
    baseline = micro_f1(truth, [common] * len(truth))
    metrics = evaluation["result"]["metrics"]
    assert evaluation["result"]["rows"] == held_out.num_rows and metrics["micro_f1"] > baseline + 0.1, (metrics, baseline)

    unlabelled = uploaded_parquet(api, "new-wines", held_out.drop_columns(["traits"]))
    inference = finished(api, api.post(f"{PROJECT}jobs/", {
        "kind": "batch_inference", "model_version": model_version, "dataset_version": unlabelled,
        "output_format": "jsonl"}, format="json"))
    predictions = [json.loads(line) for line in
                   api.get(f"{PROJECT}jobs/{inference['id']}/predictions/").getvalue().decode().splitlines()]
    assert len(predictions) == held_out.num_rows
    predicted = [row["labels"] for row in predictions]
    assert set().union(*map(set, predicted)) <= set(TRAITS)
    assert micro_f1(truth, predicted) > baseline + 0.1
