"""Request bodies are refused over their budget before any of them is read.

Django reads a body only when something asks for it, but the admin's CSRF check asks for it
before any view runs: a 40 MB multipart POST to the login page used to be spooled to disk
before its 403, and a 20 MB admin upload before the upload cap refused it. This middleware
comes first and answers 413, in the API's error format, from the declared Content-Length:

- an upload view (the API's and the admin's) takes the upload cap plus a multipart allowance;
- any other view takes DATA_UPLOAD_MAX_MEMORY_SIZE (INDUS_MAX_REQUEST_BYTES);
- outside the API, a request with no logged-in user takes INDUS_MAX_ANONYMOUS_REQUEST_BYTES.
  (The API authenticates before it reads a body, and reads none for an anonymous client.)

A body sent without a length (chunked) is refused with 411: Django's WSGI handler reads no
more than the declared length, so the view would see such a body as empty. (Indus is served
over WSGI, by gunicorn: Django's ASGI handler would read the whole body before any middleware.)
"""
from django.conf import settings
from django.http import JsonResponse

from indus.core.errors import error_body

# A multipart body carries the file and a little more: its boundaries and the other fields.
MULTIPART_ALLOWANCE = 1024**2
# The views that take a file as their body, by URL name.
UPLOAD_VIEWS = frozenset({"api:dataset-upload", "admin:datasets_dataset_add", "admin:datasets_dataset_upload"})


def upload_body_limit() -> int:
    return settings.INDUS_MAX_UPLOAD_BYTES + MULTIPART_ALLOWANCE


def body_too_large_message(declared: int, limit: int) -> str:
    return f"the request body is {declared} bytes; this endpoint takes at most {limit}"


class RequestBodyLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        # The first process_view: it runs before the CSRF check's, the first code that reads a
        # body, and once the URL (so the view's budget) and the logged-in user are known.
        return _refusal(request)


def _view_budget(request) -> int:
    match = request.resolver_match
    budget = upload_body_limit() if match.view_name in UPLOAD_VIEWS else settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    user = getattr(request, "user", None)
    if match.namespace != "api" and not (user is not None and user.is_authenticated):
        budget = min(budget, settings.INDUS_MAX_ANONYMOUS_REQUEST_BYTES)
    return budget


def _refusal(request) -> JsonResponse | None:
    """A 411 or 413 response if the body may not be read, else None."""
    declared = request.META.get("CONTENT_LENGTH") or ""
    if not declared:
        if request.META.get("HTTP_TRANSFER_ENCODING"):
            return JsonResponse(error_body(
                "length_required", "send the request body with a Content-Length header, not chunked",
            ), status=411)
        return None
    if not declared.isdigit():
        return None  # Django reads no body from a length that is not a number
    limit = _view_budget(request)
    if int(declared) <= limit:
        return None
    return JsonResponse(error_body(
        "too_large", body_too_large_message(int(declared), limit), details={"limit_bytes": limit},
    ), status=413)
