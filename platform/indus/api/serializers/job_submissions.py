"""The kinds of job that POST /projects/{slug}/jobs/ creates, one serializer each.

A new kind (batch inference, evaluation) is a new subclass of `JobSubmission` that declares
its fields and calls its service in `submit`, registered with `@job_submission("kind")`; the
endpoint, its OpenAPI schema and the CLI's `jobs submit` pick it up from `JOB_SUBMISSIONS`.
"""
from rest_framework import serializers

from indus.api.serializers.common import InputSerializer

from indus.core.errors import field_error
from indus.datasets.models import DatasetVersion
from indus.evaluation.services import evaluation_submit
from indus.jobs.models import Job
from indus.registry.models import ModelVersion
from indus.inference.services import BAD_ROW_POLICIES, MAX_BATCH_SIZE, OUTPUT_FORMATS, batch_inference_submit
from indus.training.services import fine_tune_submit

JOB_SUBMISSIONS: dict[str, type["JobSubmission"]] = {}


def job_submission(kind: str):
    def register(cls: type["JobSubmission"]) -> type["JobSubmission"]:
        # The discriminator: each kind's schema accepts exactly its own name.
        cls._declared_fields["kind"] = serializers.ChoiceField(choices=[kind], help_text="the job kind")
        JOB_SUBMISSIONS[kind] = cls
        return cls

    return register


class JobSubmission(InputSerializer):
    def submit(self, *, project, user) -> Job:
        """Create the job through the kind's service (which raises ValidationErrors per field)."""
        raise NotImplementedError


def in_project(queryset, pk: int | None, *, field: str, noun: str):
    """The object with this id if it belongs to the project the queryset is scoped to."""
    if pk is None:
        return None
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise field_error(field, f"no {noun} with id {pk} in this project", code="not_found")
    return found


def project_dataset_version(project, pk: int | None, *, field: str = "dataset_version") -> DatasetVersion | None:
    return in_project(DatasetVersion.objects.filter(dataset__project=project).select_related("dataset"),
                      pk, field=field, noun="dataset version")


def project_model_version(project, pk: int | None, *, field: str = "model_version") -> ModelVersion | None:
    return in_project(ModelVersion.objects.filter(model__project=project).select_related("model"),
                      pk, field=field, noun="model version")


@job_submission("fine_tune")
class FineTuneSubmission(JobSubmission):
    dataset_version = serializers.IntegerField(help_text="id of a dataset version of this project")
    task = serializers.CharField(help_text="a task a loaded plugin provides, e.g. finance.news_sentiment")
    model_name = serializers.CharField(max_length=100, help_text="the registered model the result becomes a version of")
    backbone = serializers.CharField(required=False, allow_null=True, default=None,
                                     help_text="defaults to the task's backbone")
    hyperparameters = serializers.DictField(required=False, default=dict)
    parent_version = serializers.IntegerField(required=False, allow_null=True, default=None,
                                              help_text="id of a model version to warm-start from")
    processes = serializers.IntegerField(default=1, min_value=1, help_text="training processes (DDP)")

    def submit(self, *, project, user) -> Job:
        data = self.validated_data
        return fine_tune_submit(
            project=project,
            dataset_version=project_dataset_version(project, data["dataset_version"]),
            task=data["task"],
            model_name=data["model_name"],
            backbone=data["backbone"],
            hyperparameters=data["hyperparameters"],
            parent_version=project_model_version(project, data["parent_version"], field="parent_version"),
            processes=data["processes"],
            created_by=user,
        )


@job_submission("batch_inference")
class BatchInferenceSubmission(JobSubmission):
    model_version = serializers.IntegerField(help_text="id of a model version of this project")
    dataset_version = serializers.IntegerField(help_text="id of the dataset version to predict for")
    output_format = serializers.ChoiceField(choices=OUTPUT_FORMATS, default="parquet")
    id_column = serializers.CharField(required=False, allow_null=True, default=None,
                                      help_text="copied to the output; defaults to the task's id column")
    on_bad_rows = serializers.ChoiceField(choices=BAD_ROW_POLICIES, default="fail",
                                          help_text="fail before any compute, or mark bad rows in an error column")
    explain = serializers.DictField(required=False, allow_null=True, default=None,
                                    help_text='{"rows": [row numbers]} or {"top": k}')
    int8 = serializers.BooleanField(default=False, help_text="dynamic int8 quantisation on CPU workers")
    batch_size = serializers.IntegerField(default=64, min_value=1, max_value=MAX_BATCH_SIZE)

    def submit(self, *, project, user) -> Job:
        data = self.validated_data
        return batch_inference_submit(
            project=project,
            model_version=project_model_version(project, data["model_version"]),
            dataset_version=project_dataset_version(project, data["dataset_version"]),
            output_format=data["output_format"],
            id_column=data["id_column"],
            on_bad_rows=data["on_bad_rows"],
            explain=data["explain"],
            int8=data["int8"],
            batch_size=data["batch_size"],
            created_by=user,
        )


@job_submission("evaluate")
class EvaluateSubmission(JobSubmission):
    model_version = serializers.IntegerField(help_text="id of the model version of this project to score")
    dataset_version = serializers.IntegerField(
        help_text="id of a dataset version of this project with the task's input columns and its target column"
    )

    def submit(self, *, project, user) -> Job:
        data = self.validated_data
        return evaluation_submit(
            project=project,
            model_version=project_model_version(project, data["model_version"]),
            dataset_version=project_dataset_version(project, data["dataset_version"]),
            created_by=user,
        )
