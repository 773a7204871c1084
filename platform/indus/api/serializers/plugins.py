"""What the loaded plugins provide. These read the registry's frozen dataclasses directly."""
from rest_framework import serializers

from indus.plugins.manager import get_registry
from indus.training.hyperparameters import defaults


def names():
    return serializers.ListField(child=serializers.CharField())


class PluginSerializer(serializers.Serializer):
    name = serializers.CharField()
    module = serializers.CharField()
    distribution = serializers.CharField()
    version = serializers.CharField()
    enabled = serializers.BooleanField()
    loaded = serializers.BooleanField()
    errors = names()
    tasks = names()
    templates = names()
    heads = names()
    backbones = names()
    samples = names()


class TaskSerializer(serializers.Serializer):
    name = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    plugin = serializers.CharField()
    modality = serializers.CharField()
    head = serializers.CharField()
    backbone = serializers.CharField(help_text="the default backbone")
    metrics = names()


class TemplateSerializer(serializers.Serializer):
    name = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    modality = serializers.CharField()
    target_kind = serializers.CharField()
    input_types = names()
    head = serializers.CharField()
    backbone = serializers.CharField()
    metrics = names()
    horizon = serializers.IntegerField(allow_null=True, help_text="a forecast's steps ahead; null for other kinds")


class TaskDetailSerializer(TaskSerializer):
    contract = serializers.DictField(
        source="as_dict", help_text="the whole task declaration: inputs, target, presentation..."
    )
    samples = serializers.SerializerMethodField(help_text="sample datasets made for this task")

    hyperparameter_defaults = serializers.SerializerMethodField(
        help_text="backbone name: every hyperparameter's default for this task on that backbone "
        "(the table's, the backbone family's, then the task's own), for each backbone that reads its data"
    )

    def get_samples(self, task) -> list[str]:
        return [sample.name for sample in get_registry().samples_for_task(task.name)]

    def get_hyperparameter_defaults(self, task) -> dict:
        return {
            backbone.name: defaults(backbone=backbone, task=task)
            for backbone in sorted(get_registry().backbones.values(), key=lambda b: b.name)
            if task.modality in backbone.modalities
        }


class HeadSerializer(serializers.Serializer):
    name = serializers.CharField()
    title = serializers.CharField()
    factory = serializers.CharField()
    target_kinds = names()


class BackboneSerializer(serializers.Serializer):
    name = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    factory = serializers.CharField()
    modalities = names()
    parameter_count = serializers.IntegerField()
    max_length = serializers.IntegerField()
    hyperparameter_defaults = serializers.SerializerMethodField(
        help_text="every hyperparameter's default on this backbone: the table's, refined by the backbone's family"
    )
    search_space_defaults = serializers.DictField(
        read_only=True, help_text="what a sweep on this backbone searches when given no search_space: "
        'name: {"low", "high"[, "log"]} or {"choices"}, less the hyperparameters the sweep fixes'
    )

    def get_hyperparameter_defaults(self, backbone) -> dict:
        return defaults(backbone=backbone)


class SampleSerializer(serializers.Serializer):
    name = serializers.CharField()
    task = serializers.CharField()
    title = serializers.CharField()
    description = serializers.CharField()
    default_rows = serializers.IntegerField()
