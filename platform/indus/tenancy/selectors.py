from django.db.models import QuerySet

from indus.tenancy.models import Membership, Project, Role


def project_list_for_user(*, user) -> QuerySet[Project]:
    if user.is_superuser:
        return Project.objects.all()
    return Project.objects.filter(memberships__user=user)


def user_role_in_project(*, user, project: Project) -> Role | None:
    """The user's role in the project, or None for a non-member. Superusers act as owners."""
    if user.is_superuser:
        return Role.OWNER
    role = (
        Membership.objects.filter(project=project, user=user).values_list("role", flat=True).first()
    )
    return Role(role) if role else None


def user_has_role(*, user, project: Project, required: Role) -> bool:
    role = user_role_in_project(user=user, project=project)
    return role is not None and role.allows(required)
