"""The one place API views record a change in the audit log, with where it came from."""
import ipaddress

from rest_framework.settings import api_settings

from indus.tenancy.services import audit_entry_create


def record_change(request, action: str, target, *, project=None, summary: dict | None = None) -> None:
    audit_entry_create(
        actor=request.user,
        action=action,
        target=target,
        project=project,
        summary=summary,
        ip_address=client_address(request),
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
    )


def client_address(request) -> str | None:
    """The client's address: REMOTE_ADDR, or the X-Forwarded-For entry added by the outermost
    of NUM_PROXIES trusted proxies (the entries before it are the client's to forge)."""
    address = request.META.get("REMOTE_ADDR", "")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    proxies = api_settings.NUM_PROXIES
    if proxies and forwarded:
        entries = [entry.strip() for entry in forwarded.split(",")]
        address = entries[-min(proxies, len(entries))]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None
