from django.db.models import Max, QuerySet

from indus.registry.models import ModelAlias, ModelVersion, RegisteredModel


def registered_model_list(*, project) -> QuerySet[RegisteredModel]:
    return (
        RegisteredModel.objects.filter(project=project)
        .annotate(latest_version=Max("versions__number"))
        .prefetch_related("aliases__version")
        .order_by("name")  # an aggregate drops the model's default ordering
    )


def model_version_list(*, model: RegisteredModel) -> QuerySet[ModelVersion]:
    return model.versions.select_related("created_by").prefetch_related("aliases").order_by("-number")


def model_alias_list(*, model: RegisteredModel) -> QuerySet[ModelAlias]:
    return model.aliases.select_related("version")


def model_version_by_alias(*, model: RegisteredModel, alias: str) -> ModelVersion | None:
    return ModelVersion.objects.filter(model=model, aliases__name=alias).first()


def model_version_latest(*, model: RegisteredModel) -> ModelVersion | None:
    return model.versions.order_by("-number").first()
