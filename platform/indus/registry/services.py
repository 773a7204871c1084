from django.db import IntegrityError, transaction
from django.db.models import Max

from indus.core.errors import field_error
from indus.registry.models import ModelAlias, ModelVersion, RegisteredModel


def registered_model_get_or_create(*, project, name: str, task: str) -> RegisteredModel:
    model, created = RegisteredModel.objects.get_or_create(project=project, name=name, defaults={"task": task})
    if not created and model.task != task:
        raise field_error("task", f"model {name!r} serves task {model.task!r}, not {task!r}")
    return model


def model_version_create(*, model: RegisteredModel, artifact_path: str, job=None, **details) -> ModelVersion:
    """Register the next version. A job registers at most one version, however often it runs."""
    if job is not None and (existing := ModelVersion.objects.filter(job=job).first()):
        return existing
    try:
        with transaction.atomic():
            RegisteredModel.objects.select_for_update().filter(pk=model.pk).first()
            last = model.versions.aggregate(last=Max("number"))["last"] or 0
            return ModelVersion.objects.create(
                model=model, number=last + 1, artifact_path=artifact_path, job=job, **details
            )
    except IntegrityError:
        if job is not None:
            return ModelVersion.objects.get(job=job)
        raise


def model_alias_set(*, version: ModelVersion, name: str) -> ModelAlias:
    alias = ModelAlias(model=version.model, name=name, version=version)
    alias.full_clean(validate_unique=False, validate_constraints=False)
    alias, _ = ModelAlias.objects.update_or_create(
        model=version.model, name=name, defaults={"version": version}
    )
    return alias


def model_alias_delete(*, model: RegisteredModel, name: str) -> None:
    deleted, _ = ModelAlias.objects.filter(model=model, name=name).delete()
    if not deleted:
        raise field_error("name", f"model {model.name!r} has no alias {name!r}")
