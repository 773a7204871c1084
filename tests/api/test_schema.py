"""The OpenAPI schema and its interactive page."""
import re

from django.contrib.staticfiles import finders
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient


def test_the_schema_is_valid_openapi_3_and_documents_the_error_format(user, api_client):
    response = api_client(user).get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    validate_schema(schema)  # raises on anything OpenAPI 3 does not allow
    assert schema["openapi"].startswith("3.")
    bearer = schema["components"]["securitySchemes"]["bearerToken"]
    assert (bearer["type"], bearer["scheme"]) == ("http", "bearer")
    cancel = schema["paths"]["/api/v1/projects/{project_slug}/jobs/{job_id}/cancel/"]["post"]
    assert {"200", "400", "401", "403", "404", "409"} <= set(cancel["responses"])
    assert cancel["responses"]["409"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    submit = schema["paths"]["/api/v1/projects/{project_slug}/jobs/"]["post"]
    assert "Idempotency-Key" in [p["name"] for p in submit["parameters"]]


def test_the_schema_needs_a_login():
    assert APIClient().get("/api/schema/").status_code == 401


def test_the_docs_page_loads_swagger_ui_from_this_server(admin_client):
    page = admin_client.get("/api/docs/").content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert any("swagger-ui-bundle.js" in asset for asset in assets)
    assert not [asset for asset in assets if asset.startswith(("http:", "https:", "//"))]
    # The page's set-up script is served by the page's own view (`?script=`, for the
    # Content-Security-Policy: tests/security/test_csp.py); everything else is a static file.
    for asset in assets:
        if not asset.startswith("/api/docs/?script"):
            assert finders.find(asset.removeprefix("/static/")), f"{asset} is not a local static file"


def test_the_browsable_api_renders_every_read_for_a_logged_in_owner(world, client):
    from .test_access_matrix import MATRIX, project_url

    client.force_login(world.users["owner"])
    for path in sorted({row[2] for row in MATRIX if row[1] == "get"}):
        response = client.get(project_url(world, path), HTTP_ACCEPT="text/html")
        assert response.status_code == 200, path
