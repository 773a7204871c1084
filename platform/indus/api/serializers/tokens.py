from django.utils import timezone
from rest_framework import serializers

from indus.api.serializers.common import InputSerializer
from indus.tenancy.models import ApiToken
from indus.tenancy.services import MAX_TOKEN_DAYS


class ApiTokenSerializer(serializers.ModelSerializer):
    state = serializers.SerializerMethodField()

    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "state", "can_create_tokens", "created_by_token", "created_at", "expires_at",
                  "last_used_at", "revoked_at"]

    def get_state(self, token: ApiToken) -> str:
        if token.revoked_at:
            return "revoked"
        return "expired" if token.expires_at <= timezone.now() else "active"


class ApiTokenCreateSerializer(InputSerializer):
    name = serializers.CharField(max_length=100)
    expires_in_days = serializers.IntegerField(min_value=1, max_value=MAX_TOKEN_DAYS, required=False)
    can_create_tokens = serializers.BooleanField(
        default=False, help_text="whether the new token may itself create tokens; only a password login or a "
        "token with this right may give it",
    )


class ApiTokenCreatedSerializer(ApiTokenSerializer):
    token = serializers.CharField(help_text="the secret: shown this once, never again")

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "token"]
