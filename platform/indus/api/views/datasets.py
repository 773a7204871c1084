from functools import cached_property

from django.conf import settings
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.mixins import ListModelMixin
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from indus.api import idempotency
from indus.api.errors import PayloadTooLarge
from indus.api.filters import DatasetFilter
from indus.api.serializers.datasets import (
    DatasetCreateSerializer,
    DatasetFromSampleSerializer,
    DatasetFromSqlSerializer,
    DatasetPreviewSerializer,
    DatasetSerializer,
    DatasetUploadSerializer,
    DatasetVersionDetailSerializer,
    DatasetVersionSerializer,
    PreviewQuerySerializer,
)
from indus.api.serializers.jobs import JobDetailSerializer
from indus.api.views.base import ProjectScopedView
from indus.core.request_bodies import upload_body_limit
from indus.datasets.models import Dataset, DatasetVersion
from indus.datasets.selectors import dataset_list, dataset_version_list, dataset_version_preview
from indus.datasets.services import dataset_create, dataset_generate_sample, dataset_import_sql, dataset_upload


class DatasetListView(ListModelMixin, ProjectScopedView):
    serializer_class = DatasetSerializer
    queryset = Dataset.objects.none()
    filterset_class = DatasetFilter

    def visible_queryset(self):
        return dataset_list(project=self.project)

    @extend_schema(summary="List the project's datasets")
    def get(self, request, project_slug):
        return self.list(request)

    @extend_schema(summary="Create a dataset (then add versions to it)", request=DatasetCreateSerializer,
                   responses={201: DatasetSerializer})
    def post(self, request, project_slug):
        serializer = DatasetCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        dataset = dataset_create(project=self.project, created_by=request.user, **serializer.validated_data)
        return Response(DatasetSerializer(self.visible_queryset().get(pk=dataset.pk)).data, status=201)


class DatasetScopedView(ProjectScopedView):
    """A view under /datasets/{dataset_id}/."""

    @cached_property
    def dataset(self) -> Dataset:
        return self.scoped_object(dataset_list(project=self.project), "dataset", pk=self.kwargs["dataset_id"])


class DatasetDetailView(DatasetScopedView):
    serializer_class = DatasetSerializer
    queryset = Dataset.objects.none()

    @extend_schema(summary="Show a dataset")
    def get(self, request, project_slug, dataset_id):
        return Response(DatasetSerializer(self.dataset).data)


class DatasetUploadView(DatasetScopedView):
    """A file becomes a new version through an `import` job, which this returns."""

    parser_classes = [MultiPartParser]
    serializer_class = DatasetUploadSerializer

    def max_body_bytes(self) -> int:
        return upload_body_limit()

    @extend_schema(summary="Upload a file (CSV, JSON Lines, Parquet) as a new version",
                   request={"multipart/form-data": DatasetUploadSerializer}, responses={201: JobDetailSerializer})
    def post(self, request, project_slug, dataset_id):
        dataset = self.dataset
        serializer = DatasetUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if data["file"].size > settings.INDUS_MAX_UPLOAD_BYTES:
            raise PayloadTooLarge(
                f"the file is {data['file'].size} bytes; uploads are limited to {settings.INDUS_MAX_UPLOAD_BYTES}",
                field="file",
            )
        job = dataset_upload(dataset=dataset, created_by=request.user, **data)
        return self.job_response(job)


class DatasetJobView(DatasetScopedView):
    """POST: queue the job that makes a new version of the dataset, once per Idempotency-Key.
    `make_version` is the service: (dataset=, created_by=, **the body's fields) -> Job."""

    make_version: staticmethod

    def post(self, request, project_slug, dataset_id):
        dataset = self.dataset
        return self.submit_job(
            self.serializer_class,
            lambda valid: self.make_version(dataset=dataset, created_by=request.user, **valid.validated_data),
        )


def _job_schema(summary: str):
    return extend_schema_view(post=extend_schema(
        summary=summary, parameters=[idempotency.PARAMETER],
        responses={201: JobDetailSerializer, 200: JobDetailSerializer},
    ))


@_job_schema("Make a new version from a plugin's sample generator (a `sample` job)")
class DatasetFromSampleView(DatasetJobView):
    serializer_class = DatasetFromSampleSerializer
    make_version = staticmethod(dataset_generate_sample)


@_job_schema("Make a new version from a read-only SQL query (an `sql_import` job)")
class DatasetFromSqlView(DatasetJobView):
    serializer_class = DatasetFromSqlSerializer
    make_version = staticmethod(dataset_import_sql)


class DatasetVersionView(DatasetScopedView):
    queryset = DatasetVersion.objects.none()
    filter_backends = []

    def visible_queryset(self):
        return dataset_version_list(dataset=self.dataset)

    @cached_property
    def version(self) -> DatasetVersion:
        return self.scoped_object(self.get_queryset(), f"version of dataset {self.dataset.name!r} numbered",
                                  number=self.kwargs["number"])


class DatasetVersionListView(ListModelMixin, DatasetVersionView):
    serializer_class = DatasetVersionSerializer

    @extend_schema(summary="List a dataset's versions, newest first")
    def get(self, request, project_slug, dataset_id):
        return self.list(request)


class DatasetVersionDetailView(DatasetVersionView):
    serializer_class = DatasetVersionDetailSerializer

    @extend_schema(summary="Show a version: its columns and profile")
    def get(self, request, project_slug, dataset_id, number):
        return Response(DatasetVersionDetailSerializer(self.version).data)


class DatasetVersionPreviewView(DatasetVersionView):
    serializer_class = DatasetPreviewSerializer

    @extend_schema(summary="The first rows of a version", parameters=[PreviewQuerySerializer])
    def get(self, request, project_slug, dataset_id, number):
        query = PreviewQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        return Response(dataset_version_preview(version=self.version, rows=query.validated_data["rows"]))
