from functools import cached_property

from django.conf import settings
from rest_framework.exceptions import NotFound
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from indus.api.errors import PayloadTooLarge
from indus.api.idempotency import submit_once
from indus.api.permissions import HasProjectRole
from indus.api.serializers.jobs import JobDetailSerializer
from indus.core.request_bodies import body_too_large_message
from indus.tenancy.models import Role
from indus.tenancy.selectors import project_for_member, user_role_in_project


class ApiView(GenericAPIView):
    """Every API view: bodies larger than the view allows are refused from their declared
    length, before any of the body is read (or authentication reads it for a CSRF check)."""

    def max_body_bytes(self) -> int:
        return settings.DATA_UPLOAD_MAX_MEMORY_SIZE

    def initial(self, request, *args, **kwargs):
        declared = request.META.get("CONTENT_LENGTH") or "0"
        limit = self.max_body_bytes()
        if declared.isdigit() and int(declared) > limit:
            raise PayloadTooLarge(body_too_large_message(int(declared), limit))
        super().initial(request, *args, **kwargs)

    def get_queryset(self):
        # drf-spectacular builds the schema without a request: the view's declared (empty)
        # queryset tells it the model, which types the path parameters.
        if getattr(self, "swagger_fake_view", False):
            return self.queryset
        return self.visible_queryset()

    def visible_queryset(self):
        raise NotImplementedError


class ProjectScopedView(ApiView):
    """A view under /projects/{project_slug}/: everything it shows belongs to that project.

    Reading needs the viewer role and changing the editor role, unless the view says more.
    """

    permission_classes = [IsAuthenticated, HasProjectRole]
    read_role = Role.VIEWER
    write_role = Role.EDITOR

    def required_role(self, method: str) -> Role:
        return self.read_role if method in ("GET", "HEAD", "OPTIONS") else self.write_role

    @cached_property
    def project(self):
        slug = self.kwargs["project_slug"]
        project = project_for_member(user=self.request.user, slug=slug)
        if project is None:
            raise NotFound(f"no project {slug!r} among yours")
        return project

    @cached_property
    def project_role(self) -> Role:
        return user_role_in_project(user=self.request.user, project=self.project)

    def scoped_object(self, queryset, noun: str, **lookup):
        """The object of this project, or a 404 that says what was not found where."""
        found = queryset.filter(**lookup).first()
        if found is None:
            described = " ".join(str(value) for value in lookup.values())
            raise NotFound(f"no {noun} {described} in project {self.project.slug}")
        return found

    def submit_job(self, serializer_class, make_job) -> Response:
        """Validate the body with `serializer_class`, then `make_job(serializer)`, once per
        Idempotency-Key (validation runs inside, so a refused request frees its key)."""

        def submit():
            serializer = serializer_class(data=self.request.data)
            serializer.is_valid(raise_exception=True)
            return make_job(serializer)

        job, replayed = submit_once(request=self.request, project=self.project, submit=submit)
        return self.job_response(job, replayed=replayed)

    def job_response(self, job, *, replayed: bool = False) -> Response:
        """The response of every endpoint that makes a job: 201 with the job (200 when an
        Idempotency-Key replays an earlier request, which made the job and its audit entry)."""
        return Response(JobDetailSerializer(job).data, status=200 if replayed else 201)
