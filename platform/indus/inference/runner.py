"""The `batch_inference` job: a model version over a dataset version, predictions stored.

It runs inside the worker process (unlike training, which needs torchrun), so the process's
model cache keeps a loaded model between jobs. Parts of the output and the progress file live
in the job's work folder, shared by the workers that may take the job over: a job that
resumes after its worker died continues from its last complete part. A job over many rows is
split into parts (indus.jobs.parts) that several workers compute, each in its own folder there.
"""
import shutil
import time
from pathlib import Path

from django.conf import settings
from django.core.files import File

from indus.core.storage import artifact_storage, local_file, local_folder
from indus.datasets.models import DatasetVersion
from indus.inference.services import model_version_task
from indus.jobs.execution import JobContext
from indus.jobs.part_execution import PartContext, run_in_parts
from indus.jobs.parts import part_ranges
from indus.plugins.contract import TargetKind
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


def _inference_spec(spec: dict, model_dir: str, input_path: str, output_dir: Path, output_path: Path,
                    model_version: ModelVersion, **rows):
    from indus_workers.inference.spec import InferenceSpec

    return InferenceSpec(
        model_dir=model_dir,
        input_path=input_path,
        input_format="parquet",
        output_dir=str(output_dir),
        output_path=str(output_path),
        output_format=spec["output_format"],
        id_column=spec["id_column"],
        batch_size=spec["batch_size"],
        rows_per_part=settings.INDUS_INFERENCE_ROWS_PER_PART,
        on_bad_rows=spec["on_bad_rows"],
        explain=spec["explain"],
        int8=spec["int8"],
        reference_profile=model_version.dataset_version.profile if model_version.dataset_version else None,
        **rows,
    )


def _versions(spec: dict) -> tuple[ModelVersion, DatasetVersion]:
    model_version = ModelVersion.objects.select_related("model__project", "dataset_version").get(pk=spec["model_version_id"])
    return model_version, DatasetVersion.objects.get(pk=spec["dataset_version_id"])


def _work_dir(job_id: int) -> Path:
    return Path(settings.INDUS_WORK_DIR) / f"job-{job_id}"


def _part_folder(index: int) -> str:
    return f"part-{index:05d}"


def run_batch_inference_job(context: JobContext) -> dict:
    """The whole job on this worker, or, over more rows than INDUS_JOB_PART_ROWS, split into
    parts that the workers of the queue compute (`run_batch_inference_part`) and joined here."""
    started = time.perf_counter()
    spec = context.spec
    model_version, dataset_version = _versions(spec)
    work_dir = _work_dir(context.job_id)
    output_name = f"predictions.{spec['output_format']}"
    ranges = part_ranges(total_rows=dataset_version.row_count, align=settings.INDUS_INFERENCE_ROWS_PER_PART)
    with local_folder(model_version.artifact_path) as model_dir, local_file(dataset_version.data_path) as input_path:
        inference_spec = _inference_spec(spec, model_dir, input_path, work_dir, work_dir / output_name, model_version)
        if len(ranges) > 1 and splits_by_rows(model_version, dataset_version):
            part_results = run_in_parts(context, ranges=ranges)
            from indus_workers.inference.runner import assemble_parts

            outcome = assemble_parts(inference_spec, part_results, ContextEvents(context), cache=worker_model_cache(),
                                     seconds=time.perf_counter() - started)
        else:
            from indus_workers.inference.runner import run_inference

            outcome = run_inference(inference_spec, ContextEvents(context), cache=worker_model_cache())
    context.raise_if_cancelled()
    project = model_version.model.project
    with open(work_dir / output_name, "rb") as predictions:
        stored = artifact_storage().save(f"predictions/{project.slug}/job-{context.job_id}/{output_name}", File(predictions))
    shutil.rmtree(work_dir, ignore_errors=True)
    context.log(f"predicted {outcome['rows']} rows with {model_version}")
    return {**outcome, "output_path": stored, "model_version_id": model_version.pk}


def splits_by_rows(model_version: ModelVersion, dataset_version: DatasetVersion) -> bool:
    """Whether the model reads its data row by row, so that rows can be split between workers (a
    forecast needs all the rows of its series), for batch inference and evaluation alike. Known
    from the task, before the model is loaded: the other workers are asked for at once, and load
    it while this one does."""
    task = model_version_task(project=model_version.model.project, model_version=model_version,
                              dataset_version=dataset_version)
    return task.target.kind != TargetKind.FORECAST


def run_batch_inference_part(context: PartContext) -> dict:
    """One part of a job split into parts: its rows predicted into output parts in the part's own
    folder of the job's work folder (shared by the workers), which `assemble_parts` joins."""
    from indus_workers.inference.runner import run_inference_part

    model_version, dataset_version = _versions(context.spec)
    work_dir = _work_dir(context.job_id)
    folder = _part_folder(context.index)
    with local_folder(model_version.artifact_path) as model_dir, local_file(dataset_version.data_path) as input_path:
        inference_spec = _inference_spec(context.spec, model_dir, input_path, work_dir / folder, work_dir / "unused",
                                         model_version, first_row=context.first_row, end_row=context.end_row)
        outcome = run_inference_part(inference_spec, ContextEvents(context), cache=worker_model_cache())
    context.raise_if_cancelled()
    # Named from the job's work folder, where the job's worker joins them.
    return {**outcome, "files": [{**written, "file": f"{folder}/{written['file']}"} for written in outcome["files"]]}
