import functools

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from indus.datasets.forms import DatasetAddForm, DatasetUploadForm
from indus.datasets.models import Dataset, DatasetVersion
from indus.datasets.profiling import DISTINCT_CAP
from indus.datasets.selectors import (
    dataset_imports,
    dataset_version_preview,
    dataset_version_tasks,
    dataset_version_value_counts,
)
from indus.datasets.services import dataset_create_with_upload, dataset_upload
from indus.tenancy.admin_scoping import ProjectScopedAdmin, ScopedInline
from indus.tenancy.models import Role
from indus.tenancy.selectors import user_has_role

PREVIEW_ROWS = 20
CHART_VALUES = 30


class DatasetVersionInline(ScopedInline, admin.TabularInline):
    """The dataset's versions, newest first; each links to its page. Versions are made by
    import jobs only, so the inline is read-only."""

    model = DatasetVersion
    extra = 0
    can_delete = False
    change_role = None
    fields = ["number", "row_count", "created_at"]
    readonly_fields = fields
    template = "admin/datasets/dataset/versions_inline.html"


def _import_queued(request, job) -> None:
    messages.success(request, format_html(
        'The import job <a class="job-link" href="{}">#{}</a> is queued.',
        reverse("admin:jobs_job_change", args=[job.pk]), job.pk,
    ))


