from rest_framework import serializers

from indus.api.serializers.common import InputSerializer, UsernameField
from indus.plugins.verdict import is_flagged
from indus.registry.models import ModelAlias, ModelVersion, RegisteredModel
from indus.registry.selectors import model_version_baselines, model_version_verdict


class ModelAliasSerializer(serializers.ModelSerializer):
    version = serializers.IntegerField(source="version.number", read_only=True)
    canary_version = serializers.IntegerField(source="canary_version.number", read_only=True, allow_null=True, default=None)

    class Meta:
        model = ModelAlias
        fields = ["name", "version", "canary_version", "canary_percent", "log_sample_rate", "log_max_rows_per_hour",
                  "updated_at"]


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
    verdict = serializers.SerializerMethodField(
        help_text="against the baselines on the task's primary metric: verdict (beats_classical, "
        "beats_trivial_only, not_better_than_trivial or unjudged), title, metric, better, model, trivial, classical"
    )
    flagged = serializers.SerializerMethodField(
        help_text="true when the version does not beat the trivial baseline: an alias on it needs force"
    )

    class Meta:
        model = ModelVersion
        fields = ["id", "number", "metrics", "verdict", "flagged", "aliases", "dataset_version", "binding", "job",
                  "parent", "created_by", "created_at"]

    def get_verdict(self, version) -> dict:
        return model_version_verdict(version)

    def get_flagged(self, version) -> bool:
        return is_flagged(model_version_verdict(version))


class ModelVersionDetailSerializer(ModelVersionSerializer):
    head_spec = serializers.DictField(read_only=True)
    hyperparameters = serializers.DictField(read_only=True)
    reports = serializers.DictField(read_only=True, help_text="per-class report, confusion matrix...")
    baselines = serializers.SerializerMethodField(
        help_text="candidates: the trivial and classical baselines fitted on the version's own training split, "
        "each with name, family and test metrics; fitted_on_rows, training_rows and sampled, or skipped: why"
    )

    class Meta(ModelVersionSerializer.Meta):
        fields = [*ModelVersionSerializer.Meta.fields, "baselines", "head_spec", "hyperparameters", "reports",
                  "model_card"]

    def get_baselines(self, version) -> dict:
        return model_version_baselines(version)


class AliasSetSerializer(InputSerializer):
    version = serializers.IntegerField(min_value=1, help_text="the version number the alias points at")
    canary_version = serializers.IntegerField(
        min_value=1, required=False, allow_null=True, default=None,
        help_text="a second version number that answers canary_percent of the requests served under the alias",
    )
    canary_percent = serializers.IntegerField(
        min_value=0, max_value=100, required=False, default=0, help_text="the share (0-100) the canary answers",
    )
    log_sample_rate = serializers.FloatField(
        min_value=0.0, max_value=1.0, required=False, default=None,
        help_text="request logging: the share (0-1) of served rows written with their predictions to the dataset "
        "<model>-served; kept when not given",
    )
    log_max_rows_per_hour = serializers.IntegerField(
        min_value=0, required=False, default=None,
        help_text="request logging: at most this many rows per hour, more are dropped; kept when not given",
    )
    force = serializers.BooleanField(
        required=False, default=False,
        help_text="point the alias at a version that does not beat the trivial baseline anyway (audited)",
    )
