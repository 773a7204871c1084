from drf_spectacular.utils import extend_schema
from rest_framework.mixins import ListModelMixin

from indus.api.filters import AuditEntryFilter
from indus.api.serializers.audit import AuditEntrySerializer
from indus.api.views.base import ProjectScopedView
from indus.tenancy.models import AuditEntry, Role
from indus.tenancy.selectors import audit_entry_list


class AuditListView(ListModelMixin, ProjectScopedView):
    read_role = write_role = Role.OWNER
    serializer_class = AuditEntrySerializer
    queryset = AuditEntry.objects.none()
    filterset_class = AuditEntryFilter

    def visible_queryset(self):
        return audit_entry_list(project=self.project)

    @extend_schema(summary="The project's audit log, newest first (owners only)")
    def get(self, request, project_slug):
        return self.list(request)
