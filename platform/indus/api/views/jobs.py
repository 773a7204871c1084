from functools import cached_property

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, PolymorphicProxySerializer, extend_schema
from rest_framework.mixins import ListModelMixin
from rest_framework.response import Response

from indus.api import idempotency
from indus.api.downloads import DownloadNegotiation
from indus.api.filters import JobFilter
from indus.api.renderers import JSONRenderer
from indus.api.serializers.job_submissions import job_submissions
from indus.api.serializers.jobs import JobDetailSerializer, JobSerializer
from indus.api.views.base import ProjectScopedView
from indus.core.errors import field_error
from indus.inference.predictions_file import predictions_response
from indus.jobs.models import Job
from indus.jobs.selectors import job_list
from indus.jobs.services import job_cancel, job_retry


class JobView(ProjectScopedView):
    queryset = Job.objects.none()

    def visible_queryset(self):
        return job_list(project=self.project).select_related("created_by")

    @cached_property
    def job(self) -> Job:
        return self.scoped_object(self.get_queryset(), "job", pk=self.kwargs["job_id"])


class JobListView(ListModelMixin, JobView):
    serializer_class = JobSerializer
    filterset_class = JobFilter

    @extend_schema(summary="List the project's jobs, newest first")
    def get(self, request, project_slug):
        return self.list(request)

    @extend_schema(
        summary="Submit a job; `kind` says which (fine_tune, ...)",
        request=PolymorphicProxySerializer(
            component_name="JobSubmission", serializers=job_submissions, resource_type_field_name="kind"
        ),
        parameters=[idempotency.PARAMETER],
        responses={201: JobDetailSerializer, 200: JobDetailSerializer},
    )
    def post(self, request, project_slug):
        kind = request.data.get("kind") if isinstance(request.data, dict) else None
        submissions = job_submissions()
        submission = submissions.get(kind) if isinstance(kind, str) else None
        if submission is None:
            raise field_error("kind", f"give the job kind, one of: {', '.join(sorted(submissions))}",
                              code="unknown_kind")
        return self.submit_job(
            submission,
            lambda valid: valid.submit(project=self.project, user=request.user),
        )


class JobDetailView(JobView):
    serializer_class = JobDetailSerializer

    @extend_schema(summary="Show a job: progress, events and metric series")
    def get(self, request, project_slug, job_id):
        return Response(JobDetailSerializer(self.job).data)


class JobCancelView(JobView):
    serializer_class = JobDetailSerializer

    @extend_schema(summary="Cancel a job (a running one stops at its next check)", request=None)
    def post(self, request, project_slug, job_id):
        job = job_cancel(job=self.job)
        return Response(JobDetailSerializer(job).data)


class JobRetryView(JobView):
    serializer_class = JobDetailSerializer

    @extend_schema(summary="Run a failed or cancelled job again, as a new job", request=None,
                   responses={201: JobDetailSerializer})
    def post(self, request, project_slug, job_id):
        job = job_retry(job=self.job, created_by=request.user)
        return self.job_response(job)


class JobPredictionsView(JobView):
    renderer_classes = [JSONRenderer]
    content_negotiation_class = DownloadNegotiation

    @extend_schema(summary="Download the predictions of a finished batch-inference job",
                   responses={(200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY)})
    def get(self, request, project_slug, job_id):
        return predictions_response(job=self.job)
