"""The registry's admin pages beyond Django's rows: versions side by side, a comparison, a
version's reports, aliases and artifact download.

Each view is thin: it finds the version among those the user may see (another project's
version does not exist for them: 404), checks the role the action needs (403), and calls the
registry's services and selectors; `report_tables` shapes stored metrics and reports into
what the templates show.
"""
import copy

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils.safestring import mark_safe
from markdown_it import MarkdownIt

from indus.core.zip_download import zip_folder_response
from indus.plugins.verdict import is_flagged
from indus.registry.baseline_report import baseline_context
from indus.registry.forms import ALIAS_SUGGESTIONS, AliasForm
from indus.registry.models import ModelVersion, RegisteredModel
from indus.registry.report_tables import (
    PER_CLASS_SCORES,
    average_rows,
    confusion_matrix,
    is_number,
    metric_rows,
    other_reports,
    per_class_rows,
    show,
    task_metric_names,
    version_metric_rows,
)
from indus.registry.selectors import (
    model_alias_list,
    model_version_by_alias,
    model_version_detail,
    model_version_overview,
    model_version_pick,
    model_version_verdict,
)
from indus.registry.services import model_alias_delete, model_alias_set
from indus.registry.serving_snippets import serving_context
from indus.tenancy.models import Role
from indus.tenancy.selectors import user_has_role

# --- The model card ----------------------------------------------------------------------------

# CommonMark with tables, and no raw HTML: a card's "<script>" is shown as text, never run.
_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable("table")


def render_model_card(text: str) -> str:
    """The card's Markdown as HTML, each heading one level down: the page has its own title."""
    tokens = _MARKDOWN.parse(text or "")
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(int(token.tag[1]) + 1, 6)}"
    return mark_safe(_MARKDOWN.renderer.render(tokens, _MARKDOWN.options, {}))  # noqa: S308 - no raw HTML


# --- Pages ------------------------------------------------------------------------------------


def _admin_url(name: str, *args) -> str | None:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def _version_or_404(model_admin, request, object_id) -> ModelVersion:
    try:
        pk = int(object_id)
    except (TypeError, ValueError):
        raise Http404("no such model version") from None
    version = model_version_detail(versions=model_admin.get_queryset(request), pk=pk)
    if version is None:
        raise Http404("no such model version")
    return version


def _require_role(request, version: ModelVersion, role: Role) -> None:
    if not user_has_role(user=request.user, project=version.model.project, required=role):
        raise PermissionDenied(f"this needs the {role.value} role in project {version.model.project.slug}")


def _as_get(request):
    """The same request as a GET, to show a page again after a refused POST."""
    shown = copy.copy(request)
    shown.method = "GET"
    return shown


def version_page_context(request, version: ModelVersion) -> dict:
    project = version.model.project
    task_metrics = task_metric_names(version.model.task)
    metrics, baseline = version_metric_rows(version, task_metrics)
    launch = _admin_url("admin:jobs_job_launch_batch_inference")
    evaluate = _admin_url("admin:jobs_job_launch_evaluate")
    may_edit = user_has_role(user=request.user, project=project, required=Role.EDITOR)
    return {
        **baseline_context(version, task_metrics),
        "version": version,
        "version_metrics": metrics,
        "baseline": baseline,
        "baseline_strategy": ", ".join(
            f"{key} {show(value)}" for key, value in baseline.items() if not is_number(value)
        ),
        "per_class": per_class_rows(version.reports),
        "averages": average_rows(version.reports),
        "confusion": confusion_matrix(version.reports),
        "other_reports": other_reports(version.reports),
        "model_card_html": render_model_card(version.model_card) if version.model_card else "",
        "hyperparameters": sorted((version.hyperparameters or {}).items()),
        "head_spec": sorted((version.head_spec or {}).items()),
        "lineage": {
            "dataset_version": version.dataset_version,
            "dataset_version_url": version.dataset_version_id
            and _admin_url("admin:datasets_datasetversion_change", version.dataset_version_id),
            "job": version.job,
            "job_url": version.job_id and _admin_url("admin:jobs_job_change", version.job_id),
            "parent": version.parent,
            "parent_url": version.parent_id and _admin_url("admin:registry_modelversion_change", version.parent_id),
            "children": [
                (child, _admin_url("admin:registry_modelversion_change", child.pk))
                for child in sorted(version.children.all(), key=lambda child: child.number)
            ],
        },
        "model_url": _admin_url("admin:registry_registeredmodel_change", version.model_id),
        "version_aliases": sorted(alias.name for alias in version.aliases.all()),
        "may_set_alias": user_has_role(user=request.user, project=project, required=Role.OWNER),
        "alias_form": AliasForm(),
        "alias_suggestions": sorted(
            set(ALIAS_SUGGESTIONS) | {alias.name for alias in model_alias_list(model=version.model)}
        ),
        "download_url": reverse("admin:registry_modelversion_download", args=[version.pk]),
        "launch_batch_inference_url": f"{launch}?model_version={version.pk}" if launch and may_edit else None,
        "launch_evaluate_url": f"{evaluate}?model_version={version.pk}" if evaluate and may_edit else None,
        "serving": serving_context(version),
    }


def model_page_context(model: RegisteredModel) -> dict:
    versions = list(model_version_overview(model=model))
    return {
        "overview_versions": [
            {
                "version": version,
                "url": reverse("admin:registry_modelversion_change", args=[version.pk]),
                "aliases": sorted(alias.name for alias in version.aliases.all()),
                "verdict": model_version_verdict(version),
                "flagged": is_flagged(model_version_verdict(version)),
            }
            for version in versions
        ],
        "overview_metrics": metric_rows(versions, task_metric_names(model.task)),
        "compare_url": reverse("admin:registry_modelversion_compare"),
    }


