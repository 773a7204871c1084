from rest_framework import serializers

from indus.api.serializers.common import InputSerializer, UsernameField
from indus.datasets.models import Dataset, DatasetVersion, DatasetVersionPreview
from indus.datasets.selectors import dataset_version_tasks


class DatasetSerializer(serializers.ModelSerializer):
    created_by = UsernameField()
    latest_version = serializers.IntegerField(read_only=True, allow_null=True,
                                              help_text="the number of its newest version")

    class Meta:
        model = Dataset
        fields = ["id", "name", "description", "created_by", "created_at", "latest_version"]


class DatasetCreateSerializer(InputSerializer):
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")


class ColumnSerializer(serializers.Serializer):
    name = serializers.CharField()
    type = serializers.CharField(help_text="the Arrow type, e.g. int64, string")


class DatasetVersionSerializer(serializers.ModelSerializer):
    columns = ColumnSerializer(many=True, read_only=True)
    created_by = UsernameField()
    tasks = serializers.SerializerMethodField(help_text="the tasks its data was checked against and fits, "
                                                        "in the order it was imported for them")

    class Meta:
        model = DatasetVersion
        fields = ["id", "number", "sha256", "source", "source_name", "row_count", "size_bytes", "columns",
                  "tasks", "import_job", "created_by", "created_at"]

    def get_tasks(self, version) -> list[str]:
        return dataset_version_tasks(version=version)


class DatasetVersionDetailSerializer(DatasetVersionSerializer):
    profile = serializers.DictField(read_only=True, help_text="row_count and, per column, missing values, "
                                                              "distinct count, min/max/mean and top values")

    class Meta(DatasetVersionSerializer.Meta):
        fields = [*DatasetVersionSerializer.Meta.fields, "profile"]


class DatasetPreviewSerializer(serializers.Serializer):
    columns = serializers.ListField(child=serializers.CharField())
    rows = serializers.ListField(child=serializers.DictField(), help_text="the first rows, column: value")
    truncated = serializers.BooleanField(help_text="true if long values were cut (to 1,000 characters) or rows "
                                                   "left out to keep the preview within INDUS_PREVIEW_MAX_BYTES")


class PreviewQuerySerializer(serializers.Serializer):
    rows = serializers.IntegerField(min_value=1, max_value=DatasetVersionPreview.MAX_ROWS, default=20)


class DatasetUploadSerializer(InputSerializer):
    file = serializers.FileField(help_text="CSV, JSON Lines or Parquet")
    encoding = serializers.CharField(default="utf-8", max_length=40)
    delimiter = serializers.CharField(default=",", max_length=1, trim_whitespace=False)
    task = serializers.CharField(required=False, allow_null=True, default=None,
                                 help_text="check the data against this task when it is imported")


class DatasetFromSampleSerializer(InputSerializer):
    sample = serializers.CharField(help_text="a sample dataset a plugin provides, e.g. finance.news_headlines")
    rows = serializers.IntegerField(required=False, allow_null=True, default=None)
    seed = serializers.IntegerField(default=0, min_value=0, max_value=2**31 - 1)


class DatasetFromSqlSerializer(InputSerializer):
    url = serializers.CharField(write_only=True, max_length=2000,
                                help_text="SQLAlchemy URL, e.g. postgresql+psycopg://reader:…@db/sales")
    query = serializers.CharField(max_length=100_000, help_text="one SELECT or WITH statement")
    task = serializers.CharField(required=False, allow_null=True, default=None)
    timeout_seconds = serializers.IntegerField(required=False, allow_null=True, default=None,
                                               help_text="stop the query after this long")
    keep_credentials = serializers.BooleanField(
        default=False, help_text="keep the URL (encrypted) after the import ends, so that you can retry it; "
                                 "by default it is deleted")
