from django.db.models import Max, QuerySet

from indus.plugins.verdict import VERDICT_TITLES, Verdict
from indus.registry.models import ModelAlias, ModelVersion, RegisteredModel


def registered_model_list(*, project) -> QuerySet[RegisteredModel]:
    return (
        RegisteredModel.objects.filter(project=project)
        .annotate(latest_version=Max("versions__number"))
        .prefetch_related("aliases__version", "aliases__canary_version")
        .order_by("name")  # an aggregate drops the model's default ordering
    )


def model_version_list(*, model: RegisteredModel) -> QuerySet[ModelVersion]:
    return model.versions.select_related("created_by").prefetch_related("aliases").order_by("-number")


def model_alias_list(*, model: RegisteredModel) -> QuerySet[ModelAlias]:
    return model.aliases.select_related("version", "canary_version")


def model_version_by_alias(*, model: RegisteredModel, alias: str) -> ModelVersion | None:
    return ModelVersion.objects.filter(model=model, aliases__name=alias).first()


def model_version_latest(*, model: RegisteredModel) -> ModelVersion | None:
    return model.versions.order_by("-number").first()


def model_version_overview(*, model: RegisteredModel) -> QuerySet[ModelVersion]:
    """A model's versions, oldest first, with what a side-by-side table shows of each."""
    return (
        model.versions.select_related("dataset_version__dataset", "parent", "job")
        .prefetch_related("aliases")
        .order_by("number")
    )


def model_version_detail(*, versions: QuerySet[ModelVersion], pk) -> ModelVersion | None:
    """One version among `versions` (e.g. those a user may see), with its lineage and aliases."""
    return (
        versions.select_related("model__project", "dataset_version__dataset", "job", "parent", "created_by")
        .prefetch_related("aliases", "children")
        .filter(pk=pk)
        .first()
    )


def model_version_pick(*, versions: QuerySet[ModelVersion], ids: list[int]) -> list[ModelVersion]:
    """The versions among `versions` with these ids, in the order of `ids` (missing ones left out)."""
    found = {
        version.pk: version
        for version in versions.select_related("model", "dataset_version__dataset", "parent")
        .prefetch_related("aliases")
        .filter(pk__in=ids)
    }
    return [found[pk] for pk in ids if pk in found]


def model_version_verdict(version: ModelVersion) -> dict:
    """The verdict its fine-tune job reached against the baselines (indus.plugins.verdict), or
    "unjudged" for a version registered before verdicts existed."""
    verdict = (version.reports or {}).get("verdict")
    return verdict if isinstance(verdict, dict) and "verdict" in verdict else {
        "verdict": Verdict.UNJUDGED.value, "title": VERDICT_TITLES[Verdict.UNJUDGED]}


def model_version_baselines(version: ModelVersion) -> dict:
    """The trivial and classical baselines fitted on the version's own splits, as the worker stored them."""
    baselines = (version.reports or {}).get("baselines")
    return baselines if isinstance(baselines, dict) else {"candidates": []}


def flagged_message(version: ModelVersion) -> str:
    verdict = model_version_verdict(version)
    trivial = verdict.get("trivial") or {}
    return (
        f"version {version.number} does not beat the trivial baseline on {verdict.get('metric')} "
        f"({verdict.get('model')} against {trivial.get('value')} for {trivial.get('name')}); "
        "set force to point an alias at it anyway"
    )
