"""Fine-tuning the real pretrained MiniLM through real worker processes."""
import pytest

from indus.core.storage import artifact_storage
from indus.datasets.models import DatasetVersion
from indus.datasets.services import dataset_generate_sample
from indus.jobs import services as job_services
from indus.registry.models import ModelVersion
from indus.training.services import fine_tune_submit
from tests.support.workers import wait_for

# What training does (quality, warm start, DDP, cancel) is the runtime's: the services change
# none of it; test_api_and_cli and test_sweeps fine-tune on them.
pytestmark = [pytest.mark.e2e, pytest.mark.services_neutral, pytest.mark.django_db(transaction=True)]

TASK = "finance.news_sentiment"
QUICK = {"epochs": 2, "batch_size": 32, "learning_rate": 1e-4, "max_length": 64}


@pytest.fixture
def headlines_version(worker, dataset, finished):
    """600 rows of the finance plugin's sample headlines, made by a `sample` job."""

    def make(seed: int = 1) -> DatasetVersion:
        job = finished(dataset_generate_sample(dataset=dataset, sample="finance.news_headlines", rows=600, seed=seed))
        assert job.state == "succeeded", job.error
        return DatasetVersion.objects.get(pk=job.result["dataset_version_id"])

    return make


def fine_tune(project, version, **options):
    return fine_tune_submit(project=project, dataset_version=version, task=TASK, model_name="news",
                            hyperparameters={**QUICK, **options.pop("hyperparameters", {})}, **options)


def test_fine_tuned_minilm_beats_the_majority_class(worker, project, headlines_version, finished):
    version = headlines_version()
    assert version.source == "sample" and version.row_count == 600
    job = finished(fine_tune(project, version), timeout=600)
    assert job.state == "succeeded", job.error

    model_version = ModelVersion.objects.get(job=job)
    metrics = model_version.metrics
    assert metrics["test_accuracy"] >= metrics["test_majority_class_accuracy"] + 0.15
    assert set(model_version.reports["per_class"]) == {"negative", "neutral", "positive"}
    assert "confusion_matrix" in model_version.reports
    assert "## Intended use" in model_version.model_card
    # Judged, on the worker, against baselines fitted on its own split: TF-IDF for a text task.
    names = [candidate["name"] for candidate in model_version.reports["baselines"]["candidates"]]
    assert names == ["class_shares", "tfidf_logistic_regression"]
    assert model_version.reports["verdict"]["verdict"] in ("beats_classical", "beats_trivial_only")
    assert "## Against the baselines" in model_version.model_card
    assert (model_version.dataset_version, model_version.model.task) == (version, TASK)
    stored = artifact_storage().listdir(model_version.artifact_path)[1]
    assert "model.safetensors" in stored and "indus_model.json" in stored
    assert job.metrics.filter(name="eval_loss").count() == QUICK["epochs"]
    assert job.progress == 1.0


def test_warm_start_from_a_registered_version(worker, project, headlines_version, finished):
    parent_job = finished(fine_tune(project, headlines_version(seed=3), hyperparameters={"epochs": 1}), timeout=600)
    parent = ModelVersion.objects.get(job=parent_job)
    child_job = finished(fine_tune(project, headlines_version(seed=4), parent_version=parent,
                                   hyperparameters={"epochs": 1}), timeout=600)
    assert child_job.state == "succeeded", child_job.error
    child = ModelVersion.objects.get(job=child_job)
    assert (child.parent, child.number, child.model) == (parent, 2, parent.model)
    assert child_job.events.filter(message__startswith="warm start: ").exists()


def test_cancelling_a_fine_tune_stops_it_within_seconds(worker, project, headlines_version, finished):
    job = fine_tune(project, headlines_version(seed=5), hyperparameters={"epochs": 20})
    wait_for(lambda: job.metrics.filter(name="loss").exists() or job.events.filter(message__startswith="training on").exists(),
             timeout=300, message="training to start")
    job_services.job_cancel(job=job)
    job = finished(job, timeout=30)
    assert job.state == "cancelled"
    assert not ModelVersion.objects.filter(job=job).exists()


def test_one_job_trains_as_two_ddp_processes(worker, project, dataset, finished):
    """DDP through torchrun, here as two CPU processes on the gloo backend."""
    sample = finished(dataset_generate_sample(dataset=dataset, sample="finance.card_transactions", rows=2000, seed=1))
    version = DatasetVersion.objects.get(pk=sample.result["dataset_version_id"])
    job = finished(fine_tune_submit(
        project=project, dataset_version=version, task="finance.fraud_detection", model_name="fraud", processes=2,
        hyperparameters={"epochs": 2, "batch_size": 64, "learning_rate": 1e-3, "class_weighting": True},
    ), timeout=600)
    assert job.state == "succeeded", job.error
    assert job.result["processes"] == 2
    model_version = ModelVersion.objects.get(job=job)
    assert model_version.metrics["test_roc_auc"] > 0.7
