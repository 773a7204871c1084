"""Workers killed in the middle of ML jobs. Each test starts its own workers, so the job is
certainly held by the worker it kills."""
import io
import os
import signal
from pathlib import Path

import pyarrow.parquet as pa_parquet
import pytest

from indus.core.storage import artifact_storage
from indus.datasets.models import DatasetVersion
from indus.datasets.services import dataset_generate_sample
from indus.inference.services import batch_inference_submit
from indus.registry.models import ModelVersion
from indus.training.services import fine_tune_submit
from tests.support.workers import wait_for

# Resuming ML work after a SIGKILL (checkpoints, parts, DDP processes) is the runtime's; the
# lease and redelivery after a kill are the services' and test_worker_failures runs them there.
pytestmark = [pytest.mark.e2e, pytest.mark.services_neutral, pytest.mark.django_db(transaction=True)]


def test_killed_worker_resumes_training_from_its_checkpoint(
    worker_factory, replace_killed_worker, project, dataset, finished
):
    first_worker = worker_factory()
    sample = finished(dataset_generate_sample(dataset=dataset, sample="finance.news_headlines", rows=600, seed=2))
    version = DatasetVersion.objects.get(pk=sample.result["dataset_version_id"])
    job = fine_tune_submit(project=project, dataset_version=version, task="finance.news_sentiment", model_name="news",
                           hyperparameters={"epochs": 2, "batch_size": 32, "learning_rate": 1e-4, "max_length": 64,
                                            "checkpoint_every_steps": 4})
    wait_for(lambda: job.events.filter(message="checkpoint saved at step 4").exists(), timeout=300,
             message="the first checkpoint")
    replace_killed_worker(first_worker, job)
    job = finished(job, timeout=600)
    assert job.state == "succeeded", job.error
    assert job.attempts == 2
    messages = list(job.events.values_list("message", flat=True))
    assert any(m.startswith("resuming from checkpoint-") and m != "resuming from checkpoint-0" for m in messages)
    assert ModelVersion.objects.filter(job=job).count() == 1
    assert ModelVersion.objects.filter(model__name="news").count() == 1


def test_killed_worker_inference_resumes_with_each_row_once(
    worker_factory, replace_killed_worker, project, intent_model, sample_version, finished
):
    first_worker = worker_factory()
    model_version = intent_model()
    incoming = sample_version("support-big", "retail.support_messages", 4000, 11)
    job = batch_inference_submit(project=project, model_version=model_version, dataset_version=incoming)
    wait_for(lambda: job.events.filter(message="part 1 written").exists(), timeout=300, message="the first part")
    replace_killed_worker(first_worker, job)
    job = finished(job, timeout=600)
    assert job.state == "succeeded", job.error
    assert job.attempts == 2 and job.result["resumed_from_part"]
    with artifact_storage().open(job.result["output_path"], "rb") as stored:
        ids = pa_parquet.read_table(io.BytesIO(stored.read())).column("ticket_id").to_pylist()
    assert len(ids) == 4000 and len(set(ids)) == 4000


def training_processes(job) -> list[int]:
    """The processes running this job's training (the torchrun agent and its ranks): each names
    a file of the job's work folder on its command line."""
    marker = f"job-{job.pk}{os.sep}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes()
            except OSError:  # ended meanwhile
                continue
            if b"indus_workers.training" in command and marker in command:
                found.append(int(entry.name))
    return found


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads processes from /proc (Linux)")
def test_a_killed_worker_takes_every_ddp_training_process_with_it(worker_factory, project, dataset, finished):
    worker = worker_factory()
    sample = finished(dataset_generate_sample(dataset=dataset, sample="finance.card_transactions", rows=2000, seed=1))
    version = DatasetVersion.objects.get(pk=sample.result["dataset_version_id"])
    job = fine_tune_submit(project=project, dataset_version=version, task="finance.fraud_detection", model_name="fraud",
                           processes=2, hyperparameters={"epochs": 200, "batch_size": 64, "learning_rate": 1e-3})
    wait_for(lambda: len(training_processes(job)) >= 3 and job.metrics.exists(), timeout=300,
             message="the torchrun agent and its two ranks to train")
    worker.kill()
    try:
        # torchrun's ranks are the agent's children, not the worker's: they must go too, or
        # they would race the attempt that replaces this one.
        wait_for(lambda: not training_processes(job), timeout=20, message="the training processes to end with their worker")
    finally:
        for pid in training_processes(job):  # a failed test must not leave them training
            os.kill(pid, signal.SIGKILL)
