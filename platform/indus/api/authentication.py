"""`Authorization: Bearer indus_<prefix>_<secret>`: per-user API tokens for scripts and CI."""
from django.utils import timezone
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from indus.tenancy.selectors import api_token_for_presented
from indus.tenancy.services import api_token_record_use

KEYWORD = "Bearer"


class BearerTokenAuthentication(BaseAuthentication):
    def authenticate(self, request):
        words = get_authorization_header(request).split()
        if not words or words[0].lower() != KEYWORD.lower().encode():
            return None  # not ours: the session (or nothing) decides
        if len(words) != 2:
            raise AuthenticationFailed(
                "give exactly one token after 'Bearer', e.g. 'Authorization: Bearer indus_…'", code="malformed_token"
            )
        try:
            presented = words[1].decode("ascii")
        except UnicodeDecodeError:
            raise AuthenticationFailed("the API token is not valid", code="invalid_token") from None
        token = api_token_for_presented(presented)
        if token is None:
            raise AuthenticationFailed("the API token is not valid", code="invalid_token")
        if token.revoked_at is not None:
            raise AuthenticationFailed(
                f"API token {token.prefix} was revoked on {token.revoked_at:%Y-%m-%d %H:%M} UTC; create a new one",
                code="token_revoked",
            )
        if token.expires_at <= timezone.now():
            raise AuthenticationFailed(
                f"API token {token.prefix} expired on {token.expires_at:%Y-%m-%d %H:%M} UTC; create a new one",
                code="token_expired",
            )
        if not token.user.is_active:
            raise AuthenticationFailed("the token's user is deactivated", code="user_inactive")
        api_token_record_use(token=token)
        return token.user, token

    def authenticate_header(self, request):
        # Makes DRF answer a missing login with 401 and this challenge, not 403.
        return f'{KEYWORD} realm="api"'
