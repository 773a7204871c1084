"""The page a throttled admin login gets (django-axes' AXES_LOCKOUT_CALLABLE): the admin's own
login page, saying why the login is refused and when to try again, with status 429."""
import math
from datetime import datetime, timedelta

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_cool_off, get_failure_limit
from django.conf import settings
from django.contrib import admin
from django.template.response import TemplateResponse
from django.utils import timezone


def lockout_response(request, original_response=None, credentials=None):
    now = timezone.now()
    ends_at = lock_ends_at(request, credentials) or now + get_cool_off(request)
    minutes = max(1, math.ceil((ends_at - now).total_seconds() / 60))
    # The page shows minutes: rounded up, a login at the time it names is never refused.
    retry_at = (ends_at + timedelta(minutes=1) - timedelta(microseconds=1)).replace(second=0, microsecond=0)
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    message = (
        f"Too many failed logins for the username {username!r} or from your address: logins are refused "
        f"until {retry_at:%H:%M} UTC ({minutes} minutes from now)."
    )
    context = {**admin.site.each_context(request), "message": message, "title": "Login refused"}
    return TemplateResponse(
        request, "admin/login_locked_out.html", context, status=settings.AXES_HTTP_RESPONSE_CODE
    ).render()


def lock_ends_at(request, credentials) -> datetime | None:
    """When the lock on this login's username or address ends, from the failures axes keeps.

    Attempts made while locked are not recorded (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT
    is off), so the lock ends a cool-off after the failure that completed the limit, counting
    from the newest: once that one is older than the cool-off, fewer than the limit remain.
    Each lockout parameter (username, address) is its own lock; the later end is the one that
    holds. None when no kept failures explain the lock."""
    limit = get_failure_limit(request, credentials)
    ends = []
    for attempts in AxesDatabaseHandler().get_user_attempts(request, credentials):
        counted = 0
        for attempt_time, failures in attempts.order_by("-attempt_time").values_list(
            "attempt_time", "failures_since_start"
        ):
            counted += failures
            if counted >= limit:
                ends.append(attempt_time + get_cool_off(request))
                break
    return max(ends, default=None)
