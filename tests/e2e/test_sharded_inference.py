"""Batch-inference and evaluate jobs split into parts, computed by several real worker processes:
the output (the metrics) is the one a whole run writes, a killed worker's part is taken over, a
small job stays whole."""
import io
from pathlib import Path

import pyarrow.parquet as pa_parquet
import pytest
from django.conf import settings

from bench.support import SilentEvents
from indus.core.storage import artifact_storage
from indus.evaluation.services import evaluation_submit
from indus.inference.services import batch_inference_submit
from indus.jobs.models import JobPart
from indus.jobs.reconciler import jobs_reconcile
from tests.support.tabular_model import card_transactions, fraud_model_version
from tests.support.workers import wait_for

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ROWS = 3000
# With the test settings' 400-row output parts: parts of rows 0-799, 800-1999 and 2000-2999.
IN_PARTS = {"INDUS_JOB_PART_ROWS": "1000"}


@pytest.fixture
def fraud_model(project, stored_version, tmp_path):
    return fraud_model_version(project, stored_version(card_transactions(1000, seed=1)), tmp_path / "training")


def stored_output(job):
    with artifact_storage().open(job.result["output_path"], "rb") as stored:
        return pa_parquet.read_table(io.BytesIO(stored.read()))


def whole_run(model_version, dataset_version, folder: Path):
    """The same job run whole, by the worker runtime in this process."""
    from indus_workers.inference import InferenceSpec, ModelCache, run_inference

    spec = InferenceSpec(
        model_dir=artifact_storage().path(model_version.artifact_path),
        input_path=artifact_storage().path(dataset_version.data_path), input_format="parquet",
        output_dir=str(folder / "work"), output_path=str(folder / "whole.parquet"), output_format="parquet",
        id_column="transaction_id", rows_per_part=settings.INDUS_INFERENCE_ROWS_PER_PART,
    )
    run_inference(spec, SilentEvents(), cache=ModelCache())
    return pa_parquet.read_table(spec.output_path)


def test_two_workers_write_the_output_of_a_whole_run_and_a_small_job_stays_whole(
    worker_factory, project, fraud_model, stored_version, finished, tmp_path
):
    worker_factory(**IN_PARTS), worker_factory(**IN_PARTS)
    incoming = stored_version(card_transactions(ROWS, seed=2))
    job = finished(batch_inference_submit(project=project, model_version=fraud_model, dataset_version=incoming),
                   timeout=120)
    assert job.state == "succeeded", job.error
    parts = list(JobPart.objects.filter(job=job).order_by("index"))
    assert [(part.first_row, part.end_row, part.state) for part in parts] == [
        (0, 800, "succeeded"), (800, 2000, "succeeded"), (2000, 3000, "succeeded")]
    assert job.result["rows"] == ROWS and job.result["job_parts"] == 3 and job.progress == 1.0
    assert job.result["drift"]["rows"] == ROWS

    output, expected = stored_output(job), whole_run(fraud_model, incoming, tmp_path)
    assert output.column_names == expected.column_names
    assert output.column("transaction_id").to_pylist() == incoming_ids(incoming)
    for name in expected.column_names:
        assert output.column(name).to_pylist() == expected.column(name).to_pylist(), name

    small = stored_version(card_transactions(300, seed=3))
    small_job = finished(batch_inference_submit(project=project, model_version=fraud_model, dataset_version=small),
                         timeout=120)
    assert small_job.state == "succeeded", small_job.error
    assert not JobPart.objects.filter(job=small_job).exists() and "job_parts" not in small_job.result
    assert small_job.result["rows"] == 300


def incoming_ids(version) -> list:
    return pa_parquet.read_table(artifact_storage().path(version.data_path), columns=["transaction_id"]) \
        .column("transaction_id").to_pylist()


