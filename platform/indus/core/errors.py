"""The error type services raise for bad input; the API and admin turn it into a 4xx."""
from django.core.exceptions import ValidationError


def field_error(field: str, message: str, code: str = "invalid") -> ValidationError:
    """A ValidationError that names the field it concerns, as every client-facing error must."""
    return ValidationError({field: ValidationError(message, code=code)})
