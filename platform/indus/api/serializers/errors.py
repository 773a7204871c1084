from rest_framework import serializers


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="machine-readable, e.g. not_found, role_required, too_large")
    message = serializers.CharField(help_text="what is wrong, for a person")
    field = serializers.CharField(allow_null=True, help_text="the field (or header) concerned, if any")
    details = serializers.DictField(help_text="more, e.g. every field error under `errors`")


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()
