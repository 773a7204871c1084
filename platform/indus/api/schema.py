"""OpenAPI: every operation documents the error responses the API can give, in its format."""
from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiResponse

from indus.api.serializers.errors import ErrorSerializer

ERRORS = {
    400: "invalid request: `field` names what is wrong",
    401: "not authenticated, or the token is invalid, revoked or expired",
    403: "your role in the project does not allow this",
    404: "no such object in this project (or no such project among yours)",
    429: "too many requests; retry after Retry-After seconds",
}
BODY_ERRORS = {
    409: "conflicts with the object's state, or with an earlier use of the Idempotency-Key",
    413: "the request body is larger than allowed",
    415: "unsupported content type",
}


class AutoSchema(openapi.AutoSchema):
    def get_tags(self):
        """Group operations by resource: /projects/{slug}/jobs/... is `jobs`."""
        words = [part for part in self.path.split("/") if part and not part.startswith("{")]
        resource = words[2:] if words[:2] == ["api", "v1"] else words
        return [resource[1] if resource[0] == "projects" and len(resource) > 1 else resource[0]]

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        errors = {**ERRORS, **(BODY_ERRORS if self.method in ("POST", "PUT", "PATCH", "DELETE") else {})}
        for code, description in errors.items():
            responses.setdefault(
                str(code), self._get_response_for_code(OpenApiResponse(ErrorSerializer, description), str(code))
            )
        return responses


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "indus.api.authentication.BearerTokenAuthentication"
    name = "bearerToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token (`indus_…`) from POST /api/v1/tokens/ or `manage.py create_api_token`.",
        }