def test_a_killed_workers_part_is_taken_over_and_every_row_is_written_once(
    worker_factory, project, fraud_model, stored_version, finished
):
    workers = [worker_factory(**IN_PARTS), worker_factory(**IN_PARTS)]
    incoming = stored_version(card_transactions(ROWS, seed=4))
    # One row per forward pass: parts last long enough to be caught running.
    job = batch_inference_submit(project=project, model_version=fraud_model, dataset_version=incoming, batch_size=1)

    def each_worker_computes_a_part():
        running = JobPart.objects.filter(job=job, state="running").values_list("worker", flat=True)
        return len({worker.split("@")[0] for worker in running}) == 2

    wait_for(each_worker_computes_a_part, timeout=120, interval=0.02, message="both workers to compute a part")
    job.refresh_from_db()
    coordinator = next(worker for worker in workers if job.worker.startswith(f"{worker.name}@"))
    coordinator.kill()  # the worker holding the job, mid-part: its part and the job itself lose their worker
    wait_for(lambda: jobs_reconcile().released, timeout=settings.INDUS_JOB_LEASE_SECONDS + 30, interval=0.5,
             message="the reconciler to release the job")
    job = finished(job, timeout=180)
    assert job.state == "succeeded", job.error
    assert job.attempts == 2
    assert JobPart.objects.filter(job=job, attempts=2).exists(), "the killed worker's part was computed again"
    assert job.events.filter(message__contains="went silent").exists()
    ids = stored_output(job).column("transaction_id").to_pylist()
    assert ids == incoming_ids(incoming)  # every row once, in order


def whole_evaluation(model_version, dataset_version) -> dict:
    """The same evaluate job run whole, by the worker runtime in this process."""
    from indus_workers.inference import ModelCache
    from indus_workers.inference.evaluate import EvaluationSpec, evaluate_model

    spec = EvaluationSpec(model_dir=artifact_storage().path(model_version.artifact_path),
                          input_path=artifact_storage().path(dataset_version.data_path))
    return evaluate_model(spec, SilentEvents(), cache=ModelCache())


# Curve areas come from score sketches: within these of the one-pass areas (indus_workers.evaluation.partials).
AREA_TOLERANCE = {"roc_auc": 1e-4, "pr_auc": 1e-3}


def assert_same_scores(actual, expected, where="result"):
    """Counts equal, curve areas within their tolerance, other numbers equal but for the order
    in which the parts' sums were added."""
    if isinstance(expected, dict):
        assert actual.keys() == expected.keys(), where
        for key, value in expected.items():
            assert_same_scores(actual[key], value, f"{where}.{key}")
    elif isinstance(expected, list):
        assert len(actual) == len(expected), where
        for index, (got, value) in enumerate(zip(actual, expected)):
            assert_same_scores(got, value, f"{where}[{index}]")
    elif isinstance(expected, float):
        tolerance = AREA_TOLERANCE.get(where.rsplit(".", 1)[-1])
        assert actual == (pytest.approx(expected, abs=tolerance) if tolerance else pytest.approx(expected, rel=1e-12)), where
    else:
        assert actual == expected, where


def test_an_evaluation_in_parts_on_two_workers_gives_the_metrics_of_a_whole_one_and_a_small_one_stays_whole(
    worker_factory, project, fraud_model, stored_version, finished
):
    worker_factory(**IN_PARTS), worker_factory(**IN_PARTS)
    labelled = stored_version(card_transactions(ROWS, seed=5))
    job = finished(evaluation_submit(project=project, model_version=fraud_model, dataset_version=labelled), timeout=120)
    assert job.state == "succeeded", job.error
    parts = list(JobPart.objects.filter(job=job).order_by("index"))
    assert [(part.first_row, part.end_row, part.state) for part in parts] == [
        (0, 1000, "succeeded"), (1000, 2000, "succeeded"), (2000, 3000, "succeeded")]
    assert job.result["job_parts"] == 3 and job.progress == 1.0

    expected = whole_evaluation(fraud_model, labelled)
    assert (job.result["rows"], job.result["rows_read"]) == (expected["rows"], ROWS)
    assert_same_scores(job.result["metrics"], expected["metrics"])
    assert_same_scores(job.result["reports"], expected["reports"])
    points = {point.name: point.value for point in job.metrics.all()}
    assert points == pytest.approx({name: value for name, value in job.result["metrics"].items() if value is not None})

    small = stored_version(card_transactions(300, seed=6))
    small_job = finished(evaluation_submit(project=project, model_version=fraud_model, dataset_version=small),
                         timeout=120)
    assert small_job.state == "succeeded", small_job.error
    assert not JobPart.objects.filter(job=small_job).exists() and "job_parts" not in small_job.result
    assert small_job.result["rows_read"] == 300
