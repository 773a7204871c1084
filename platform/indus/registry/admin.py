"""Registered models and their versions in the admin.

Both are read-only as rows: a version is registered by its fine-tune job and is history; what a
member does here goes through the registry's services (owners move aliases) or reads (versions
side by side, a comparison, a version's reports, the artifact download). See admin_views.py.
"""
from functools import partial, update_wrapper

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.http import HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html

from indus.plugins.verdict import is_flagged
from indus.registry import admin_views
from indus.registry.models import ModelVersion, RegisteredModel
from indus.registry.selectors import model_version_detail, model_version_verdict
from indus.tenancy.admin_scoping import ProjectScopedAdmin, ScopedInline


class ModelVersionInline(ScopedInline, admin.TabularInline):
    model = ModelVersion
    extra = 0
    can_delete = False
    fields = ["number", "dataset_version", "job", "parent", "created_at"]
    readonly_fields = fields
    show_change_link = True
    change_role = None  # versions are registered by jobs, never added or edited here


@admin.register(RegisteredModel)
class RegisteredModelAdmin(ProjectScopedAdmin):
    list_display = ["name", "project", "task", "created_at"]
    # RelatedOnly: the choices come from the rows the user sees, not from every project.
    list_filter = [("project", admin.RelatedOnlyFieldListFilter), "task"]
    search_fields = ["name", "task"]
    fields = ["project", "name", "task", "description", "created_at"]
    readonly_fields = fields
    inlines = [ModelVersionInline]
    project_path = "project"
    # A model comes into being with its first version, registered by a fine-tune job.
    add_role = change_role = None

    def change_view(self, request, object_id, form_url="", extra_context=None):
        model = self.get_object(request, unquote(object_id))
        context = admin_views.model_page_context(model) if model is not None else {}
        return super().change_view(request, object_id, form_url, {**context, **(extra_context or {})})


@admin.register(ModelVersion)
class ModelVersionAdmin(ProjectScopedAdmin):
    list_display = ["model", "number", "verdict", "dataset_version", "job", "parent", "created_at"]
    list_filter = [("model__project", admin.RelatedOnlyFieldListFilter), ("model", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["model__project", "dataset_version__dataset", "job", "parent__model"]
    # The rest (metrics, reports, card, lineage, hyperparameters) has its own sections.
    fields = ["model", "number", "created_by", "created_at", "artifact_path"]
    readonly_fields = fields
    project_path = "model__project"
    add_role = change_role = None
    actions = ["compare_selected"]

    def get_urls(self):
        def view(function):
            wrapped = self.admin_site.admin_view(partial(function, self))
            return update_wrapper(wrapped, function)

        prefix = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path("compare/", view(admin_views.compare_view), name=f"{prefix}_compare"),
            path("<path:object_id>/download/", view(admin_views.download_view), name=f"{prefix}_download"),
            path("<path:object_id>/alias/", view(admin_views.alias_set_view), name=f"{prefix}_alias_set"),
            path("<path:object_id>/alias/remove/", view(admin_views.alias_remove_view), name=f"{prefix}_alias_remove"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        version = self.get_object(request, unquote(object_id))
        if version is None:
            return super().change_view(request, object_id, form_url, extra_context)  # a 404
        version = model_version_detail(versions=self.get_queryset(request), pk=version.pk)
        context = admin_views.version_page_context(request, version)
        return super().change_view(request, object_id, form_url, {**context, **(extra_context or {})})

    @admin.display(description="Against the baselines")
    def verdict(self, version):
        verdict = model_version_verdict(version)
        if is_flagged(verdict):
            return format_html('<span class="verdict-flag" data-verdict="{}" '
                               'style="color: var(--error-fg, #ba2121); font-weight: bold">flagged: {}</span>',
                               verdict["verdict"], verdict["title"])
        return format_html('<span data-verdict="{}">{}</span>', verdict["verdict"], verdict["title"])

    @admin.action(description="Compare selected versions")
    def compare_selected(self, request, queryset):
        ids = ",".join(str(pk) for pk in queryset.order_by("model", "number").values_list("pk", flat=True))
        return HttpResponseRedirect(f"{reverse('admin:registry_modelversion_compare')}?versions={ids}")
