from django.contrib import admin

from indus.registry.models import ModelAlias, ModelVersion, RegisteredModel


class ModelVersionInline(admin.TabularInline):
    model = ModelVersion
    extra = 0
    can_delete = False
    fields = ["number", "dataset_version", "job", "parent", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class ModelAliasInline(admin.TabularInline):
    model = ModelAlias
    extra = 0


@admin.register(RegisteredModel)
class RegisteredModelAdmin(admin.ModelAdmin):
    list_display = ["name", "project", "task", "created_at"]
    list_filter = ["project", "task"]
    search_fields = ["name", "task"]
    inlines = [ModelVersionInline, ModelAliasInline]


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ["model", "number", "dataset_version", "job", "parent", "created_at"]
    list_filter = ["model__project"]
    readonly_fields = [f.name for f in ModelVersion._meta.fields]

    def has_add_permission(self, request):
        return False
