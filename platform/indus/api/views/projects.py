from drf_spectacular.utils import extend_schema
from rest_framework.mixins import ListModelMixin
from rest_framework.response import Response

from indus.api.serializers.projects import (
    MemberAddSerializer,
    MemberRoleSerializer,
    MemberSerializer,
    ProjectCreateSerializer,
    ProjectSerializer,
)
from indus.api.views.base import ApiView, ProjectScopedView
from indus.tenancy.models import Membership, Project, Role
from indus.tenancy.selectors import membership_list, project_list_with_role
from indus.tenancy.services import membership_add, membership_change_role, membership_remove, project_create


class ProjectListView(ListModelMixin, ApiView):
    serializer_class = ProjectSerializer
    queryset = Project.objects.none()
    filter_backends = []

    def visible_queryset(self):
        return project_list_with_role(user=self.request.user)

    @extend_schema(summary="List the projects you are a member of")
    def get(self, request):
        return self.list(request)

    @extend_schema(summary="Create a project; you become its owner", request=ProjectCreateSerializer,
                   responses={201: ProjectSerializer})
    def post(self, request):
        serializer = ProjectCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        project = project_create(owner=request.user, **serializer.validated_data)
        project.my_role = Role.OWNER
        return Response(ProjectSerializer(project).data, status=201)


class ProjectDetailView(ProjectScopedView):
    serializer_class = ProjectSerializer

    @extend_schema(summary="Show a project")
    def get(self, request, project_slug):
        self.project.my_role = self.project_role
        return Response(ProjectSerializer(self.project).data)


class MemberView(ProjectScopedView):
    """Members are managed, and listed, by the project's owners."""

    read_role = write_role = Role.OWNER
    serializer_class = MemberSerializer
    queryset = Membership.objects.none()
    filter_backends = []

    def visible_queryset(self):
        return membership_list(project=self.project)


class MemberListView(ListModelMixin, MemberView):
    @extend_schema(summary="List the project's members")
    def get(self, request, project_slug):
        return self.list(request)

    @extend_schema(summary="Add a member", request=MemberAddSerializer, responses={201: MemberSerializer})
    def post(self, request, project_slug):
        serializer = MemberAddSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        membership = membership_add(project=self.project, **serializer.validated_data)
        return Response(MemberSerializer(membership).data, status=201)


class MemberDetailView(MemberView):
    def membership(self, username: str) -> Membership:
        return self.scoped_object(self.get_queryset(), "member", user__username=username)

    @extend_schema(summary="Change a member's role", request=MemberRoleSerializer, responses={200: MemberSerializer})
    def patch(self, request, project_slug, username):
        serializer = MemberRoleSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        membership = membership_change_role(membership=self.membership(username), **serializer.validated_data)
        return Response(MemberSerializer(membership).data)

    @extend_schema(summary="Remove a member", responses={204: None})
    def delete(self, request, project_slug, username):
        membership = self.membership(username)
        membership_remove(membership=membership)
        return Response(status=204)
