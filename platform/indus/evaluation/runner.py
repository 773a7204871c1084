"""The `evaluate` job: a model version scored on a labelled dataset version, in the worker process.

Like batch inference it runs inside the worker, through the same runtime and model cache; it
writes no artifact and leaves the model version untouched: the metrics and reports are the
job's result, and each metric is also recorded as a point of the job's metric series.

Over more rows than INDUS_JOB_PART_ROWS it is split into parts as batch inference is
(indus.jobs.parts): each part scores its rows into a mergeable partial (counts, sums,
sketches; not the predictions), stored as the part's result, and the job's worker makes the
metrics of all the rows from the partials, as one pass over them would.
"""
from indus.core.json import NON_FINITE, non_finite_marked, non_finite_restored
from indus.core.storage import local_file, local_folder
from indus.datasets.models import DatasetVersion
from indus.inference.runner import ContextEvents, splits_by_rows, worker_model_cache
from indus.jobs.execution import JobCancelled, JobContext
from indus.jobs.part_execution import PartContext, run_in_parts
from indus.jobs.parts import part_ranges
from indus.registry.models import ModelVersion


def _versions(spec: dict) -> tuple[ModelVersion, DatasetVersion]:
    model_version = ModelVersion.objects.select_related("model__project").get(pk=spec["model_version_id"])
    return model_version, DatasetVersion.objects.select_related("dataset__project").get(pk=spec["dataset_version_id"])


def run_evaluate_job(context: JobContext) -> dict:
    """The whole job on this worker, or, over more rows than INDUS_JOB_PART_ROWS, split into
    parts that the workers of the queue score (`run_evaluate_part`), their partials merged here."""
    from indus_workers.inference.evaluate import EvaluationSpec, evaluate_model, evaluation_result

    model_version, dataset_version = _versions(context.spec)
    ranges = part_ranges(total_rows=dataset_version.row_count)
    if len(ranges) > 1 and splits_by_rows(model_version, dataset_version):
        parts = [non_finite_restored(part) for part in run_in_parts(context, ranges=ranges)]
        with local_folder(model_version.artifact_path) as model_dir:
            task = worker_model_cache().get(model_dir).task
        outcome = {**evaluation_result(task, parts, ContextEvents(context)), "job_parts": len(parts)}
    else:
        with local_folder(model_version.artifact_path) as model_dir, local_file(dataset_version.data_path) as input_path:
            outcome = evaluate_model(
                EvaluationSpec(model_dir=model_dir, input_path=input_path, input_format="parquet"),
                ContextEvents(context),
                cache=worker_model_cache(),
            )
    context.raise_if_cancelled()
    context.log(f"scored {model_version} on {outcome['rows']} rows of {dataset_version}")
    return {**outcome, "model_version_id": model_version.pk, "dataset_version_id": dataset_version.pk}


def run_evaluate_part(context: PartContext) -> dict:
    """One part of an evaluation split into parts: its rows scored into a partial, returned as
    the part's result. A model that scores NaN (a diverged one) leaves NaN in its partial, which
    a PostgreSQL json column refuses: each non-finite number is stored marked
    (`non_finite_marked`) and restored before the merge, so the metrics are those of a job run
    whole, NaN scores included."""
    from indus_workers.inference.evaluate import EvaluationSpec, evaluate_rows

    model_version, dataset_version = _versions(context.spec)
    with local_folder(model_version.artifact_path) as model_dir, local_file(dataset_version.data_path) as input_path:
        outcome = evaluate_rows(
            EvaluationSpec(model_dir=model_dir, input_path=input_path, input_format="parquet"),
            ContextEvents(context),
            first_row=context.first_row, end_row=context.end_row, cache=worker_model_cache(),
        )
    if outcome["stopped"]:
        raise JobCancelled()
    stored = non_finite_marked(outcome)
    if non_finite := str(stored).count(NON_FINITE):
        context.log(f"the model's output holds {non_finite} NaN or infinite number(s); kept for the metrics")
    return stored