@admin.register(Dataset)
class DatasetAdmin(ProjectScopedAdmin):
    project_path = "project"
    # A dataset is made by uploading its first file; it changes only by new versions.
    change_role = None
    list_display = ["name", "project", "created_by", "created_at"]
    list_filter = [("project", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "description"]
    fields = ["project", "name", "description", "created_by", "created_at"]
    readonly_fields = ["created_by", "created_at"]
    inlines = [DatasetVersionInline]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("project", "created_by")

    def get_urls(self):
        return [
            path(
                "<int:dataset_id>/upload/",
                self.admin_site.admin_view(self.upload_view),
                name="datasets_dataset_upload",
            ),
            *super().get_urls(),
        ]

    def _visible_dataset(self, request, object_id) -> Dataset:
        dataset = self.get_object(request, unquote(str(object_id)))
        if dataset is None:  # another project's dataset does not exist for this user
            raise Http404("No such dataset")
        return dataset

    def _can_upload(self, request, dataset: Dataset) -> bool:
        return user_has_role(user=request.user, project=dataset.project, required=Role.EDITOR)

    def _upload(self, request, form, upload):
        """Store the form's file through `upload(**the form's upload arguments)`, a service that
        returns the import job, in one transaction so that a refused file leaves nothing behind;
        the redirect to the dataset, or None with the services' messages put next to their fields."""
        try:
            with transaction.atomic():
                job = upload(created_by=request.user, **form.upload_arguments())
        except ValidationError as error:
            form.add_service_error(error)
            return None
        _import_queued(request, job)
        return HttpResponseRedirect(reverse("admin:datasets_dataset_change", args=[job.dataset_import.dataset_id]))

    def add_view(self, request, form_url="", extra_context=None):
        """A new dataset with its first file (`dataset_create_with_upload`: one change, one
        transaction, so a refused file leaves no dataset behind)."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            form = DatasetAddForm(request.POST, request.FILES, user=request.user)

            def new_dataset(**upload):
                return dataset_create_with_upload(
                    project=form.cleaned_data["project"], name=form.cleaned_data["name"],
                    description=form.cleaned_data["description"], **upload,
                )

            if form.is_valid() and (done := self._upload(request, form, new_dataset)):
                return done
        else:
            form = DatasetAddForm(user=request.user, initial=self._add_initial(request))
        admin_form = helpers.AdminForm(form, form.fieldsets, {}, model_admin=self)
        context = {
            **self.admin_site.each_context(request),
            "title": "Upload a dataset",
            "subtitle": None,
            "adminform": admin_form,
            "object_id": None,
            "original": None,
            "is_popup": False,
            "to_field": None,
            "media": self.media + admin_form.media,
            "inline_admin_formsets": [],
            "errors": helpers.AdminErrorList(form, []),
            "preserved_filters": self.get_preserved_filters(request),
            "show_save_and_add_another": False,
            "show_save_and_continue": False,
            **(extra_context or {}),
        }
        return self.render_change_form(request, context, add=True, form_url=form_url)

    def _add_initial(self, request) -> dict:
        initial = {}
        if project := request.GET.get("project"):
            initial["project"] = project
        return initial

    def change_view(self, request, object_id, form_url="", extra_context=None):
        dataset = self._visible_dataset(request, object_id)
        can_upload = self._can_upload(request, dataset)
        context = {
            "imports": dataset_imports(dataset=dataset),
            "can_upload": can_upload,
            "upload_adminform": self._upload_admin_form(DatasetUploadForm()) if can_upload else None,
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, context)

    def _upload_admin_form(self, form: DatasetUploadForm) -> helpers.AdminForm:
        return helpers.AdminForm(form, form.fieldsets, {}, model_admin=self)

    def upload_view(self, request, dataset_id):
        """Upload a file as a new version of an existing dataset (editors)."""
        dataset = self._visible_dataset(request, dataset_id)
        if not self._can_upload(request, dataset):
            raise PermissionDenied
        if request.method == "POST":
            form = DatasetUploadForm(request.POST, request.FILES)
            upload = functools.partial(dataset_upload, dataset=dataset)
            if form.is_valid() and (done := self._upload(request, form, upload)):
                return done
        else:
            form = DatasetUploadForm()
        admin_form = self._upload_admin_form(form)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Upload a new version of {dataset.name}",
            "opts": self.opts,
            "original": dataset,
            "upload_adminform": admin_form,
            "errors": helpers.AdminErrorList(form, []),
            "media": self.media + admin_form.media,
        }
        return TemplateResponse(request, "admin/datasets/dataset/upload.html", context)


@admin.register(DatasetVersion)
class DatasetVersionAdmin(ProjectScopedAdmin):
    project_path = "dataset__project"
    # Versions are immutable and made only by import jobs: the admin shows them, nothing more.
    add_role = change_role = None
    list_display = ["dataset", "number", "source", "row_count", "size", "created_at"]
    list_filter = ["source", ("dataset__project", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["dataset__name", "sha256", "source_name"]
    fieldsets = [
        ("Lineage", {"fields": [
            "dataset", "number", "source", "source_name", "tasks", "import_job",
            "sha256", "row_count", "size", "created_by", "created_at",
        ]}),
    ]
    readonly_fields = [f.name for f in DatasetVersion._meta.fields] + ["size", "tasks"]

    def get_queryset(self, request):
        return (super().get_queryset(request).select_related("dataset__project", "created_by", "import_job")
                .prefetch_related("imports"))

    @admin.display(description="size", ordering="size_bytes")
    def size(self, version):
        return filesizeformat(version.size_bytes)

    @admin.display(description="tasks it fits")
    def tasks(self, version):
        return ", ".join(dataset_version_tasks(version=version)) or "—"

    def change_view(self, request, object_id, form_url="", extra_context=None):
        version = self.get_object(request, unquote(object_id))
        if version is None:  # another project's version does not exist for this user
            raise Http404("No such dataset version")
        preview = dataset_version_preview(version=version, rows=PREVIEW_ROWS)  # stored: no data is read
        # Rows as lists in column order: a template would read row.values of a dict as a column named "values".
        preview["rows"] = [[row.get(name) for name in preview["columns"]] for row in preview["rows"]]
        if not preview["rows"] and not hasattr(version, "stored_preview"):
            preview = None  # stored before previews were, and its file could not be read then
        context = {
            "preview": preview,
            "preview_rows": PREVIEW_ROWS,
            "profile_rows": profile_rows(version),
            **label_chart(version, request.GET.get("column")),
            **(extra_context or {}),
        }
        return super().change_view(request, object_id, form_url, context)


def profile_rows(version: DatasetVersion) -> list[dict]:
    """The stored per-column profile, as rows for the profile table."""
    total = version.row_count or 0
    rows = []
    for column in (version.profile or {}).get("columns", []):
        missing = column.get("missing") or 0
        length = column.get("length") or {}
        distinct = column.get("distinct")
        rows.append({
            "name": column.get("name"),
            "type": column.get("type"),
            "missing": missing,
            "missing_pct": 100 * missing / total if total else 0.0,
            "distinct": distinct,
            "distinct_over_cap": distinct is None,
            "distinct_cap": DISTINCT_CAP,
            "numeric": "min" in column,
            "min": column.get("min"),
            "mean": column.get("mean"),
            "max": column.get("max"),
            "length_mean": length.get("mean"),
            "length_std": length.get("std"),
            "has_top_values": bool(column.get("top_values")),
        })
    return rows


# The chart's geometry, in SVG user units.
BAR_HEIGHT, BAR_GAP, LABEL_WIDTH, BAR_AREA, CHART_WIDTH = 16, 6, 180, 380, 640


def label_chart(version: DatasetVersion, requested: str | None) -> dict:
    """The label distribution chart's context: which column, which columns may be chosen,
    and the bars, or a plain reason why there is no chart."""
    from indus.plugins.manager import get_registry

    countable = [row["name"] for row in profile_rows(version) if row["has_top_values"]]
    names = [column.get("name") for column in (version.profile or {}).get("columns", [])]
    # The first task it was checked against: the one it was imported for.
    task_name = next(iter(dataset_version_tasks(version=version)), None)
    task = get_registry().tasks.get(task_name) if task_name else None
    target = task.target.column if task is not None else None
    column = requested or target
    context = {
        "label_column": column,
        "label_target": target,
        "label_task": task_name,
        "label_choices": countable,
        "label_bars": [],
        "label_note": "",
    }
    if not column:
        context["label_note"] = "The import named no task: choose a column to see how its values are distributed."
        return context
    if column not in names:
        context["label_note"] = f"This version has no column named {column!r}."
        return context
    if column not in countable:
        context["label_note"] = (
            f"The profile keeps no value counts for column {column!r}: it has more than "
            f"{DISTINCT_CAP} distinct values, or values of a type that is not counted."
        )
        return context
    counts = dataset_version_value_counts(version=version, column=column, limit=CHART_VALUES)
    values = [(str(item["value"]), item["count"]) for item in counts["values"]]
    if counts["other"]:
        values.append((f"other ({counts['other_values']} values)", counts["other"]))
    context["label_bars"], context["label_chart_height"] = _bars(values)
    context["label_chart_width"] = CHART_WIDTH
    context["label_missing"] = counts["missing"]
    return context


def _bars(values: list[tuple[str, int]]) -> tuple[list[dict], int]:
    top = max((count for _, count in values), default=0) or 1
    bars = []
    for index, (label, count) in enumerate(values):
        y = index * (BAR_HEIGHT + BAR_GAP)
        width = max(round(BAR_AREA * count / top, 1), 1 if count else 0)
        bars.append({
            "label": label,
            "short_label": label if len(label) <= 26 else label[:25] + "…",
            "count": count,
            "y": y,
            "text_y": y + BAR_HEIGHT - 4,
            "height": BAR_HEIGHT,
            "label_x": LABEL_WIDTH - 8,
            "x": LABEL_WIDTH,
            "width": width,
            "count_x": LABEL_WIDTH + width + 6,
        })
    return bars, max(len(values) * (BAR_HEIGHT + BAR_GAP), BAR_HEIGHT)
