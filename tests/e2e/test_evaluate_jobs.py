"""Evaluate jobs through a real worker process: a fine-tuned fraud model scored on held-out data."""
import io

import pyarrow as pa
import pyarrow.parquet as pa_parquet
import pytest

from indus.core.storage import artifact_storage
from indus.evaluation.services import evaluation_submit
from indus.inference.services import batch_inference_submit
from indus.registry.models import ModelVersion
from indus.training.services import fine_tune_submit

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def stored_table(path: str) -> pa.Table:
    with artifact_storage().open(path, "rb") as stored:
        return pa_parquet.read_table(io.BytesIO(stored.read()))


@pytest.fixture
def fraud_model(worker, project, sample_version, finished) -> ModelVersion:
    """The tabular MLP fine-tuned for two epochs on the finance plugin's card transactions: fast on a CPU."""
    training = sample_version("transactions", "finance.card_transactions", 2000, 1)
    job = finished(fine_tune_submit(
        project=project, dataset_version=training, task="finance.fraud_detection", model_name="fraud",
        hyperparameters={"epochs": 2, "batch_size": 64, "learning_rate": 1e-3, "class_weighting": True},
    ), timeout=600)
    assert job.state == "succeeded", job.error
    return ModelVersion.objects.get(job=job)


def test_the_scores_are_those_of_the_models_own_predictions(worker, project, fraud_model, sample_version, finished):
    held_out = sample_version("transactions-later", "finance.card_transactions", 1000, 2)
    metrics_before = dict(fraud_model.metrics)
    evaluation = finished(evaluation_submit(project=project, model_version=fraud_model, dataset_version=held_out),
                          timeout=300)
    predicting = finished(batch_inference_submit(project=project, model_version=fraud_model, dataset_version=held_out),
                          timeout=300)
    assert evaluation.state == "succeeded", evaluation.error
    assert predicting.state == "succeeded", predicting.error

    result = evaluation.result
    assert (result["model_version_id"], result["dataset_version_id"]) == (fraud_model.pk, held_out.pk)
    assert result["rows"] == result["rows_read"] == 1000
    # The accuracy is that of the labels batch inference writes for the same rows.
    predictions, rows = stored_table(predicting.result["output_path"]), stored_table(held_out.data_path)
    predicted = dict(zip(predictions.column("transaction_id").to_pylist(), predictions.column("label").to_pylist()))
    truth = dict(zip(rows.column("transaction_id").to_pylist(), rows.column("fraud_status").to_pylist()))
    matching = sum(predicted[key] == label for key, label in truth.items())
    assert result["metrics"]["accuracy"] == pytest.approx(matching / 1000)
    confusion = result["reports"]["confusion_matrix"]
    assert confusion["labels"] == ["legit", "fraud"]
    assert sum(map(sum, confusion["matrix"])) == 1000
    assert sum(confusion["matrix"][1]) == sum(label == "fraud" for label in truth.values())
    assert result["reports"]["per_class"]["fraud"]["support"] == sum(confusion["matrix"][1])
    # Ranks frauds above genuine transactions far better than chance, as on its own test split.
    assert result["metrics"]["roc_auc"] > 0.7
    # Recorded as metric points of the job; the model version keeps the metrics of its training.
    assert evaluation.metrics.get(name="roc_auc").value == pytest.approx(result["metrics"]["roc_auc"])
    fraud_model.refresh_from_db()
    assert fraud_model.metrics == metrics_before
    assert evaluation.progress == 1.0


def test_data_whose_labels_the_model_does_not_know_fails_the_job_clearly(worker, project, fraud_model, stored_version,
                                                                        finished):
    rows = stored_table(fraud_model.dataset_version.data_path).slice(0, 50)
    relabelled = rows.set_column(rows.column_names.index("fraud_status"), "fraud_status",
                                 pa.array(["legit"] * 49 + ["chargeback"]))
    version = stored_version(relabelled)
    job = finished(evaluation_submit(project=project, model_version=fraud_model, dataset_version=version), timeout=120)
    assert job.state == "failed"
    assert job.error.startswith("column 'fraud_status' (the target): ") and "'chargeback'" in job.error
