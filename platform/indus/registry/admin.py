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

from indus.core.admin_scoping import ProjectScopedAdmin, ScopedInline
from indus.registry import admin_views
from indus.registry.models import ModelVersion, RegisteredModel
from indus.registry.selectors import model_version_detail


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
    list_display = ["model", "number", "dataset_version", "job", "parent", "created_at"]
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

        info = self.opts.app_label, self.opts.model_name
        return [
            path("compare/", view(admin_views.compare_view), name="%s_%s_compare" % info),
            path("<path:object_id>/download/", view(admin_views.download_view), name="%s_%s_download" % info),
            path("<path:object_id>/alias/", view(admin_views.alias_set_view), name="%s_%s_alias_set" % info),
            path("<path:object_id>/alias/remove/", view(admin_views.alias_remove_view),
                 name="%s_%s_alias_remove" % info),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        version = self.get_object(request, unquote(object_id))
        if version is None:
            return super().change_view(request, object_id, form_url, extra_context)  # a 404
        version = model_version_detail(versions=self.get_queryset(request), pk=version.pk)
        context = admin_views.version_page_context(request, version)
        return super().change_view(request, object_id, form_url, {**context, **(extra_context or {})})

    @admin.action(description="Compare selected versions")
    def compare_selected(self, request, queryset):
        ids = ",".join(str(pk) for pk in queryset.order_by("model", "number").values_list("pk", flat=True))
        return HttpResponseRedirect(f"{reverse('admin:registry_modelversion_compare')}?versions={ids}")
