"""Batch inference through real worker processes, with a fine-tuned MiniLM."""
import io

import pyarrow.csv as pa_csv
import pyarrow.parquet as pa_parquet
import pytest

from indus.core.storage import artifact_storage
from indus.datasets.models import DatasetVersion
from indus.datasets.services import dataset_create, dataset_generate_sample
from indus.inference.services import batch_inference_submit
from indus.registry.models import ModelVersion
from indus.training.services import fine_tune_submit
from tests.support.workers import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def sample_version(project, finished):
    def make(name: str, sample: str, rows: int, seed: int) -> DatasetVersion:
        dataset = dataset_create(project=project, name=name)
        job = finished(dataset_generate_sample(dataset=dataset, sample=sample, rows=rows, seed=seed))
        assert job.state == "succeeded", job.error
        return DatasetVersion.objects.get(pk=job.result["dataset_version_id"])

    return make


@pytest.fixture
def intent_model(project, sample_version, finished) -> ModelVersion:
    """MiniLM fine-tuned for one epoch on the retail plugin's support messages."""

    def make() -> ModelVersion:
        training = sample_version("support-train", "retail.support_messages", 600, 1)
        job = finished(fine_tune_submit(project=project, dataset_version=training, task="retail.support_intent",
                                        model_name="intents", hyperparameters={"epochs": 2, "learning_rate": 2e-4,
                                                                               "max_length": 64}), timeout=600)
        assert job.state == "succeeded", job.error
        return ModelVersion.objects.get(job=job)

    return make


def stored_predictions(job):
    with artifact_storage().open(job.result["output_path"], "rb") as stored:
        data = stored.read()
    if job.result["output_path"].endswith(".csv"):
        return pa_csv.read_csv(io.BytesIO(data))
    return pa_parquet.read_table(io.BytesIO(data))


def test_every_row_predicted_with_explanations_int8_and_drift(worker, project, intent_model, sample_version, finished):
    model_version = intent_model()
    incoming = sample_version("support-new", "retail.support_messages", 1500, 9)
    job = finished(batch_inference_submit(project=project, model_version=model_version, dataset_version=incoming,
                                          output_format="csv", explain={"top": 3}, int8=True), timeout=600)
    assert job.state == "succeeded", job.error

    predictions = stored_predictions(job)
    incoming_rows = pa_parquet.read_table(artifact_storage().path(incoming.data_path))
    ids, truth = incoming_rows.column("ticket_id").to_pylist(), incoming_rows.column("intent").to_pylist()
    assert sorted(predictions.column("ticket_id").to_pylist()) == sorted(ids)
    predicted = dict(zip(predictions.column("ticket_id").to_pylist(), predictions.column("label").to_pylist()))
    accuracy = sum(predicted[i] == y for i, y in zip(ids, truth)) / len(ids)
    assert accuracy > 0.5, "the model's predictions must be the ones the output holds, row by row"

    assert len(job.result["explanations"]) == 3
    assert job.result["int8"]["sample_rows"] > 0 and 0 <= job.result["int8"]["agreement"] <= 1
    assert job.result["drift"]
    assert job.result["rows"] == 1500 and job.result["bad_rows"] == 0


def test_killed_worker_inference_resumes_with_each_row_once(
    worker_factory, replace_killed_worker, project, intent_model, sample_version, finished
):
    first_worker = worker_factory()
    model_version = intent_model()
    incoming = sample_version("support-big", "retail.support_messages", 4000, 11)
    job = batch_inference_submit(project=project, model_version=model_version, dataset_version=incoming)
    wait_for(lambda: job.events.filter(message="part 1 written").exists(), timeout=300, message="the first part")
    replace_killed_worker(first_worker)
    job = finished(job, timeout=600)
    assert job.state == "succeeded", job.error
    assert job.attempts == 2 and job.result["resumed_from_part"]
    ids = stored_predictions(job).column("ticket_id").to_pylist()
    assert len(ids) == 4000 and len(set(ids)) == 4000
