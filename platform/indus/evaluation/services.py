"""Submitting an evaluate job: the model and the labelled data must fit before it is queued."""
from indus.datasets.models import DatasetVersion
from indus.inference.services import check_columns, model_input_columns, model_version_task
from indus.jobs.models import Job
from indus.jobs.services import job_create
from indus.registry.models import ModelVersion


def evaluation_submit(*, project, model_version: ModelVersion, dataset_version: DatasetVersion, created_by=None) -> Job:
    """Queue a job on the `gpu` queue that scores the model version on the dataset version's
    labelled rows (its metrics and reports go to the job's result; the model version is left
    as it is), or raise a ValidationError per bad field."""
    task = model_version_task(project=project, model_version=model_version, dataset_version=dataset_version)
    needed = model_input_columns(task, model_version)
    needed.setdefault(task.target.column, f"it holds the {task.target.kind} target the model is scored against")
    check_columns(dataset_version, needed, task)
    return job_create(
        project=project,
        kind="evaluate",
        created_by=created_by,
        spec={"model_version_id": model_version.pk, "dataset_version_id": dataset_version.pk},
    )
