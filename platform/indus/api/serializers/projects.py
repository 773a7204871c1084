from rest_framework import serializers

from indus.api.serializers.common import InputSerializer
from indus.tenancy.models import Membership, Project, Role


class ProjectSerializer(serializers.ModelSerializer):
    role = serializers.ChoiceField(choices=Role.choices, read_only=True, source="my_role",
                                   help_text="your role in the project")

    class Meta:
        model = Project
        fields = ["slug", "name", "description", "created_at", "role"]


class ProjectCreateSerializer(InputSerializer):
    slug = serializers.SlugField(max_length=64)
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")


class MemberSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = Membership
        fields = ["username", "role", "created_at"]


class MemberAddSerializer(InputSerializer):
    username = serializers.CharField(max_length=150)
    role = serializers.ChoiceField(choices=Role.choices)


class MemberRoleSerializer(InputSerializer):
    role = serializers.ChoiceField(choices=Role.choices)
