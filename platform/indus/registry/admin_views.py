"""The registry's admin pages beyond Django's rows: versions side by side, a comparison, a
version's reports, aliases and artifact download.

Each view is thin: it finds the version among those the user may see (another project's
version does not exist for them: 404), checks the role the action needs (403), and calls the
registry's services and selectors. The functions without a request shape stored metrics and
reports into what the templates show.
"""
import copy
import json
import re

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils.html import escape
from django.utils.safestring import mark_safe

from indus.api.audit import record_change
from indus.api.downloads import zip_folder_response
from indus.registry.forms import ALIAS_SUGGESTIONS, AliasForm
from indus.registry.models import ModelVersion, RegisteredModel
from indus.registry.selectors import (
    model_alias_list,
    model_version_by_alias,
    model_version_detail,
    model_version_overview,
    model_version_pick,
)
from indus.registry.services import model_alias_delete, model_alias_set
from indus.tenancy.models import Role
from indus.tenancy.selectors import user_has_role

# Metrics where a smaller value is the better one; the others are better larger, except the
# NEUTRAL ones, which have no better direction (a bias is best near 0, a coverage near nominal).
LOWER_IS_BETTER = re.compile(r"(^|_)(loss|mae|mse|rmse|mape|error|perplexity|levels|crossing_share)(_|$)")
NEUTRAL = {"bias", "coverage", "nominal_coverage", "mean_interval_width", "rows"}
PER_CLASS_SCORES = ("precision", "recall", "f1", "support")


# --- Presentation of stored metrics and reports -----------------------------------------------


