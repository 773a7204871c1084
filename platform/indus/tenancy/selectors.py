from django.db.models import OuterRef, QuerySet, Subquery, Value

from indus.tenancy import tokens
from indus.tenancy.models import ApiToken, AuditEntry, Membership, Project, Role


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


def project_for_member(*, user, slug: str) -> Project | None:
    """The project, if the user may see it at all; None hides whether it exists."""
    return project_list_for_user(user=user).filter(slug=slug).first()


def membership_list(*, project: Project) -> QuerySet[Membership]:
    return Membership.objects.filter(project=project).select_related("user").order_by("user__username")


def api_token_list(*, user) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user)


def api_token_for_presented(presented: str) -> ApiToken | None:
    """The token whose secret was presented, whatever its state (the caller judges expiry and
    revocation, to say which one it is); None when no token matches."""
    parts = tokens.parse_token(presented)
    if parts is None:
        return None
    prefix, secret = parts
    token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
    if token is None or not tokens.secret_matches(secret, token.secret_sha256):
        return None
    return token


def audit_entry_list(*, project: Project) -> QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(project=project)


def project_list_with_role(*, user) -> QuerySet[Project]:
    """The user's projects, each annotated with `my_role` (superusers act as owners)."""
    role = Membership.objects.filter(project=OuterRef("pk"), user=user).values("role")[:1]
    my_role = Value(Role.OWNER.value) if user.is_superuser else Subquery(role)
    return project_list_for_user(user=user).annotate(my_role=my_role)
