"""Submitting a batch-inference job: the input must fit the model before any compute."""
from django.core.exceptions import ValidationError

from indus.core.errors import field_error
from indus.datasets.models import DatasetVersion
from indus.jobs.models import Job
from indus.jobs.services import job_create
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
    if model_version.model.project_id != project.pk:
        raise field_error("model_version", "no such model version in this project", code="not_found")
    if dataset_version.dataset.project_id != project.pk:
        raise field_error("dataset_version", "no such dataset version in this project", code="not_found")
    task = get_registry().tasks.get(model_version.model.task)
    if task is None:
        raise field_error("model_version", f"the model's task {model_version.model.task!r} is not provided by a loaded plugin")
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
    missing = [c.name for c in task.inputs if c.required and c.name not in columns]
    if missing:
        raise ValidationError({"dataset_version": [
            f"column {name!r} is missing; model {model_version.model.name!r} reads it" for name in missing
        ]})
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