def parse_version_ids(values: list[str]) -> list[int] | None:
    """`?versions=3,5` (or `?versions=3&versions=5`, as a plain form sends it) as distinct ids
    in their order; None when one is not a number."""
    ids = []
    for value in values:
        for part in value.split(","):
            if not part.strip():
                continue
            try:
                pk = int(part)
            except ValueError:
                return None
            if pk not in ids:
                ids.append(pk)
    return ids


def compare_view(model_admin, request):
    context = {**model_admin.admin_site.each_context(request), "opts": ModelVersion._meta,
               "title": "Compare model versions"}
    ids = parse_version_ids(request.GET.getlist("versions"))
    if ids is None:
        context["error"] = "The versions to compare are given by their ids, e.g. ?versions=3,5."
        return TemplateResponse(request, "admin/registry/modelversion/compare.html", context, status=400)
    versions = model_version_pick(versions=model_admin.get_queryset(request), ids=ids)
    if len(versions) < len(ids):
        raise Http404("no such model version")  # one of them is another project's, or gone
    models = {version.model_id: version.model for version in versions}
    if len(versions) < 2:
        context["error"] = "Pick two or more versions of one registered model to compare them."
    elif len(models) > 1:
        context["error"] = (
            "Only versions of the same registered model can be compared; these belong to "
            + ", ".join(sorted(model.name for model in models.values())) + "."
        )
    if "error" in context:
        return TemplateResponse(request, "admin/registry/modelversion/compare.html", context, status=400)

    model = versions[0].model
    hyperparameter_names = sorted(set().union(*((version.hyperparameters or {}).keys() for version in versions)))
    differing = []
    for name in hyperparameter_names:
        values = [(version.hyperparameters or {}).get(name) for version in versions]
        if any(value != values[0] for value in values):
            differing.append({"name": name, "values": ["—" if value is None else str(value) for value in values]})
    labels = []
    for version in versions:
        for label in ((version.reports or {}).get("per_class") or {}):
            if label not in labels:
                labels.append(label)
    per_class = [
        {
            "label": label,
            "cells": [
                show((((version.reports or {}).get("per_class") or {}).get(label) or {}).get(score))
                for version in versions
                for score in PER_CLASS_SCORES
            ],
        }
        for label in labels
    ]
    context.update({
        "title": f"Compare versions of {model.name}",
        "model": model,
        "model_url": reverse("admin:registry_registeredmodel_change", args=[model.pk]),
        "versions": [
            {"version": version, "url": reverse("admin:registry_modelversion_change", args=[version.pk]),
             "aliases": sorted(alias.name for alias in version.aliases.all()),
             "confusion": confusion_matrix(version.reports)}
            for version in versions
        ],
        "metrics": metric_rows(versions, task_metric_names(model.task), with_difference=True),
        "differing_hyperparameters": differing,
        "same_hyperparameters": len(hyperparameter_names) - len(differing),
        "per_class": per_class,
        "per_class_scores": PER_CLASS_SCORES,
    })
    return TemplateResponse(request, "admin/registry/modelversion/compare.html", context)


def alias_set_view(model_admin, request, object_id):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    version = _version_or_404(model_admin, request, object_id)
    _require_role(request, version, Role.OWNER)
    form = AliasForm(request.POST)
    if form.is_valid():
        name = form.cleaned_data["alias"]
        before = model_version_by_alias(model=version.model, alias=name)
        canary_number = form.cleaned_data.get("canary_version")
        canary = version.model.versions.filter(number=canary_number).first() if canary_number else None
        try:
            if canary_number and canary is None:
                raise ValidationError({"canary_version": f"model {version.model.name!r} has no version {canary_number}"})
            model_alias_set(version=version, name=name, force=form.cleaned_data["force"], canary_version=canary,
                            canary_percent=form.cleaned_data.get("canary_percent") or 0,
                            log_sample_rate=form.cleaned_data.get("log_sample_rate"),
                            log_max_rows_per_hour=form.cleaned_data.get("log_max_rows_per_hour"))
        except ValidationError as error:
            form.add_service_error(error)
        else:
            if before is None:
                message = f"Alias “{name}” now points at version {version.number}."
            elif before.pk == version.pk:
                message = f"Alias “{name}” already pointed at version {version.number}."
            else:
                message = f"Alias “{name}” moved from version {before.number} to version {version.number}."
            messages.success(request, message)
            return HttpResponseRedirect(reverse("admin:registry_modelversion_change", args=[version.pk]))
    return model_admin.change_view(_as_get(request), str(version.pk), extra_context={"alias_form": form})


def alias_remove_view(model_admin, request, object_id):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    version = _version_or_404(model_admin, request, object_id)
    _require_role(request, version, Role.OWNER)
    name = request.POST.get("name", "")
    if not version.aliases.filter(name=name).exists():
        messages.error(request, f"Version {version.number} has no alias “{name}”.")
    else:
        try:
            model_alias_delete(model=version.model, name=name)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, f"Alias “{name}” removed.")
    return HttpResponseRedirect(reverse("admin:registry_modelversion_change", args=[version.pk]))


def download_view(model_admin, request, object_id):
    version = _version_or_404(model_admin, request, object_id)
    _require_role(request, version, Role.VIEWER)
    return zip_folder_response(version.artifact_path, f"{version.model.name}-v{version.number}.zip")
