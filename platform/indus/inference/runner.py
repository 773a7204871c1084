"""The `batch_inference` job: a model version over a dataset version, predictions stored.

It runs inside the worker process (unlike training, which needs torchrun), so the process's
model cache keeps a loaded model between jobs. Parts of the output and the progress file live
in the job's work folder, shared by the workers that may take the job over: a job that
resumes after its worker died continues from its last complete part.
"""
import shutil
from pathlib import Path

from django.conf import settings
from django.core.files import File

from indus.core.storage import artifact_storage, local_file, local_folder
from indus.datasets.models import DatasetVersion
from indus.jobs.execution import JobContext
from indus.registry.models import ModelVersion


class ContextEvents:
    """The runtime's RunEvents, reported straight to the job."""

    def __init__(self, context: JobContext):
        self.context = context

    def progress(self, fraction: float, message: str = "") -> None:
        self.context.report_progress(fraction, message)

    def metric(self, name: str, step: int, value: float) -> None:
        self.context.record_metric(name, step, value)

    def log(self, message: str) -> None:
        self.context.log(message)

    def checkpoint(self, path: str, step: int) -> None:
        self.context.log(f"part {step} written")

    def should_stop(self) -> bool:
        return self.context.should_stop


def worker_model_cache():
    """The worker process's model cache, shared by every job kind that loads a model version,
    so a model that batch inference loaded also serves the next evaluation. Imported on first
    use: importing the runtime imports torch."""
    from indus_workers.inference.cache import shared_cache

    return shared_cache


def run_batch_inference_job(context: JobContext) -> dict:
    from indus_workers.inference.runner import run_inference
    from indus_workers.inference.spec import InferenceSpec

    spec = context.spec
    model_version = ModelVersion.objects.select_related("model__project", "dataset_version").get(pk=spec["model_version_id"])
    dataset_version = DatasetVersion.objects.get(pk=spec["dataset_version_id"])
    work_dir = Path(settings.INDUS_WORK_DIR) / f"job-{context.job_id}"
    output_name = f"predictions.{spec['output_format']}"
    with local_folder(model_version.artifact_path) as model_dir, local_file(dataset_version.data_path) as input_path:
        inference_spec = InferenceSpec(
            model_dir=model_dir,
            input_path=input_path,
            input_format="parquet",
            output_dir=str(work_dir),
            output_path=str(work_dir / output_name),
            output_format=spec["output_format"],
            id_column=spec["id_column"],
            batch_size=spec["batch_size"],
            rows_per_part=settings.INDUS_INFERENCE_ROWS_PER_PART,
            on_bad_rows=spec["on_bad_rows"],
            explain=spec["explain"],
            int8=spec["int8"],
            reference_profile=model_version.dataset_version.profile if model_version.dataset_version else None,
        )
        outcome = run_inference(inference_spec, ContextEvents(context), cache=worker_model_cache())
    context.raise_if_cancelled()
    project = model_version.model.project
    with open(work_dir / output_name, "rb") as predictions:
        stored = artifact_storage().save(f"predictions/{project.slug}/job-{context.job_id}/{output_name}", File(predictions))
    shutil.rmtree(work_dir, ignore_errors=True)
    context.log(f"predicted {outcome['rows']} rows with {model_version}")
    return {**outcome, "output_path": stored, "model_version_id": model_version.pk}
