"""What the loaded plugins provide: read by any authenticated user."""
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.exceptions import NotFound
from rest_framework.mixins import ListModelMixin
from rest_framework.response import Response

from indus.api.serializers.plugins import (
    BackboneSerializer,
    HeadSerializer,
    PluginSerializer,
    SampleSerializer,
    TaskDetailSerializer,
    TaskSerializer,
    TemplateSerializer,
)
from indus.api.views.base import ApiView
from indus.plugins.manager import get_registry


class RegistryListView(ListModelMixin, ApiView):
    """A list of one kind of thing from the plugin registry, in name order."""

    registry_attribute: str
    filter_backends = []

    def visible_queryset(self):
        components = getattr(get_registry(), self.registry_attribute)
        return [components[name] for name in sorted(components)]

    def get(self, request):
        return self.list(request)


def registry_list_view(attribute: str, serializer, summary: str) -> type[RegistryListView]:
    view = type(f"{attribute.title()}ListView", (RegistryListView,), {
        "registry_attribute": attribute, "serializer_class": serializer,
    })
    return extend_schema_view(get=extend_schema(summary=summary))(view)


PluginListView = registry_list_view("plugins", PluginSerializer, "List installed plugins, with their load errors")
TaskListView = registry_list_view("tasks", TaskSerializer, "List the tasks the loaded plugins provide")
TemplateListView = registry_list_view(
    "templates", TemplateSerializer, "List the task templates a binding maps onto a table's own columns")
HeadListView = registry_list_view("heads", HeadSerializer, "List task heads")
BackboneListView = registry_list_view("backbones", BackboneSerializer, "List backbones")
SampleListView = registry_list_view("samples", SampleSerializer, "List sample datasets")


class TaskDetailView(ApiView):
    serializer_class = TaskDetailSerializer

    @extend_schema(summary="Show a task with its whole contract")
    def get(self, request, name):
        task = get_registry().tasks.get(name)
        if task is None:
            raise NotFound(f"no loaded plugin provides task {name!r}")
        return Response(TaskDetailSerializer(task).data)
