from indus.registry.models import ModelVersion, RegisteredModel


def model_version_by_alias(*, model: RegisteredModel, alias: str) -> ModelVersion | None:
    return ModelVersion.objects.filter(model=model, aliases__name=alias).first()


def model_version_latest(*, model: RegisteredModel) -> ModelVersion | None:
    return model.versions.order_by("-number").first()