def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def show(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        # 4 decimals for scores; small or huge numbers (a learning rate) keep their digits.
        return f"{value:.4f}" if value == 0 or 1e-3 <= abs(value) < 1e6 else f"{value:.4g}"
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    return str(value)


def metric_label(name: str) -> str:
    return name.removeprefix("test_")


def better_direction(name: str) -> int:
    """+1 when larger is better, -1 when smaller is, 0 when neither."""
    label = metric_label(name)
    if label in NEUTRAL:
        return 0
    return -1 if LOWER_IS_BETTER.search(label) else 1


def task_metric_names(task_name: str) -> tuple[str, ...]:
    from indus.plugins.manager import get_registry

    task = get_registry().tasks.get(task_name)
    return tuple(task.metrics) if task else ()


def ordered_metric_names(all_metrics: list[dict], task_metrics: tuple[str, ...]) -> list[str]:
    """Every metric name any version stores: the task's declared metrics first, then the rest."""
    present = set().union(*(metrics.keys() for metrics in all_metrics)) if all_metrics else set()
    first = []
    for name in task_metrics:
        for key in (f"test_{name}", name):
            if key in present and key not in first:
                first.append(key)
    return first + sorted(present - set(first))


def best_value(name: str, values: list):
    """The best of the row's numbers, or None when there is no contest (fewer than two numbers,
    all equal, or a metric without a better direction)."""
    numbers = [value for value in values if is_number(value)]
    direction = better_direction(name)
    if direction == 0 or len(numbers) < 2 or len(set(numbers)) == 1:
        return None
    return max(numbers) if direction > 0 else min(numbers)


def metric_rows(
    versions: list[ModelVersion], task_metrics: tuple[str, ...], *, with_difference: bool = False
) -> list[dict]:
    """One row per metric, one cell per version; the best value of a row is flagged, and with
    `with_difference` each cell after the first says how far it is from the first version."""
    task_metrics = tuple(task_metrics)
    declared = {f"test_{name}" for name in task_metrics} | set(task_metrics)
    rows = []
    for name in ordered_metric_names([version.metrics or {} for version in versions], task_metrics):
        values = [(version.metrics or {}).get(name) for version in versions]
        best = best_value(name, values)
        reference = values[0] if values else None
        cells = []
        for index, value in enumerate(values):
            cell = {"text": show(value), "best": best is not None and value == best}
            if with_difference and index > 0 and is_number(value) and is_number(reference):
                difference = value - reference
                direction = better_direction(name)
                cell["difference"] = f"{difference:+.4f}"
                cell["trend"] = (
                    "same" if difference == 0 or direction == 0
                    else "better" if difference * direction > 0 else "worse"
                )
            cells.append(cell)
        rows.append({"name": name, "label": metric_label(name), "declared": name in declared, "cells": cells})
    return rows


def baseline_value(baseline: dict, name: str):
    """The baseline's score for a metric: stored under the metric's name (accuracy) or as
    `<name>_of_<statistic>` (mae_of_median)."""
    label = metric_label(name)
    if label in baseline:
        return baseline[label]
    return next((value for key, value in baseline.items() if key.startswith(f"{label}_of_")), None)


def version_metric_rows(version: ModelVersion, task_metrics) -> tuple[list[dict], dict]:
    baseline = (version.reports or {}).get("baseline")
    baseline = baseline if isinstance(baseline, dict) else {}
    rows = []
    for row in metric_rows([version], task_metrics):
        value = (version.metrics or {}).get(row["name"])
        row["value"] = row["cells"][0]["text"]
        reference = baseline_value(baseline, row["name"]) if baseline else None
        row["baseline"] = show(reference) if reference is not None else ""
        if is_number(value) and is_number(reference):
            direction = better_direction(row["name"])
            row["versus_baseline"] = f"{value - reference:+.4f}"
            row["beats_baseline"] = direction != 0 and (value - reference) * direction > 0
        rows.append(row)
    return rows, baseline


def per_class_rows(reports: dict) -> list[dict]:
    per_class = (reports or {}).get("per_class")
    if not isinstance(per_class, dict):
        return []
    return [
        {"label": label,
         "scores": [show(scores.get(score)) if isinstance(scores, dict) else "—" for score in PER_CLASS_SCORES]}
        for label, scores in per_class.items()
    ]


def average_rows(reports: dict) -> list[dict]:
    averages = (reports or {}).get("averages")
    if not isinstance(averages, dict):
        return []
    return [
        {"label": f"{kind} average", "scores": [show(scores.get(score)) for score in PER_CLASS_SCORES]}
        for kind, scores in averages.items()
        if isinstance(scores, dict)
    ]


def confusion_matrix(reports: dict) -> dict | None:
    """The stored confusion matrix (rows: true class, columns: predicted) with each cell's share
    of its row, which colours it; None when the version stores none or a malformed one."""
    stored = (reports or {}).get("confusion_matrix")
    if not isinstance(stored, dict):
        return None
    labels, matrix = stored.get("labels") or [], stored.get("matrix") or []
    if not matrix or len(matrix) != len(labels) or any(len(row) != len(labels) for row in matrix):
        return None
    rows = []
    for label, counts in zip(labels, matrix):
        total = sum(counts)
        cells = []
        for predicted, count in zip(labels, counts):
            share = count / total if total else 0.0
            cells.append({
                "count": count,
                "share": share,
                "percent": f"{share:.0%}",
                "diagonal": predicted == label,
                # Django admin's blue, as opaque as the share; light text on dark cells.
                "style": f"background-color: rgba(65, 118, 144, {share:.3f}); "
                         f"color: {'#fff' if share > 0.5 else 'inherit'};",
            })
        rows.append({"label": str(label), "cells": cells, "total": total})
    return {"labels": [str(label) for label in labels], "rows": rows}


RENDERED_REPORTS = {"per_class", "averages", "confusion_matrix", "baseline"}


def other_reports(reports: dict) -> str:
    rest = {key: value for key, value in (reports or {}).items() if key not in RENDERED_REPORTS}
    return json.dumps(rest, indent=2, sort_keys=True) if rest else ""


# --- The model card: Markdown shown safely without a Markdown package ---------------------------

_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")
_TABLE_RULE = re.compile(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?$")


def _inline(text: str) -> str:
    """Escape, then turn `code` spans and **bold** into HTML: nothing of the text is markup."""
    escaped = escape(text)
    escaped = re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped)
    return re.sub(r"\*\*([^*]+)\*\*", r"<strong>\1</strong>", escaped)


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def render_model_card(text: str) -> str:
    """A small, safe Markdown: headings, paragraphs, "- " lists, pipe tables and `code`. Every
    piece of the card's text is escaped, so a card cannot inject HTML into the page."""
    html, paragraph, items, table = [], [], [], []

    def flush():
        if paragraph:
            html.append(f"<p>{_inline(' '.join(paragraph))}</p>")
            paragraph.clear()
        if items:
            html.append("<ul>" + "".join(f"<li>{_inline(item)}</li>" for item in items) + "</ul>")
            items.clear()
        if table:
            header, *body = table
            head = "".join(f"<th>{_inline(cell)}</th>" for cell in header)
            rows = "".join("<tr>" + "".join(f"<td>{_inline(cell)}</td>" for cell in row) + "</tr>" for row in body)
            html.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
            table.clear()

    for line in (text or "").splitlines():
        stripped = line.strip()
        if heading := _HEADING.match(stripped):
            flush()
            level = min(len(heading.group(1)) + 1, 6)  # the page has its own h1
            html.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>")
        elif stripped.startswith("|"):
            if paragraph or items:
                flush()
            if not _TABLE_RULE.match(stripped):
                table.append(_cells(stripped))
        elif stripped.startswith(("- ", "* ")):
            if paragraph or table:
                flush()
            items.append(stripped[2:])
        elif not stripped:
            flush()
        else:
            if items or table:
                flush()
            paragraph.append(stripped)
    flush()
    return mark_safe("\n".join(html))  # noqa: S308 - built only from escaped text


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
    may_edit = user_has_role(user=request.user, project=project, required=Role.EDITOR)
    return {
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
    }


def model_page_context(model: RegisteredModel) -> dict:
    versions = list(model_version_overview(model=model))
    return {
        "overview_versions": [
            {
                "version": version,
                "url": reverse("admin:registry_modelversion_change", args=[version.pk]),
                "aliases": sorted(alias.name for alias in version.aliases.all()),
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
        try:
            model_alias_set(version=version, name=name)
        except ValidationError as error:
            form.add_service_error(error)
        else:
            record_change(request, "model_alias.set", version.model, project=version.model.project,
                          summary={"model": version.model.name, "alias": name, "version": version.number})
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
            record_change(request, "model_alias.delete", version.model, project=version.model.project,
                          summary={"model": version.model.name, "alias": name})
            messages.success(request, f"Alias “{name}” removed.")
    return HttpResponseRedirect(reverse("admin:registry_modelversion_change", args=[version.pk]))


def download_view(model_admin, request, object_id):
    version = _version_or_404(model_admin, request, object_id)
    _require_role(request, version, Role.VIEWER)
    return zip_folder_response(version.artifact_path, f"{version.model.name}-v{version.number}.zip")
