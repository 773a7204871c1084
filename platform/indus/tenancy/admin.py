from django.contrib import admin

from indus.core.admin_scoping import ProjectScopedAdmin, ScopedInline
from indus.tenancy.models import ApiToken, AuditEntry, Membership, Project, Role
from indus.tenancy.services import api_token_revoke


class MembershipInline(ScopedInline, admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]
    # Owners manage members, as in the API.
    change_role = Role.OWNER

    def parent_project(self, obj):
        return obj


@admin.register(Project)
class ProjectAdmin(ProjectScopedAdmin):
    list_display = ["slug", "name", "created_at"]
    search_fields = ["slug", "name"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]
    project_path = "pk"
    change_role = Role.OWNER

    def project_of(self, obj):
        return obj

    def has_add_permission(self, request):
        # A project is made by an administrator, who then names its owners.
        return request.user.is_superuser


@admin.register(Membership)
class MembershipAdmin(ProjectScopedAdmin):
    list_display = ["project", "user", "role", "created_at"]
    list_filter = ["role", ("project", admin.RelatedOnlyFieldListFilter)]
    autocomplete_fields = ["user", "project"]
    add_role = change_role = delete_role = Role.OWNER


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only by services: the admin shows them and never edits them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin):
    # Tokens are made through the API (POST /api/v1/tokens/), the only place that can show
    # the secret once; the admin lists and revokes them.
    list_display = ["prefix", "name", "user", "created_at", "expires_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["prefix", "name", "user__username"]
    exclude = ["secret_sha256"]
    actions = ["revoke"]

    def get_queryset(self, request):
        tokens = super().get_queryset(request)
        return tokens if request.user.is_superuser else tokens.filter(user=request.user)

    def has_module_permission(self, request):
        return True

    def has_view_permission(self, request, obj=None):
        return obj is None or request.user.is_superuser or obj.user_id == request.user.pk

    # Revoking is a change to one's own token; the action needs this.
    has_delete_permission = has_view_permission

    @admin.action(description="Revoke the selected tokens", permissions=["delete"])
    def revoke(self, request, queryset):
        for token in queryset:
            api_token_revoke(token=token)
        self.message_user(request, f"{queryset.count()} token(s) revoked")

    def get_actions(self, request):
        # Deleting would lose the record of the token; revoking keeps it.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


@admin.register(AuditEntry)
class AuditEntryAdmin(ProjectScopedAdmin):
    list_display = ["created_at", "actor_username", "action", "object_type", "object_id", "project", "ip_address"]
    list_filter = ["action", ("project", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["actor_username", "action", "object_id"]
    # The audit log is for owners, as in the API; nobody edits it.
    view_role = Role.OWNER
    add_role = change_role = None
