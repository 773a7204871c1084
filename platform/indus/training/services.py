"""Submitting a fine-tuning job: everything that can be checked is checked before it queues."""
import re

import pyarrow.parquet as pa_parquet
from django.conf import settings
from django.core.exceptions import ValidationError

from indus.core.errors import field_error
from indus.core.storage import local_file
from indus.datasets.models import DatasetVersion
from indus.jobs.models import Job
from indus.jobs.services import job_create
from indus.plugins.contract import Task
from indus.plugins.manager import get_registry
from indus.plugins.validation import errors, validate_table
from indus.registry.models import ModelVersion, RegisteredModel
from indus.training.hyperparameters import validate_hyperparameters


def fine_tune_submit(
    *,
    project,
    dataset_version: DatasetVersion,
    task: str,
    model_name: str,
    backbone: str | None = None,
    hyperparameters: dict | None = None,
    parent_version: ModelVersion | None = None,
    processes: int = 1,
    created_by=None,
) -> Job:
    """Queue a fine-tuning job on the `gpu` queue, or raise a ValidationError per bad field."""
    registry = get_registry()
    declared = registry.tasks.get(task)
    if declared is None:
        raise field_error("task", f"no loaded plugin provides task {task!r}", code="unknown_task")
    if dataset_version.dataset.project_id != project.pk:
        raise field_error("dataset_version", "no such dataset version in this project", code="not_found")
    backbone_name = backbone or declared.backbone
    chosen = registry.backbones.get(backbone_name)
    if chosen is None:
        raise field_error(
            "backbone", f"unknown backbone {backbone_name!r}; available: {', '.join(sorted(registry.backbones))}"
        )
    if declared.modality not in chosen.modalities:
        raise field_error("backbone", f"backbone {backbone_name!r} cannot encode {declared.modality} data")
    complete = validate_hyperparameters(hyperparameters or {}, backbone=chosen)
    if not 1 <= processes <= settings.INDUS_MAX_TRAINING_PROCESSES:
        raise field_error("processes", f"must be between 1 and {settings.INDUS_MAX_TRAINING_PROCESSES}")
    _check_model_name(project, model_name, task)
    _check_parent(project, parent_version, task)
    _check_data(declared, dataset_version)
    return job_create(
        project=project,
        kind="fine_tune",
        created_by=created_by,
        spec={
            "task": task,
            "dataset_version_id": dataset_version.pk,
            "model_name": model_name,
            "backbone": backbone_name,
            "hyperparameters": complete,
            "parent_version_id": parent_version.pk if parent_version else None,
            "processes": processes,
        },
    )


MODEL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")


def _check_model_name(project, model_name: str, task: str) -> None:
    # The name becomes part of the artifact path: letters, digits, '.', '_' and '-' only.
    if not isinstance(model_name, str) or not MODEL_NAME.match(model_name) or ".." in model_name:
        raise field_error(
            "model_name", "a model name has 1 to 100 letters, digits, '.', '_' or '-', and starts with a letter or digit"
        )
    existing = RegisteredModel.objects.filter(project=project, name=model_name).first()
    if existing and existing.task != task:
        raise field_error("model_name", f"model {model_name!r} serves task {existing.task!r}, not {task!r}")


def _check_parent(project, parent_version: ModelVersion | None, task: str) -> None:
    if parent_version is None:
        return
    if parent_version.model.project_id != project.pk:
        raise field_error("parent_version", "no such model version in this project", code="not_found")
    if parent_version.model.task != task:
        raise field_error(
            "parent_version", f"a warm start needs a model of task {task!r}, not {parent_version.model.task!r}"
        )


def _check_data(task: Task, dataset_version: DatasetVersion) -> None:
    """The data must fit the task; only the task's columns are read."""
    with local_file(dataset_version.data_path) as path:
        parquet = pa_parquet.ParquetFile(path)
        wanted = [c.name for c in task.columns] + [task.target.column]
        table = parquet.read(columns=[name for name in wanted if name in parquet.schema_arrow.names])
    problems = errors(validate_table(task, table))
    if problems:
        raise ValidationError({"dataset_version": [p.message for p in problems]})
