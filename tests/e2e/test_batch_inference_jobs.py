"""Batch inference through real worker processes, with a fine-tuned MiniLM."""
import io

import pyarrow.csv as pa_csv
import pyarrow.parquet as pa_parquet
import pytest

from indus.core.storage import artifact_storage
from indus.inference.services import batch_inference_submit

# What batch inference computes is the runtime's: the services change none of it;
# test_sharded_inference runs batch inference on them.
pytestmark = [pytest.mark.e2e, pytest.mark.services_neutral, pytest.mark.django_db(transaction=True)]


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
    # New messages from the same generator: their length is compared with the training data's.
    assert job.result["drift"]["features"]["message"]["verdict"] in ("stable", "watch")
    assert job.result["rows"] == 1500 and job.result["bad_rows"] == 0
