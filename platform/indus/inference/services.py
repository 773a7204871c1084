"""Submitting a batch-inference job: the input must fit the model before any compute."""
from django.core.exceptions import ValidationError

from indus.core.errors import field_error
from indus.datasets.models import DatasetVersion
from indus.jobs.models import Job
from indus.jobs.services import job_create
from indus.plugins.contract import TargetKind, Task
from indus.plugins.manager import get_registry
from indus.registry.models import ModelVersion

OUTPUT_FORMATS = ("parquet", "csv", "jsonl")
BAD_ROW_POLICIES = ("fail", "mark")
MAX_EXPLAINED_ROWS = 1000
MAX_BATCH_SIZE = 4096


def batch_inference_submit(
    *,
    project,
    model_version: ModelVersion,
    dataset_version: DatasetVersion,
    output_format: str = "parquet",
    id_column: str | None = None,
    on_bad_rows: str = "fail",
    explain: dict | None = None,
    int8: bool = False,
    batch_size: int = 64,
    created_by=None,
) -> Job:
    """Queue a batch-inference job on the `gpu` queue, or raise a ValidationError per bad field."""
    task = model_version_task(project=project, model_version=model_version, dataset_version=dataset_version)
    if output_format not in OUTPUT_FORMATS:
        raise field_error("output_format", f"must be one of {', '.join(OUTPUT_FORMATS)}")
    if on_bad_rows not in BAD_ROW_POLICIES:
        raise field_error("on_bad_rows", "must be 'fail' (stop before any compute) or 'mark' (an error column per bad row)")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or not 1 <= batch_size <= MAX_BATCH_SIZE:
        raise field_error("batch_size", f"must be a whole number from 1 to {MAX_BATCH_SIZE}")
    explain = _checked_explain(explain)
    columns = {c["name"] for c in dataset_version.columns}
    if id_column is not None and id_column not in columns:
        raise field_error("id_column", f"the dataset has no column {id_column!r}")
    check_columns(dataset_version, model_input_columns(task, model_version))
    return job_create(
        project=project,
        kind="batch_inference",
        created_by=created_by,
        spec={
            "model_version_id": model_version.pk,
            "dataset_version_id": dataset_version.pk,
            "output_format": output_format,
            # The task's id column is copied to the output when the data has it.
            "id_column": id_column or (task.id_column if task.id_column in columns else None),
            "on_bad_rows": on_bad_rows,
            "explain": explain,
            "int8": bool(int8),
            "batch_size": batch_size,
        },
    )


def model_version_task(*, project, model_version: ModelVersion, dataset_version: DatasetVersion) -> Task:
    """The task of a model version that is to run over a dataset version: both must be the
    project's, and a loaded plugin must provide the task; else a ValidationError naming the field."""
    if model_version.model.project_id != project.pk:
        raise field_error("model_version", "no such model version in this project", code="not_found")
    if dataset_version.dataset.project_id != project.pk:
        raise field_error("dataset_version", "no such dataset version in this project", code="not_found")
    task = get_registry().tasks.get(model_version.model.task)
    if task is None:
        raise field_error("model_version", f"the model's task {model_version.model.task!r} is not provided by a loaded plugin")
    return task


def model_input_columns(task: Task, model_version: ModelVersion) -> dict[str, str]:
    """The columns a model reads, each with why the data needs it: the task's required inputs
    and what the featurizer takes besides them (the user or query a ranking is for; a forecast's
    series, time and history), as the worker's `model_input_columns` lists them."""
    target = task.target
    names = [column.name for column in task.inputs if column.required]
    names += [name for name in (target.group_column, target.time_column) if name]
    if target.kind == TargetKind.FORECAST:
        names.append(target.column)
    reads = f"model {model_version.model.name!r} reads it"
    return dict.fromkeys(names, reads)


def check_columns(dataset_version: DatasetVersion, needed: dict[str, str]) -> None:
    """Raise a ValidationError on `dataset_version` naming every needed column (name -> why it
    is needed) that the version lacks; its schema is read from the database, not the file."""
    columns = {c["name"] for c in dataset_version.columns}
    missing = [f"column {name!r} is missing; {why}" for name, why in needed.items() if name not in columns]
    if missing:
        raise ValidationError({"dataset_version": missing})


def _checked_explain(explain: dict | None) -> dict | None:
    if explain is None:
        return None
    if not isinstance(explain, dict) or set(explain) - {"rows", "top"} or len(explain) != 1:
        raise field_error("explain", 'give {"rows": [row numbers]} or {"top": k}')
    if "top" in explain:
        top = explain["top"]
        if isinstance(top, bool) or not isinstance(top, int) or not 1 <= top <= MAX_EXPLAINED_ROWS:
            raise field_error("explain", f"top must be a whole number from 1 to {MAX_EXPLAINED_ROWS}")
        return {"top": top}
    rows = explain["rows"]
    if not isinstance(rows, list) or not rows or len(rows) > MAX_EXPLAINED_ROWS or not all(
        isinstance(r, int) and not isinstance(r, bool) and r >= 0 for r in rows
    ):
        raise field_error("explain", f"rows must be a list of 1 to {MAX_EXPLAINED_ROWS} row numbers (0-based)")
    return {"rows": sorted(set(rows))}
