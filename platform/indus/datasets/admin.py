from django.contrib import admin

from indus.datasets.models import Dataset, DatasetVersion


class DatasetVersionInline(admin.TabularInline):
    model = DatasetVersion
    extra = 0
    can_delete = False
    fields = ["number", "source", "source_name", "row_count", "size_bytes", "sha256", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Dataset)
class DatasetAdmin(admin.ModelAdmin):
    list_display = ["name", "project", "created_by", "created_at"]
    list_filter = ["project"]
    search_fields = ["name", "description"]
    inlines = [DatasetVersionInline]


@admin.register(DatasetVersion)
class DatasetVersionAdmin(admin.ModelAdmin):
    list_display = ["dataset", "number", "source", "row_count", "size_bytes", "created_at"]
    list_filter = ["source", "dataset__project"]
    search_fields = ["dataset__name", "sha256", "source_name"]
    # Versions are immutable: the admin shows them and never edits them.
    readonly_fields = [f.name for f in DatasetVersion._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
