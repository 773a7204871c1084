"""Where a change comes from, for the audit log: who, with which token, from which address.

A web request binds itself once (`AuditOriginMiddleware`); each service that changes
something calls `indus.tenancy.services.audit_entry_create` inside its own transaction, which
reads the acting user from it. So the API, the admin and anything else that calls the
services record the same entry, once; a refused change, or one whose transaction rolls back,
records none. Outside a web request (workers, the reconciler, management commands) no user is
acting, and nothing is recorded.
"""
import ipaddress
from contextvars import ContextVar

from django.conf import settings

# The request being handled, when there is one. Its user is read when a change is recorded,
# not when the request arrives: the API authenticates its token inside the view, and DRF then
# sets the user (and the token, as `auth`) on the Django request.
_request: ContextVar = ContextVar("indus_audit_request", default=None)


class AuditOriginMiddleware:
    """Binds the request to the services it calls, for their audit entries (after
    AuthenticationMiddleware, which gives the admin's requests their user)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        bound = _request.set(request)
        try:
            return self.get_response(request)
        finally:
            _request.reset(bound)


def acting_request():
    """The web request being handled, or None outside one (a worker, a management command)."""
    return _request.get()


def client_address(request) -> str | None:
    """The client's address: REMOTE_ADDR, or the X-Forwarded-For entry added by the outermost
    of INDUS_NUM_PROXIES trusted proxies (the entries before it are the client's to forge)."""
    address = request.META.get("REMOTE_ADDR", "")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    proxies = settings.INDUS_NUM_PROXIES
    if proxies and forwarded:
        entries = [entry.strip() for entry in forwarded.split(",")]
        address = entries[-min(proxies, len(entries))]
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None
