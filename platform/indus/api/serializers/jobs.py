from collections import defaultdict

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from indus.api.serializers.common import UsernameField
from indus.jobs.models import Job, JobEvent
from indus.jobs.selectors import job_spec


class JobSerializer(serializers.ModelSerializer):
    created_by = UsernameField()
    cancel_requested = serializers.SerializerMethodField()

    class Meta:
        model = Job
        fields = ["id", "kind", "state", "progress", "progress_message", "queue", "attempts", "max_attempts",
                  "error", "retry_of", "cancel_requested", "created_by", "created_at", "started_at", "finished_at"]

    def get_cancel_requested(self, job: Job) -> bool:
        return job.cancel_requested_at is not None


class JobEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = JobEvent
        fields = ["created_at", "level", "attempt", "message"]


class MetricPointSerializer(serializers.Serializer):
    step = serializers.IntegerField()
    value = serializers.FloatField(allow_null=True, help_text="null for a NaN or infinite value")


class CurrentSpecField(serializers.DictField):
    """The job's spec in its kind's current version, however old the row."""

    def get_attribute(self, job: Job) -> dict:
        return job_spec(job=job)


class JobDetailSerializer(JobSerializer):
    spec = CurrentSpecField(read_only=True)
    result = serializers.DictField(read_only=True, allow_null=True)
    events = JobEventSerializer(many=True, read_only=True)
    metrics = serializers.SerializerMethodField()

    class Meta(JobSerializer.Meta):
        fields = [*JobSerializer.Meta.fields, "spec", "result", "events", "metrics"]

    @extend_schema_field(serializers.DictField(child=MetricPointSerializer(many=True),
                                               help_text="each metric's series: {name: [{step, value}]}"))
    def get_metrics(self, job: Job) -> dict[str, list[dict]]:
        series = defaultdict(list)
        for point in job.metrics.order_by("name", "step"):
            series[point.name].append({"step": point.step, "value": point.value})
        return dict(series)

