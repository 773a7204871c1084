from django.contrib import admin
from django.db import connection
from django.http import JsonResponse
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView


def healthz(request):
    """Liveness for load balancers and compose healthchecks: the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("indus.api.urls")),
    # The schema and its interactive page need a login like everything else (settings:
    # SPECTACULAR_SETTINGS["SERVE_PERMISSIONS"]); Swagger UI's files are served from here.
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves the docs page's set-up script as a file (`?script`), not inline,
    # so the Content-Security-Policy allows no inline script (settings: CONTENT_SECURITY_POLICY).
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("healthz", healthz),
]

# Under /api/ even a URL that matches no view answers in the API's error format.
handler404 = "indus.api.errors.not_found"
handler500 = "indus.api.errors.server_error"
