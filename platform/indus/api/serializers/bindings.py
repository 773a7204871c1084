from rest_framework import serializers

from indus.api.serializers.common import InputSerializer, UsernameField
from indus.bindings.models import TaskBinding
from indus.bindings.selectors import task_binding_task


class TaskBindingInputSerializer(InputSerializer):
    """What a binding is made of; only the dataset version and the target must be given, the
    rest is inferred from the version's stored profile."""

    dataset_version = serializers.IntegerField(help_text="id of a dataset version of this project")
    target = serializers.CharField(help_text="the column to predict")
    template = serializers.CharField(required=False, help_text="e.g. indus.tabular_classification; inferred when not given")
    inputs = serializers.ListField(
        child=serializers.JSONField(), required=False,
        help_text='the input columns: names ("name:type" sets a type), or {"name": ..., "type": ...}; '
                  'inferred when not given',
    )
    id_column = serializers.CharField(required=False, help_text="the column that names each row in predictions")
    labels = serializers.ListField(child=serializers.CharField(), required=False,
                                   help_text="the target's labels, all of them; in order for ordinal levels")
    positive_label = serializers.CharField(required=False, help_text="a binary target's positive label")
    group_column = serializers.CharField(required=False, help_text="a ranking's user or query column, a forecast's series")
    time_column = serializers.CharField(
        required=False, help_text="the column of dates that orders a forecast's series; inferred when only one holds dates")


class TaskBindingQuerySerializer(serializers.Serializer):
    """The same, as query parameters of the infer call: `inputs` and `labels` repeated, an
    input's type after a colon (`inputs=mean radius:number`)."""

    dataset_version = serializers.IntegerField(help_text="id of a dataset version of this project")
    target = serializers.CharField(help_text="the column to predict: enough on its own")
    template = serializers.CharField(required=False)
    inputs = serializers.ListField(child=serializers.CharField(), required=False,
                                   help_text="input columns (repeat it), each optionally 'name:type'")
    id_column = serializers.CharField(required=False)
    labels = serializers.ListField(child=serializers.CharField(), required=False, help_text="repeat it, in order")
    positive_label = serializers.CharField(required=False)
    group_column = serializers.CharField(required=False)
    time_column = serializers.CharField(required=False)


class TaskBindingSerializer(serializers.ModelSerializer):
    target = serializers.CharField(source="target_column", read_only=True)
    created_by = UsernameField()
    model_versions = serializers.PrimaryKeyRelatedField(many=True, read_only=True,
                                                        help_text="ids of the model versions trained with it")

    class Meta:
        model = TaskBinding
        fields = ["id", "template", "dataset_version", "target", "inputs", "id_column", "left_out", "labels",
                  "positive_label", "group_column", "time_column", "model_versions", "created_by", "created_at"]


class TaskBindingDetailSerializer(TaskBindingSerializer):
    task = serializers.SerializerMethodField(help_text="the concrete task the binding makes, in the table's names")

    class Meta(TaskBindingSerializer.Meta):
        fields = [*TaskBindingSerializer.Meta.fields, "task"]

    def get_task(self, binding) -> dict | None:
        task = task_binding_task(binding)
        return None if task is None else task.as_dict()
