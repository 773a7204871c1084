from functools import cached_property

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.mixins import ListModelMixin
from rest_framework.response import Response

from indus.api.downloads import DownloadNegotiation
from indus.api.filters import RegisteredModelFilter
from indus.api.renderers import JSONRenderer
from indus.api.serializers.models import (
    AliasSetSerializer,
    ModelAliasSerializer,
    ModelVersionDetailSerializer,
    ModelVersionSerializer,
    RegisteredModelSerializer,
)
from indus.api.views.base import ProjectScopedView
from indus.core.zip_download import zip_folder_response
from indus.registry.models import ModelAlias, ModelVersion, RegisteredModel
from indus.registry.selectors import model_alias_list, model_version_list, registered_model_list
from indus.registry.services import model_alias_delete, model_alias_set
from indus.tenancy.models import Role


class ModelListView(ListModelMixin, ProjectScopedView):
    serializer_class = RegisteredModelSerializer
    queryset = RegisteredModel.objects.none()
    filterset_class = RegisteredModelFilter

    def visible_queryset(self):
        return registered_model_list(project=self.project)

    @extend_schema(summary="List the project's registered models")
    def get(self, request, project_slug):
        return self.list(request)


class ModelScopedView(ProjectScopedView):
    """A view under /models/{model_id}/."""

    @cached_property
    def model(self) -> RegisteredModel:
        return self.scoped_object(registered_model_list(project=self.project), "model", pk=self.kwargs["model_id"])


class ModelDetailView(ModelScopedView):
    serializer_class = RegisteredModelSerializer

    @extend_schema(summary="Show a model with its aliases")
    def get(self, request, project_slug, model_id):
        return Response(RegisteredModelSerializer(self.model).data)


class ModelVersionView(ModelScopedView):
    queryset = ModelVersion.objects.none()
    filter_backends = []

    def visible_queryset(self):
        return model_version_list(model=self.model)

    @cached_property
    def version(self) -> ModelVersion:
        return self.scoped_object(self.get_queryset(), f"version of model {self.model.name!r} numbered",
                                  number=self.kwargs["number"])


class ModelVersionListView(ListModelMixin, ModelVersionView):
    serializer_class = ModelVersionSerializer

    @extend_schema(summary="List a model's versions, newest first")
    def get(self, request, project_slug, model_id):
        return self.list(request)


class ModelVersionDetailView(ModelVersionView):
    serializer_class = ModelVersionDetailSerializer

    @extend_schema(summary="Show a version: metrics, reports, model card and lineage")
    def get(self, request, project_slug, model_id, number):
        return Response(ModelVersionDetailSerializer(self.version).data)


class ModelArtifactsView(ModelVersionView):
    renderer_classes = [JSONRenderer]
    content_negotiation_class = DownloadNegotiation

    @extend_schema(summary="Download a version's files (weights, tokenizer, config, card) as a zip",
                   responses={(200, "application/zip"): OpenApiResponse(OpenApiTypes.BINARY)})
    def get(self, request, project_slug, model_id, number):
        version = self.version
        return zip_folder_response(version.artifact_path, f"{self.model.name}-v{version.number}.zip")


class AliasView(ModelScopedView):
    """Aliases are read by viewers and moved by owners."""

    write_role = Role.OWNER
    serializer_class = ModelAliasSerializer
    queryset = ModelAlias.objects.none()
    filter_backends = []

    def visible_queryset(self):
        return model_alias_list(model=self.model)


class AliasListView(ListModelMixin, AliasView):
    @extend_schema(summary="List a model's aliases")
    def get(self, request, project_slug, model_id):
        return self.list(request)


class AliasDetailView(AliasView):
    @extend_schema(summary="Point an alias (production, staging...) at a version", request=AliasSetSerializer)
    def put(self, request, project_slug, model_id, name):
        serializer = AliasSetSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        version = self.scoped_object(model_version_list(model=self.model), f"version of model {self.model.name!r} numbered",
                                     number=data["version"])
        canary = None
        if data["canary_version"] is not None:
            canary = self.scoped_object(model_version_list(model=self.model), f"version of model {self.model.name!r} numbered",
                                        number=data["canary_version"])
        alias = model_alias_set(version=version, name=name, canary_version=canary, canary_percent=data["canary_percent"],
                                force=data["force"], log_sample_rate=data["log_sample_rate"],
                                log_max_rows_per_hour=data["log_max_rows_per_hour"])
        return Response(ModelAliasSerializer(alias).data)

    @extend_schema(summary="Remove an alias", responses={204: None})
    def delete(self, request, project_slug, model_id, name):
        model_alias_delete(model=self.model, name=name)
        return Response(status=204)
