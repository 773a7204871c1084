"""The `fine_tune` job: train on a dataset version, then register the model version."""
import shutil
from contextlib import ExitStack
from pathlib import Path

from django.conf import settings

from indus.bindings.models import TaskBinding
from indus.bindings.selectors import task_binding_task
from indus.core.storage import local_file, local_folder, store_folder
from indus.datasets.models import DatasetVersion
from indus.jobs.execution import JobContext, JobInputError
from indus.jobs.models import Job
from indus.plugins.dataset_validation import check_parquet_file
from indus.plugins.manager import get_registry
from indus.registry.models import ModelVersion
from indus.registry.services import model_version_create, registered_model_get_or_create
from indus.training.process import run_training_process


def run_fine_tune_job(context: JobContext) -> dict:
    spec = context.spec
    registry = get_registry()
    binding = TaskBinding.objects.filter(pk=spec.get("binding_id")).first() if spec.get("binding_id") else None
    task = task_binding_task(binding) if binding else registry.tasks.get(spec["task"])
    if task is None:
        raise JobInputError(f"task {spec['task']!r} is no longer provided by a loaded plugin")
    head, backbone = registry.heads[task.head], registry.backbones.get(spec["backbone"])
    if backbone is None:
        raise JobInputError(f"backbone {spec['backbone']!r} is no longer provided by a loaded plugin")
    job = Job.objects.select_related("project").get(pk=context.job_id)
    if registered := ModelVersion.objects.filter(job=job).select_related("model").first():
        # An earlier attempt registered the model and died before the job was marked done.
        return _result(registered)
    dataset_version = DatasetVersion.objects.select_related("dataset").get(pk=spec["dataset_version_id"])
    parent = ModelVersion.objects.filter(pk=spec.get("parent_version_id")).first()
    work_dir = Path(settings.INDUS_WORK_DIR) / f"job-{job.pk}"

    with ExitStack() as stack:
        data_path = stack.enter_context(local_file(dataset_version.data_path))
        # The first stage: the submission checked what the stored profile shows; the values decide the rest.
        context.report_progress(0.0, "checking the data against the task")
        check_parquet_file(task, data_path)
        parent_dir = stack.enter_context(local_folder(parent.artifact_path)) if parent else None
        training_spec = {
            "task": task.as_dict(),
            "head": {"name": head.name, "factory": head.factory, "options": {}},
            "backbone": {"name": backbone.name, "factory": backbone.factory, "options": {}},
            "data_path": data_path,
            "output_dir": str(work_dir / "model"),
            "checkpoint_dir": str(work_dir / "checkpoints"),
            "hyperparameters": spec["hyperparameters"],
            "parent_model_dir": parent_dir,
        }
        outcome = run_training_process(context, training_spec, work_dir, processes=spec.get("processes", 1))

    artifact_path = store_folder(work_dir / "model", f"models/{job.project.slug}/{spec['model_name']}/job-{job.pk}")
    model = registered_model_get_or_create(project=job.project, name=spec["model_name"], task=task.name)
    version = model_version_create(
        model=model,
        artifact_path=artifact_path,
        job=job,
        head_spec={"head": head.name, "backbone": backbone.name, "labels": outcome.get("labels", [])},
        hyperparameters=spec["hyperparameters"],
        metrics=outcome["metrics"],
        reports=outcome["reports"],
        model_card=outcome["model_card"],
        dataset_version=dataset_version,
        binding=binding,
        parent=parent,
        created_by=job.created_by,
    )
    # The checkpoints served their purpose: the model is stored and registered.
    shutil.rmtree(work_dir, ignore_errors=True)
    context.log(f"registered {model.name} version {version.number}")
    return {**_result(version), "processes": outcome["processes"]}


def _result(version: ModelVersion) -> dict:
    return {"model_version_id": version.pk, "model": version.model.name, "version": version.number,
            "metrics": version.metrics}
