from django.conf import settings
from rest_framework.throttling import UserRateThrottle


class PerUserRateThrottle(UserRateThrottle):
    """Requests per user (per address when anonymous), at settings.INDUS_API_RATE_LIMIT,
    read per request rather than once at import so that overriding the setting takes effect."""

    def get_rate(self):
        return settings.INDUS_API_RATE_LIMIT
