from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.reverse import reverse

from indus.api.views.base import ApiView

TOP_LEVEL = ["projects", "tokens", "plugins", "tasks", "heads", "backbones", "samples"]


class ApiRootView(ApiView):
    @extend_schema(exclude=True)
    def get(self, request):
        links = {name: reverse(f"api:{name}", request=request) for name in TOP_LEVEL}
        links["schema"] = reverse("api-schema", request=request)
        links["docs"] = reverse("api-docs", request=request)
        return Response(links)
