from django.contrib import admin

from indus.jobs.models import Job, JobEvent, MetricPoint


class JobEventInline(admin.TabularInline):
    model = JobEvent
    extra = 0
    can_delete = False
    readonly_fields = ["created_at", "level", "attempt", "message"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["id", "project", "kind", "state", "progress", "attempts", "worker", "created_at"]
    list_filter = ["state", "kind", "queue", "project"]
    search_fields = ["id", "kind", "worker"]
    inlines = [JobEventInline]
    # Jobs change state only through indus.jobs.services, never by editing the row.
    readonly_fields = [f.name for f in Job._meta.fields]

    def has_add_permission(self, request):
        return False


@admin.register(MetricPoint)
class MetricPointAdmin(admin.ModelAdmin):
    list_display = ["job", "name", "step", "value", "recorded_at"]
    list_filter = ["name"]
    readonly_fields = ["job", "name", "step", "value", "recorded_at"]

    def has_add_permission(self, request):
        return False
