"""REST API wiring under /api/v1/."""
from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "indus.api"

    def ready(self):
        # Registers the OpenAPI extensions (the token scheme) before any schema is built.
        from indus.api import schema  # noqa: F401
