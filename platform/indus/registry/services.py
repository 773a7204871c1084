from django.db import IntegrityError, transaction
from django.db.models import Max

from indus.core.errors import field_error
from indus.plugins.verdict import is_flagged
from indus.registry.models import ModelAlias, ModelVersion, RegisteredModel
from indus.registry.selectors import flagged_message, model_version_verdict
from indus.tenancy.services import audit_entry_create


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


@transaction.atomic
def model_alias_set(
    *, version: ModelVersion, name: str, canary_version: ModelVersion | None = None, canary_percent: int = 0,
    force: bool = False, log_sample_rate: float | None = None, log_max_rows_per_hour: int | None = None,
) -> ModelAlias:
    """Point the alias at `version`; with a canary, `canary_version` answers `canary_percent`
    of the requests served under it (setting an alias without one ends any canary). A version
    no better than a prediction that ignores its inputs is refused unless `force`d; the audit
    entry records a forced one. The request logging settings (`log_*`) are kept when not given:
    moving `production` to a new version does not stop the logging an operator turned on."""
    model = version.model
    for field, candidate in (("version", version), ("canary_version", canary_version)):
        if candidate is not None and not force and is_flagged(model_version_verdict(candidate)):
            raise field_error(field, flagged_message(candidate), code="below_trivial_baseline")
    if canary_version is not None and canary_version.model_id != model.pk:
        raise field_error("canary_version", f"the canary must be a version of model {model.name!r}")
    if canary_version is not None and canary_version.pk == version.pk:
        raise field_error("canary_version", "the canary must be another version than the one the alias points at")
    if canary_version is None and canary_percent:
        raise field_error("canary_percent", "a canary share needs a canary version")
    current = ModelAlias.objects.filter(model=model, name=name).first()
    logging = {
        "log_sample_rate": log_sample_rate if log_sample_rate is not None else current.log_sample_rate if current else 0.0,
        "log_max_rows_per_hour": log_max_rows_per_hour if log_max_rows_per_hour is not None
        else current.log_max_rows_per_hour if current else ModelAlias._meta.get_field("log_max_rows_per_hour").default,
    }
    alias = ModelAlias(model=model, name=name, version=version, canary_version=canary_version, canary_percent=canary_percent,
                       **logging)
    alias.full_clean(validate_unique=False, validate_constraints=False)
    alias, _ = ModelAlias.objects.update_or_create(
        model=model, name=name,
        defaults={"version": version, "canary_version": canary_version, "canary_percent": canary_percent, **logging},
    )
    summary = {"model": model.name, "alias": name, "version": version.number}
    if canary_version is not None:
        summary.update(canary_version=canary_version.number, canary_percent=canary_percent)
    if logging["log_sample_rate"] or (current is not None and current.log_sample_rate):
        summary.update(logging)
    if force and any(is_flagged(model_version_verdict(v)) for v in (version, canary_version) if v is not None):
        summary["forced"] = True
    audit_entry_create(action="model_alias.set", target=model, project=model.project, summary=summary)
    return alias


@transaction.atomic
def model_alias_delete(*, model: RegisteredModel, name: str) -> None:
    deleted, _ = ModelAlias.objects.filter(model=model, name=name).delete()
    if not deleted:
        raise field_error("name", f"model {model.name!r} has no alias {name!r}")
    audit_entry_create(action="model_alias.delete", target=model, project=model.project,
                       summary={"model": model.name, "alias": name})
