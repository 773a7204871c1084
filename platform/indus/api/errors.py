"""One error format for every API response that is not a success:

    {"error": {"code": "...", "message": "...", "field": "..." | null, "details": {...}}}

`exception_handler` (DRF's EXCEPTION_HANDLER) builds it from DRF's exceptions and from what
services raise (Django's ValidationError, Http404, PermissionDenied); `not_found` and
`server_error` do the same for /api/ URLs that never reach a view. A client never sees a
stack trace: an unexpected exception is logged under a reference the client is given.
"""
import logging
import uuid

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import set_rollback

from indus.core.errors import error_body

logger = logging.getLogger(__name__)

# Services name the field `state` when an object's current state forbids the action (cancel
# a finished job): that is a conflict with the resource, not a bad request.
STATE_FIELD = "state"


class ApiError(exceptions.APIException):
    """An API exception that can name the field (or header) it concerns."""

    def __init__(self, detail=None, code=None, field: str | None = None):
        super().__init__(detail, code)
        self.field = field


class Conflict(ApiError):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "the request conflicts with the resource's current state"
    default_code = "conflict"


class PayloadTooLarge(ApiError):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "the request body is too large"
    default_code = "too_large"


def exception_handler(exc, context):
    exc = _as_api_exception(exc)
    if exc is None:
        return _server_error_response()
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    details = {}
    if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
        headers["Retry-After"] = str(int(exc.wait))
        details["retry_after_seconds"] = int(exc.wait)
    errors = _flatten(exc.detail, exc.get_codes()) or [(None, exc.default_code, str(exc.default_detail))]
    if len(errors) > 1 or isinstance(exc, exceptions.ValidationError):
        details["errors"] = [{"field": f, "code": c, "message": m} for f, c, m in errors]
    field, code, message = errors[0]
    set_rollback()
    return Response(
        error_body(code, message, getattr(exc, "field", None) or field, details),
        status=exc.status_code,
        headers=headers,
    )


def _as_api_exception(exc) -> exceptions.APIException | None:
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict") and set(exc.error_dict) == {STATE_FIELD}:
            return Conflict(exc.messages[0], code="invalid_state", field=STATE_FIELD)
        return exceptions.ValidationError(_django_detail(exc))
    if isinstance(exc, Http404):
        return exceptions.NotFound(str(exc) or None)
    if isinstance(exc, DjangoPermissionDenied):
        return exceptions.PermissionDenied(str(exc) or None)
    if isinstance(exc, RequestDataTooBig):
        return PayloadTooLarge()
    if isinstance(exc, SuspiciousOperation):
        return exceptions.ParseError(str(exc))
    if isinstance(exc, exceptions.APIException):
        return exc
    return None


def _django_detail(error: DjangoValidationError):
    """Django's {field: [messages]} as DRF's detail, keeping each message's code."""
    if not hasattr(error, "error_dict"):
        return [_error_detail(e) for e in error.error_list]
    return {
        (api_settings.NON_FIELD_ERRORS_KEY if name == "__all__" else name): [_error_detail(e) for e in errors]
        for name, errors in error.error_dict.items()
    }


def _error_detail(error: DjangoValidationError) -> exceptions.ErrorDetail:
    # Only a message with params is a template: others may hold a user's '%' verbatim.
    message = error.message % error.params if error.params else error.message
    return exceptions.ErrorDetail(str(message), error.code or "invalid")


def _flatten(detail, codes, path: str | None = None) -> list[tuple[str | None, str, str]]:
    """(field path, code, message) for each message of a DRF detail, in order."""
    if isinstance(detail, dict):
        return [
            error
            for key, value in detail.items()
            for error in _flatten(value, codes[key], _join(path, key))
        ]
    if isinstance(detail, list):
        if all(isinstance(item, str) for item in detail):
            return [(path, str(code), str(message)) for message, code in zip(detail, codes)]
        return [
            error
            for index, (item, item_codes) in enumerate(zip(detail, codes))
            for error in _flatten(item, item_codes, _join(path, str(index)))
        ] or [(path, "invalid", "invalid")]
    return [(path, str(codes), str(detail))]


def _join(path: str | None, key: str) -> str | None:
    if key == api_settings.NON_FIELD_ERRORS_KEY:
        return path
    return f"{path}.{key}" if path else key


def _server_error_response() -> Response:
    reference = uuid.uuid4().hex[:12]
    logger.exception("internal error in the API (reference %s)", reference)
    set_rollback()
    return Response(
        error_body("internal_error", f"internal error; the server logged it under reference {reference}"),
        status=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )


def _is_api_request(request) -> bool:
    return request.path.startswith("/api/")


def not_found(request, exception=None):
    """Django's handler404: the API's format under /api/, Django's page elsewhere."""
    if _is_api_request(request):
        return JsonResponse(error_body("not_found", f"no API endpoint at {request.path}"), status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    """Django's handler500, for errors outside any API view (a middleware, say)."""
    if _is_api_request(request):
        return JsonResponse(error_body("internal_error", "internal error; the server logged it"), status=500)
    return defaults.server_error(request)
