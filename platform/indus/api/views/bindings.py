from functools import cached_property

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.mixins import ListModelMixin
from rest_framework.response import Response

from indus.api.serializers.bindings import (
    TaskBindingDetailSerializer,
    TaskBindingInputSerializer,
    TaskBindingQuerySerializer,
    TaskBindingSerializer,
)
from indus.api.views.base import ProjectScopedView
from indus.bindings.models import TaskBinding
from indus.bindings.selectors import proposal_as_dict, task_binding_list, task_binding_proposal
from indus.bindings.services import task_binding_create
from indus.datasets.models import DatasetVersion


class TaskBindingInputView(ProjectScopedView):
    """A view that reads a binding's input: the dataset version is looked up in the project."""

    def bound_input(self, serializer) -> tuple[DatasetVersion, dict]:
        serializer.is_valid(raise_exception=True)
        values = dict(serializer.validated_data)
        version = self.scoped_object(
            DatasetVersion.objects.filter(dataset__project=self.project).select_related("dataset"),
            "dataset version", pk=values.pop("dataset_version"),
        )
        return version, values


class TaskBindingListView(ListModelMixin, TaskBindingInputView):
    serializer_class = TaskBindingSerializer
    queryset = TaskBinding.objects.none()
    filter_backends = []

    def visible_queryset(self):
        return task_binding_list(project=self.project).prefetch_related("model_versions")

    @extend_schema(summary="List the project's task bindings, newest first")
    def get(self, request, project_slug):
        return self.list(request)

    @extend_schema(summary="Bind a task template to a dataset's own columns (only the target must be given)",
                   request=TaskBindingInputSerializer, responses={201: TaskBindingDetailSerializer})
    def post(self, request, project_slug):
        version, values = self.bound_input(TaskBindingInputSerializer(data=request.data))
        binding = task_binding_create(project=self.project, dataset_version=version, created_by=request.user, **values)
        return Response(TaskBindingDetailSerializer(binding).data, status=201)


class TaskBindingInferView(TaskBindingInputView):
    """A read: the proposal comes from the stored profile, nothing is saved, so a viewer may ask."""

    serializer_class = TaskBindingQuerySerializer

    @extend_schema(summary="Propose a binding from the dataset version's stored profile; nothing is saved",
                   parameters=[TaskBindingQuerySerializer], responses={200: OpenApiTypes.OBJECT})
    def get(self, request, project_slug):
        version, values = self.bound_input(TaskBindingQuerySerializer(data=request.query_params))
        return Response(proposal_as_dict(task_binding_proposal(dataset_version=version, **values)))


class TaskBindingDetailView(ProjectScopedView):
    serializer_class = TaskBindingDetailSerializer
    queryset = TaskBinding.objects.none()

    @cached_property
    def binding(self) -> TaskBinding:
        return self.scoped_object(task_binding_list(project=self.project), "task binding", pk=self.kwargs["binding_id"])

    @extend_schema(summary="Show a task binding with the concrete task it makes")
    def get(self, request, project_slug, binding_id):
        return Response(TaskBindingDetailSerializer(self.binding).data)
