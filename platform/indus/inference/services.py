"""Submitting a batch-inference job: the input must fit the model before any compute."""
from django.core.exceptions import ValidationError

from indus.bindings.selectors import task_binding_task
from indus.core.errors import field_error
from indus.datasets.models import DatasetVersion
from indus.inference.kind import BATCH_INFERENCE, MAX_EXPLAINED_ROWS
from indus.jobs.models import Job
from indus.jobs.services import job_create
from indus.plugins.contract import Task
from indus.plugins.dataset_validation import COLUMN_TYPES, arrow_type_named
from indus.plugins.job_kind import InputError
from indus.plugins.manager import get_registry
from indus.registry.models import ModelVersion

DEFAULTS = BATCH_INFERENCE.defaults()


def batch_inference_submit(
    *,
    project,
    model_version: ModelVersion,
    dataset_version: DatasetVersion,
    output_format: str = DEFAULTS["output_format"],
    id_column: str | None = DEFAULTS["id_column"],
    on_bad_rows: str = DEFAULTS["on_bad_rows"],
    explain: dict | None = DEFAULTS["explain"],
    int8: bool = DEFAULTS["int8"],
    batch_size: int = DEFAULTS["batch_size"],
    created_by=None,
) -> Job:
    """Queue a batch-inference job on the `gpu` queue, or raise a ValidationError per bad field."""
    task = model_version_task(project=project, model_version=model_version, dataset_version=dataset_version)
    try:
        BATCH_INFERENCE.checked({"output_format": output_format, "on_bad_rows": on_bad_rows,
                                 "batch_size": batch_size, "int8": int8, "id_column": id_column})
    except InputError as error:
        raise ValidationError(error.problems) from None
    explain = _checked_explain(explain)
    columns = {c["name"] for c in dataset_version.columns}
    if id_column is not None and id_column not in columns:
        raise field_error("id_column", f"the dataset has no column {id_column!r}")
    check_columns(dataset_version, model_input_columns(task, model_version), task)
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
    if model_version.binding_id is not None:
        # Trained on the user's own columns: the task is the one its binding made.
        task = task_binding_task(model_version.binding)
        if task is None:
            raise field_error("model_version", f"the template {model_version.binding.template!r} of the model's "
                                               "binding is not provided by a loaded plugin")
        return task
    task = get_registry().tasks.get(model_version.model.task)
    if task is None:
        raise field_error("model_version", f"the model's task {model_version.model.task!r} is not provided by a loaded plugin")
    return task


def model_input_columns(task: Task, model_version: ModelVersion) -> dict[str, str]:
    """The columns the data must have for the model, each with why: the required ones of
    `Task.model_columns`, the definition the worker reads the file by."""
    reads = f"model {model_version.model.name!r} reads it"
    return {column.name: reads for column in task.model_columns if column.required}


def check_columns(dataset_version: DatasetVersion, needed: dict[str, str], task: Task | None = None) -> None:
    """Raise a ValidationError on `dataset_version` naming every needed column (name -> why it
    is needed) that the version lacks, and with `task`, every column the model reads that holds
    values of another type than it was trained on (a number column now text); the schema is
    read from the database, not the file."""
    columns = {c["name"]: c["type"] for c in dataset_version.columns}
    problems = [f"column {name!r} is missing; {why}" for name, why in needed.items() if name not in columns]
    for column in task.model_columns if task is not None else ():
        stored = arrow_type_named(columns[column.name]) if column.name in columns else None
        accepts, described = COLUMN_TYPES[column.type]
        if stored is not None and not accepts(stored):
            problems.append(f"column {column.name!r} holds {columns[column.name]} values; the model reads it as "
                            f"{column.type} and needs {described}")
    if problems:
        raise ValidationError({"dataset_version": problems})


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
