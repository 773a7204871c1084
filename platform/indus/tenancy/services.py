from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from indus.core.errors import field_error
from indus.tenancy import tokens
from indus.tenancy.audit import acting_request, client_address
from indus.tenancy.models import ApiToken, AuditEntry, Membership, Project, Role

# --- Projects and members -------------------------------------------------------------------


@transaction.atomic
def project_create(*, slug: str, name: str, owner, description: str = "") -> Project:
    project = project_save(project=Project(slug=slug, name=name, description=description))
    Membership.objects.create(project=project, user=owner, role=Role.OWNER)
    return project


@transaction.atomic
def project_save(*, project: Project, changed: Iterable[str] = ()) -> Project:
    """Save a new project (the admin's administrators make one, then name its owners on the
    memberships page), or the `changed` fields of an existing one: with none changed, nothing
    is written or recorded."""
    adding = project._state.adding
    changed = list(changed)
    if not adding and not changed:
        return project
    project.full_clean()
    project.save()
    if adding:
        audit_entry_create(action="project.create", target=project, project=project, summary={"slug": project.slug})
    else:
        audit_entry_create(action="project.update", target=project, project=project,
                           summary={"slug": project.slug, "changed": changed})
    return project


def _audit_member(action: str, membership: Membership) -> None:
    audit_entry_create(action=action, target=membership.user, project=membership.project,
                       summary={"username": membership.user.username, "role": membership.role})


@transaction.atomic
def membership_set(*, project: Project, user, role: Role) -> Membership:
    """Make the user a member with `role`, whether or not they are one already (a role kept as
    it was is no change, and is not recorded). For set-up (`ensure_admin`, the admin's add
    page, where the user is no member yet): it does not keep a last owner, as
    `membership_change_role` does for the admin's and the API's role changes."""
    membership = Membership.objects.select_for_update().filter(project=project, user=user).first()
    if membership is None:
        membership = Membership.objects.create(project=project, user=user, role=Role(role))
        _audit_member("member.add", membership)
    elif membership.role != Role(role):
        membership.role = Role(role)
        membership.save(update_fields=["role"])
        _audit_member("member.change_role", membership)
    return membership


@transaction.atomic
def membership_add(*, project: Project, username: str, role: Role) -> Membership:
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise field_error("username", f"there is no active user {username!r}", code="not_found")
    if Membership.objects.filter(project=project, user=user).exists():
        raise field_error(
            "username", f"{username} is already a member of {project.slug}; change their role instead",
            code="already_member",
        )
    membership = Membership.objects.create(project=project, user=user, role=Role(role))
    _audit_member("member.add", membership)
    return membership


@transaction.atomic
def membership_change_role(*, membership: Membership, role: Role) -> Membership:
    if membership.role == Role(role):
        return membership  # no change: nothing to write or record
    if membership.role == Role.OWNER and role != Role.OWNER:
        _refuse_losing_the_last_owner(membership)
    membership.role = Role(role)
    membership.save(update_fields=["role"])
    _audit_member("member.change_role", membership)
    return membership


@transaction.atomic
def membership_remove(*, membership: Membership) -> None:
    if membership.role == Role.OWNER:
        _refuse_losing_the_last_owner(membership)
    membership.delete()
    _audit_member("member.remove", membership)


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


@transaction.atomic
def api_token_create(
    *, user, name: str, expires_in_days: int | None = None, can_create_tokens: bool = False,
    created_by_token: ApiToken | None = None,
) -> tuple[ApiToken, str]:
    """A new token and its secret, which exists only in this return value: show it once.

    `created_by_token` is the token the request authenticated with, None for a password login
    or the server's command line. A token may create tokens only if it has that right; what
    it creates expires no later than it does and is revoked with it."""
    days = settings.INDUS_API_TOKEN_DAYS if expires_in_days is None else expires_in_days
    if not 1 <= days <= MAX_TOKEN_DAYS:
        raise field_error("expires_in_days", f"must be between 1 and {MAX_TOKEN_DAYS}")
    if not name.strip():
        raise field_error("name", "give the token a name that says what it is for")
    expires_at = timezone.now() + timedelta(days=days)
    if created_by_token is not None:
        # Locked, so a revocation running now either sees the new token or happens first.
        created_by_token = ApiToken.objects.select_for_update().get(pk=created_by_token.pk)
        if created_by_token.user_id != user.pk:
            # A token makes tokens for its own user only: another user's would be credentials
            # that the token's revocation cascade would take from someone else.
            raise PermissionDenied(f"API token {created_by_token.prefix} belongs to another user: it may only "
                                   "create tokens for its own user")
        if not created_by_token.can_create_tokens or created_by_token.revoked_at is not None:
            raise PermissionDenied(
                f"API token {created_by_token.prefix} may not create tokens: create this one while logged in "
                "with your password (or with a token made with can_create_tokens)"
            )
        expires_at = min(expires_at, created_by_token.expires_at)
    prefix, secret = tokens.new_token_parts()
    token = ApiToken.objects.create(
        user=user,
        name=name.strip(),
        prefix=prefix,
        secret_sha256=tokens.secret_digest(secret),
        expires_at=expires_at,
        can_create_tokens=can_create_tokens,
        created_by_token=created_by_token,
    )
    _audit_token("token.create", token)
    return token, tokens.format_token(prefix, secret)


@transaction.atomic
def api_token_revoke(*, token: ApiToken) -> ApiToken:
    """Revoke the token and every token created from it, at any depth; revoking again keeps
    the first revocation time. One audit entry names every token this call revoked (the
    token's own prefix first), and none is written when all were revoked already."""
    now = timezone.now()
    revoked = []
    generation = [token.pk]
    while generation:
        # Locked and read before the update: the entry lists exactly the tokens revoked here.
        active = list(
            ApiToken.objects.select_for_update().filter(pk__in=generation, revoked_at__isnull=True)
            .order_by("pk").values_list("pk", "prefix")
        )
        ApiToken.objects.filter(pk__in=[pk for pk, _ in active]).update(revoked_at=now)
        revoked += [prefix for _, prefix in active]
        generation = list(
            ApiToken.objects.select_for_update().filter(created_by_token__in=generation).values_list("pk", flat=True)
        )
    token.refresh_from_db()
    if revoked:
        _audit_token("token.revoke", token, revoked=revoked)
    return token


def _audit_token(action: str, token: ApiToken, **summary) -> None:
    # A token is the user's own, in no project: its entries are shown to the user who acted
    # (and to superusers) in the admin's audit log.
    audit_entry_create(action=action, target=token, project=None,
                       summary={"name": token.name, "prefix": token.prefix, **summary})


LAST_USED_RESOLUTION = timedelta(minutes=1)


def api_token_record_use(*, token: ApiToken) -> None:
    """Note when the token was last used, at most once a minute: every request must not
    become a write."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)


# --- Audit log ------------------------------------------------------------------------------


def audit_entry_create(
    *, action: str, target, project: Project | None, summary: dict | None = None
) -> AuditEntry | None:
    """Record a change of `target` (the model instance it concerns) made by the user of the
    web request being handled, inside the caller's transaction; None when no user is acting
    (a worker, the reconciler, a management command)."""
    request = acting_request()
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    token = getattr(request, "auth", None)
    return AuditEntry.objects.create(
        project=project,
        actor=user,
        actor_username=user.get_username(),
        action=action,
        object_type=target._meta.model_name,
        object_id=str(target.pk),
        summary=summary or {},
        token_prefix=token.prefix if isinstance(token, ApiToken) else "",
        ip_address=client_address(request),
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:300],
    )
