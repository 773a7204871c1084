"""The error type services raise for bad input, and the one body every 4xx answer carries
(the API, the request-body limit, the serving process)."""
from django.core.exceptions import ValidationError


def field_error(field: str, message: str, code: str = "invalid") -> ValidationError:
    """A ValidationError that names the field it concerns, as every client-facing error must."""
    return ValidationError({field: ValidationError(message, code=code)})


def error_body(code: str, message: str, field: str | None = None, details: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "field": field, "details": details or {}}}
