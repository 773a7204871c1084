from django.contrib import admin
from django.urls import path, reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from indus.jobs import admin_views
from indus.jobs.models import Job
from indus.tenancy.admin_scoping import ProjectScopedAdmin, projects_where
from indus.tenancy.models import Role


@admin.register(Job)
class JobAdmin(ProjectScopedAdmin):
    """Jobs are launched from their own forms and change state only through
    indus.jobs.services: the admin never adds or edits a row. Metric points and events are
    shown on the job's page (`admin_views.job_page`), not as admin pages of their own."""

    project_path = "project"
    add_role = change_role = delete_role = None
    list_display = ["id", "kind", "state", "progress_percent", "project", "created_by", "created_at"]
    list_display_links = ["id", "kind"]
    list_filter = ["state", "kind", ("project", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["project", "created_by"]
    search_fields = ["kind", "progress_message", "error"]

    @admin.display(description="progress", ordering="progress")
    def progress_percent(self, job: Job) -> str:
        return format_html('<progress max="1" value="{}"></progress> {}%', job.progress, round(job.progress * 100))

    def get_urls(self):
        def view(function, post_only=False):
            def call(request, *args, **kwargs):
                return function(self, request, *args, **kwargs)

            return self.admin_site.admin_view(require_POST(call) if post_only else call)

        def launch(kind):
            return view(lambda admin_, request: admin_views.launch(admin_, request, kind))

        return [
            # One launch form per submittable kind: launch/fine-tune/, named jobs_job_launch_fine_tune.
            *(path(f"launch/{kind.slug}/", launch(kind), name=admin_views.launch_url_name(kind).removeprefix("admin:"))
              for kind in admin_views.launch_kinds()),
            path("<int:job_id>/live/", view(admin_views.job_live), name="jobs_job_live"),
            path("<int:job_id>/cancel/", view(admin_views.job_cancel_view, post_only=True), name="jobs_job_cancel"),
            path("<int:job_id>/retry/", view(admin_views.job_retry_view, post_only=True), name="jobs_job_retry"),
            # What a succeeded job offers to download (batch inference's predictions).
            path("<int:job_id>/predictions/", view(admin_views.job_download), name="jobs_job_predictions"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return admin_views.job_page(self, request, object_id, extra_context)

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}),
                         "can_launch": projects_where(request.user, Role.EDITOR).exists(),
                         "launches": [{"id": f"launch-{kind.slug.replace('.', '-')}", "label": f"Launch {kind.label}",
                                       "url": reverse(admin_views.launch_url_name(kind))}
                                      for kind in admin_views.launch_kinds()]}
        return super().changelist_view(request, extra_context)
