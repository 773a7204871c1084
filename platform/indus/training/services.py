"""Submitting a fine-tuning job: everything that can be checked is checked before it queues."""
import re

from django.conf import settings
from django.core.exceptions import ValidationError

from indus.bindings.models import TaskBinding
from indus.bindings.selectors import task_binding_task
from indus.core.errors import field_error
from indus.datasets.models import DatasetVersion
from indus.jobs.models import Job
from indus.jobs.services import job_create
from indus.plugins.contract import Task
from indus.plugins.dataset_validation import errors, validate_stored
from indus.plugins.manager import get_registry
from indus.registry.models import ModelVersion, RegisteredModel
from indus.training.hyperparameters import validate_hyperparameters


def fine_tune_submit(
    *,
    project,
    dataset_version: DatasetVersion,
    model_name: str,
    task: str | None = None,
    binding: TaskBinding | None = None,
    backbone: str | None = None,
    hyperparameters: dict | None = None,
    parent_version: ModelVersion | None = None,
    processes: int = 1,
    created_by=None,
) -> Job:
    """Queue a fine-tuning job on the `gpu` queue, or raise a ValidationError per bad field.
    The task is a plugin's, named by `task`, or the one a `binding` makes of a template and the
    dataset's own columns."""
    spec, _ = fine_tune_checked_spec(
        project=project, dataset_version=dataset_version, model_name=model_name, task=task, binding=binding,
        backbone=backbone, hyperparameters=hyperparameters, parent_version=parent_version, processes=processes,
    )
    return job_create(project=project, kind="fine_tune", created_by=created_by, spec=spec)


def fine_tune_checked_spec(
    *,
    project,
    dataset_version: DatasetVersion,
    model_name: str,
    task: str | None = None,
    binding: TaskBinding | None = None,
    backbone: str | None = None,
    hyperparameters: dict | None = None,
    parent_version: ModelVersion | None = None,
    processes: int = 1,
) -> tuple[dict, Task]:
    """The spec of a fine-tuning job and its task, every input checked (a ValidationError per
    bad field), nothing queued: for the services that launch fine-tuning jobs later (a sweep)."""
    registry = get_registry()
    if dataset_version.dataset.project_id != project.pk:
        raise field_error("dataset_version", "no such dataset version in this project", code="not_found")
    declared = _task(project, task, binding)
    task = declared.name
    backbone_name = backbone or declared.backbone
    chosen = registry.backbones.get(backbone_name)
    if chosen is None:
        raise field_error(
            "backbone", f"unknown backbone {backbone_name!r}; available: {', '.join(sorted(registry.backbones))}"
        )
    if declared.modality not in chosen.modalities:
        raise field_error("backbone", f"backbone {backbone_name!r} cannot encode {declared.modality} data")
    complete = validate_hyperparameters(hyperparameters or {}, backbone=chosen, task=declared)
    if not 1 <= processes <= settings.INDUS_MAX_TRAINING_PROCESSES:
        raise field_error("processes", f"must be between 1 and {settings.INDUS_MAX_TRAINING_PROCESSES}")
    _check_model_name(project, model_name, task)
    _check_parent(project, parent_version, task, declared)
    _check_data(declared, dataset_version)
    spec = {
        "task": task,
        "binding_id": binding.pk if binding else None,
        "dataset_version_id": dataset_version.pk,
        "model_name": model_name,
        "backbone": backbone_name,
        "hyperparameters": complete,
        "parent_version_id": parent_version.pk if parent_version else None,
        "processes": processes,
    }
    return spec, declared


def _task(project, task: str | None, binding: TaskBinding | None) -> Task:
    if (task is None) == (binding is None):
        raise field_error("task", "give a plugin's task or a binding of the dataset's columns, not both or neither")
    if binding is None:
        declared = get_registry().tasks.get(task)
        if declared is None:
            raise field_error("task", f"no loaded plugin provides task {task!r}", code="unknown_task")
        return declared
    if binding.project_id != project.pk:
        raise field_error("binding", "no such task binding in this project", code="not_found")
    bound = task_binding_task(binding)
    if bound is None:
        raise field_error("binding", f"no loaded plugin provides the binding's template {binding.template!r}")
    return bound


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


def _check_parent(project, parent_version: ModelVersion | None, task: str, declared: Task) -> None:
    if parent_version is None:
        return
    if parent_version.model.project_id != project.pk:
        raise field_error("parent_version", "no such model version in this project", code="not_found")
    if parent_version.model.task != task:
        raise field_error(
            "parent_version", f"a warm start needs a model of task {task!r}, not {parent_version.model.task!r}"
        )
    # A template's models differ by their bindings: the weights fit the columns and labels they read.
    parent_task = task_binding_task(parent_version.binding) if parent_version.binding_id else None
    if parent_task is not None and (parent_task.model_columns, parent_task.target) != (declared.model_columns, declared.target):
        raise field_error("parent_version", f"a warm start needs a model trained on the same columns and labels; "
                                            f"version {parent_version.number} was trained with binding {parent_version.binding_id}")


def _check_data(task: Task, dataset_version: DatasetVersion) -> None:
    """The data must fit the task, as far as the version's stored schema and profile show: a
    web request reads no data. What only the values show (labels beyond the profile's top
    values, lists of tags) is checked by the job's first stage, in the worker."""
    problems = errors(validate_stored(task, columns=dataset_version.columns, profile=dataset_version.profile or {}))
    if problems:
        raise ValidationError({"dataset_version": [p.message for p in problems]})
