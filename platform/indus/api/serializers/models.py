from rest_framework import serializers

from indus.api.serializers.common import InputSerializer, UsernameField
from indus.registry.models import ModelAlias, ModelVersion, RegisteredModel


class ModelAliasSerializer(serializers.ModelSerializer):
    version = serializers.IntegerField(source="version.number", read_only=True)

    class Meta:
        model = ModelAlias
        fields = ["name", "version", "updated_at"]


class RegisteredModelSerializer(serializers.ModelSerializer):
    latest_version = serializers.IntegerField(read_only=True, allow_null=True)
    aliases = ModelAliasSerializer(many=True, read_only=True)

    class Meta:
        model = RegisteredModel
        fields = ["id", "name", "task", "description", "created_at", "latest_version", "aliases"]


class ModelVersionSerializer(serializers.ModelSerializer):
    created_by = UsernameField()
    aliases = serializers.SlugRelatedField(many=True, read_only=True, slug_field="name")
    metrics = serializers.DictField(read_only=True)

    class Meta:
        model = ModelVersion
        fields = ["id", "number", "metrics", "aliases", "dataset_version", "job", "parent", "created_by",
                  "created_at"]


class ModelVersionDetailSerializer(ModelVersionSerializer):
    head_spec = serializers.DictField(read_only=True)
    hyperparameters = serializers.DictField(read_only=True)
    reports = serializers.DictField(read_only=True, help_text="per-class report, confusion matrix...")

    class Meta(ModelVersionSerializer.Meta):
        fields = [*ModelVersionSerializer.Meta.fields, "head_spec", "hyperparameters", "reports", "model_card"]


class AliasSetSerializer(InputSerializer):
    version = serializers.IntegerField(min_value=1, help_text="the version number the alias points at")
