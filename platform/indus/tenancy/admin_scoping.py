"""Project scoping for the admin: each member sees their projects' rows and acts by their role.

Django's admin grants by model permissions; Indus grants by the role a user holds in the
project a row belongs to, the same rule the API applies. A ModelAdmin says how its rows reach
their project (`project_path`) and which role each action needs; everything else follows:
querysets are filtered to the user's projects (another project's row does not exist for them),
buttons and forms appear only where the role allows, and foreign-key choices stay inside the
projects where the user may write.
"""
from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import Http404

from indus.tenancy.models import Membership, Project, Role
from indus.tenancy.selectors import user_has_role


class MemberAuthenticationForm(AdminAuthenticationForm):
    """Project members sign in to the admin without being Django staff: their role in each
    project, not a staff flag, says what they may do there."""

    def confirm_login_allowed(self, user):
        if not user.is_active:
            raise ValidationError(self.error_messages["inactive"], code="inactive")
        if not (user.is_staff or Membership.objects.filter(user=user).exists()):
            raise ValidationError(
                "This account belongs to no project yet: ask a project owner to add you.", code="no_project"
            )


def may_use_admin(user) -> bool:
    return user.is_authenticated and user.is_active and (user.is_staff or Membership.objects.filter(user=user).exists())


def projects_where(user, role: Role) -> QuerySet[Project]:
    """The projects in which the user holds at least `role` (superusers hold every role)."""
    if user.is_superuser:
        return Project.objects.all()
    if not user.is_authenticated:
        return Project.objects.none()
    allowed = [r for r in Role if r.allows(role)]
    return Project.objects.filter(memberships__user=user, memberships__role__in=allowed)


class ProjectScopedAdmin(admin.ModelAdmin):
    """A ModelAdmin whose rows belong to a project."""

    # The lookup from the model to its Project, e.g. "project" or "dataset__project".
    project_path = "project"
    view_role = Role.VIEWER
    add_role = Role.EDITOR
    change_role = Role.EDITOR
    # None: rows are never deleted from the admin (versions and jobs are history).
    delete_role: Role | None = None

    def project_of(self, obj: Model) -> Project:
        for part in self.project_path.split("__"):
            obj = getattr(obj, part)
        return obj

    def scope(self, queryset: QuerySet, user, role: Role = Role.VIEWER) -> QuerySet:
        if user.is_superuser:
            return queryset
        return queryset.filter(**{f"{self.project_path}__in": projects_where(user, role)})

    def get_queryset(self, request):
        return self.scope(super().get_queryset(request), request.user, self.view_role)

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # Another project's row does not exist for a member: a 404, as in the API, not the
        # admin's redirect to the index with "perhaps it was deleted?". (Django's one hook.)
        raise Http404(f"no {opts.verbose_name} with id {object_id}")

    def _allowed(self, request, role: Role | None, obj) -> bool:
        if role is None:
            return False
        if obj is None:
            return projects_where(request.user, role).exists()
        return user_has_role(user=request.user, project=self.project_of(obj), required=role)

    def has_module_permission(self, request):
        return self._allowed(request, self.view_role, None)

    def has_view_permission(self, request, obj=None):
        return self._allowed(request, self.view_role, obj)

    def has_add_permission(self, request):
        return self._allowed(request, self.add_role, None)

    def has_change_permission(self, request, obj=None):
        return self._allowed(request, self.change_role, obj)

    def has_delete_permission(self, request, obj=None):
        return self._allowed(request, self.delete_role, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # A new row may only point into projects where the user may write. (Rows nobody adds,
        # add_role None, are only shown: their form offers no choice.)
        if db_field.related_model is Project and self.add_role is not None:
            kwargs["queryset"] = projects_where(request.user, self.add_role)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ScopedInline:
    """For inlines of a ProjectScopedAdmin: the parent's project decides, by the same roles."""

    change_role = Role.EDITOR

    def _parent_allows(self, request, obj, role: Role | None) -> bool:
        if role is None:
            return False
        if obj is None:
            return projects_where(request.user, role).exists()
        return user_has_role(user=request.user, project=self.parent_project(obj), required=role)

    def parent_project(self, obj) -> Project:
        return obj.project

    def has_view_permission(self, request, obj=None):
        return self._parent_allows(request, obj, Role.VIEWER)

    def has_add_permission(self, request, obj=None):
        return self._parent_allows(request, obj, self.change_role)

    def has_change_permission(self, request, obj=None):
        return self._parent_allows(request, obj, self.change_role)

    def has_delete_permission(self, request, obj=None):
        return self._parent_allows(request, obj, self.change_role)
