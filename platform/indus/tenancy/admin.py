from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Q

from indus.tenancy.admin_scoping import ProjectScopedAdmin, ScopedInline, projects_where
from indus.tenancy.models import ApiToken, AuditEntry, Membership, Project, Role
from indus.tenancy.services import (
    api_token_revoke,
    membership_change_role,
    membership_check_demotion,
    membership_is_last_owner,
    membership_remove,
    membership_set,
    project_save,
)


class MembershipInline(ScopedInline, admin.TabularInline):
    """The project's members at a glance; they are added, changed and removed on the
    memberships page, where the services keep at least one owner."""

    model = Membership
    extra = 0
    fields = ["user", "role", "created_at"]
    readonly_fields = fields
    show_change_link = True
    change_role = None

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

    def save_model(self, request, obj, form, change):
        project_save(project=obj, changed=form.changed_data)


class MembershipForm(forms.ModelForm):
    class Meta:
        model = Membership
        fields = ["project", "user", "role"]

    def clean(self):
        data = super().clean()
        # The instance still holds the stored role here; a demotion must leave another owner.
        if self.instance.pk and data.get("role") and not Role(data["role"]).allows(Role.OWNER):
            try:
                membership_check_demotion(membership=self.instance)
            except ValidationError as error:
                self.add_error("role", error.messages)
        return data


@admin.register(Membership)
class MembershipAdmin(ProjectScopedAdmin):
    """Owners manage their projects' members; the writes go through the services, which keep
    at least one owner in every project."""

    form = MembershipForm
    list_display = ["project", "user", "role", "created_at"]
    list_filter = ["role", ("project", admin.RelatedOnlyFieldListFilter)]
    autocomplete_fields = ["user", "project"]
    add_role = change_role = delete_role = Role.OWNER

    def get_readonly_fields(self, request, obj=None):
        # A membership is a person in a project: either changing would be another membership.
        return ["project", "user"] if obj else []

    def save_model(self, request, obj, form, change):
        if change:
            membership_change_role(membership=Membership.objects.get(pk=obj.pk), role=obj.role)
        else:
            membership_set(project=obj.project, user=obj.user, role=obj.role)

    def has_delete_permission(self, request, obj=None):
        # The last owner cannot be removed: no delete button, and a 403 for a forged request.
        if obj is not None and membership_is_last_owner(membership=obj):
            return False
        return super().has_delete_permission(request, obj)

    def delete_model(self, request, obj):
        membership_remove(membership=obj)

    def get_actions(self, request):
        # Removing several at once could take away every owner; one at a time is checked.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions


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
    list_display = ["prefix", "name", "user", "can_create_tokens", "created_by_token", "created_at", "expires_at",
                    "last_used_at", "revoked_at"]
    list_filter = ["revoked_at", "can_create_tokens"]
    list_select_related = ["user", "created_by_token__user"]
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

    # Revoking is for the token's user (and superusers). Deleting would lose the record of the
    # token (and, by cascade, the tokens it created), so nobody deletes one here.
    has_revoke_permission = has_view_permission

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Revoke the selected tokens (and the tokens they created)", permissions=["revoke"])
    def revoke(self, request, queryset):
        for token in queryset:
            api_token_revoke(token=token)
        self.message_user(request, f"{queryset.count()} token(s) revoked")


@admin.register(AuditEntry)
class AuditEntryAdmin(ProjectScopedAdmin):
    list_display = ["created_at", "actor_username", "action", "object_type", "object_id", "project", "token_prefix",
                    "ip_address"]
    list_filter = ["action", ("project", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["actor_username", "action", "object_id", "token_prefix"]
    # A project's audit log is for its owners, as in the API; nobody edits it. Entries in no
    # project (a user's own API tokens, made and revoked) are shown to the user who acted, and
    # to superusers: the API lists only projects' logs.
    view_role = Role.OWNER
    add_role = change_role = None

    def get_queryset(self, request):
        entries = admin.ModelAdmin.get_queryset(self, request)
        if request.user.is_superuser:
            return entries
        in_owned_projects = Q(project__in=projects_where(request.user, self.view_role))
        return entries.filter(in_owned_projects | Q(project__isnull=True, actor=request.user))

    def has_module_permission(self, request):
        return True  # anyone who signs in may have token entries of their own

    def has_view_permission(self, request, obj=None):
        if obj is None:
            return True  # the list holds only what get_queryset lets this user see
        if obj.project_id is None:
            return request.user.is_superuser or obj.actor_id == request.user.pk
        return super().has_view_permission(request, obj)
