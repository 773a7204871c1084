"""The `evaluate` job: a model version scored on a labelled dataset version, in the worker process.

Like batch inference it runs inside the worker, through the same runtime and model cache; it
writes no artifact and leaves the model version untouched: the metrics and reports are the
job's result, and each metric is also recorded as a point of the job's metric series.
"""
from indus.core.storage import local_file, local_folder
from indus.datasets.models import DatasetVersion
from indus.inference.runner import ContextEvents, worker_model_cache
from indus.jobs.execution import JobContext
from indus.registry.models import ModelVersion


def run_evaluate_job(context: JobContext) -> dict:
    from indus_workers.inference.evaluate import EvaluationSpec, evaluate_model

    spec = context.spec
    model_version = ModelVersion.objects.select_related("model__project").get(pk=spec["model_version_id"])
    dataset_version = DatasetVersion.objects.select_related("dataset__project").get(pk=spec["dataset_version_id"])
    with local_folder(model_version.artifact_path) as model_dir, local_file(dataset_version.data_path) as input_path:
        outcome = evaluate_model(
            EvaluationSpec(model_dir=model_dir, input_path=input_path, input_format="parquet"),
            ContextEvents(context),
            cache=worker_model_cache(),
        )
    context.raise_if_cancelled()
    context.log(f"scored {model_version} on {outcome['rows']} rows of {dataset_version}")
    return {**outcome, "model_version_id": model_version.pk, "dataset_version_id": dataset_version.pk}
