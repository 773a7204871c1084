from rest_framework import serializers

from indus.tenancy.models import AuditEntry


class AuditEntrySerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEntry
        fields = ["id", "created_at", "actor_username", "action", "object_type", "object_id", "summary",
                  "token_prefix", "ip_address", "user_agent"]
