from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from indus.core.errors import field_error
from indus.tenancy import tokens
from indus.tenancy.models import ApiToken, AuditEntry, Membership, Project, Role

# --- Projects and members -------------------------------------------------------------------


@transaction.atomic
def project_create(*, slug: str, name: str, owner, description: str = "") -> Project:
    project = Project(slug=slug, name=name, description=description)
    project.full_clean()
    project.save()
    Membership.objects.create(project=project, user=owner, role=Role.OWNER)
    return project


def membership_set(*, project: Project, user, role: Role) -> Membership:
    membership, _ = Membership.objects.update_or_create(
        project=project, user=user, defaults={"role": Role(role)}
    )
    return membership


def membership_add(*, project: Project, username: str, role: Role) -> Membership:
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise field_error("username", f"there is no active user {username!r}", code="not_found")
    if Membership.objects.filter(project=project, user=user).exists():
        raise field_error(
            "username", f"{username} is already a member of {project.slug}; change their role instead",
            code="already_member",
        )
    return Membership.objects.create(project=project, user=user, role=Role(role))


@transaction.atomic
def membership_change_role(*, membership: Membership, role: Role) -> Membership:
    if membership.role == Role.OWNER and role != Role.OWNER:
        _refuse_losing_the_last_owner(membership)
    membership.role = Role(role)
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership) -> None:
    if membership.role == Role.OWNER:
        _refuse_losing_the_last_owner(membership)
    membership.delete()


def _other_owners(membership: Membership, *, lock: bool = False):
    owners = Membership.objects.filter(project_id=membership.project_id, role=Role.OWNER)
    # Locking the project's owners keeps two owners demoting each other from both succeeding.
    return (owners.select_for_update() if lock else owners).exclude(pk=membership.pk)


def _refuse_losing_the_last_owner(membership: Membership) -> None:
    if not _other_owners(membership, lock=True).exists():
        raise field_error(
            "role", f"{membership.user} is the last owner of {membership.project}; make someone else owner first",
            code="last_owner",
        )


@transaction.atomic
def membership_check_demotion(*, membership: Membership) -> None:
    """Raise the error `membership_change_role` would give for taking the owner role away, so a
    form can show it before anything is written."""
    if membership.role == Role.OWNER:
        _refuse_losing_the_last_owner(membership)


def membership_is_last_owner(*, membership: Membership) -> bool:
    """Whether removing the membership would leave its project without an owner."""
    return membership.role == Role.OWNER and not _other_owners(membership).exists()


# --- API tokens -----------------------------------------------------------------------------

MAX_TOKEN_DAYS = 365


def api_token_create(*, user, name: str, expires_in_days: int | None = None) -> tuple[ApiToken, str]:
    """A new token and its secret, which exists only in this return value: show it once."""
    days = settings.INDUS_API_TOKEN_DAYS if expires_in_days is None else expires_in_days
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise field_error("expires_in_days", f"must be between 1 and {MAX_TOKEN_DAYS}")
    if not name.strip():
        raise field_error("name", "give the token a name that says what it is for")
    prefix, secret = tokens.new_token_parts()
    token = ApiToken.objects.create(
        user=user,
        name=name.strip(),
        prefix=prefix,
        secret_sha256=tokens.secret_digest(secret),
        expires_at=timezone.now() + timedelta(days=days),
    )
    return token, tokens.format_token(prefix, secret)


def api_token_revoke(*, token: ApiToken) -> ApiToken:
    """Revoke the token; revoking it again keeps the first revocation time."""
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    token.refresh_from_db()
    return token


LAST_USED_RESOLUTION = timedelta(minutes=1)


def api_token_record_use(*, token: ApiToken) -> None:
    """Note when the token was last used, at most once a minute: every request must not
    become a write."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)


# --- Audit log ------------------------------------------------------------------------------


def audit_entry_create(
    *,
    actor,
    action: str,
    target,
    project: Project | None = None,
    summary: dict | None = None,
    ip_address: str | None = None,
    user_agent: str = "",
) -> AuditEntry:
    """Record a change; `target` is the model instance it concerns."""
    return AuditEntry.objects.create(
        project=project,
        actor=actor,
        actor_username=actor.get_username(),
        action=action,
        object_type=target._meta.model_name,
        object_id=str(target.pk),
        summary=summary or {},
        ip_address=ip_address,
        user_agent=user_agent[:300],
    )
