"""`Idempotency-Key`: a client that retries a job submission (a timeout, a CI re-run) gets the
job its first request made, not a second one.

The key is reserved before the job is submitted, in its own short transaction, so two
requests racing with one key cannot both submit (the unique constraint lets one through).
The submission itself runs outside that transaction: checking a fine-tune's data can take
seconds, and on SQLite an open write transaction blocks every other writer. If the
submission is refused the reservation is dropped, so the corrected request can use the key.
"""
import hashlib
import json
from collections.abc import Callable

from django.db import IntegrityError, transaction
from drf_spectacular.utils import OpenApiParameter

from indus.api.errors import Conflict
from indus.api.models import IdempotencyKey
from indus.core.errors import field_error
from indus.jobs.models import Job

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
PARAMETER = OpenApiParameter(
    HEADER, str, OpenApiParameter.HEADER,
    description="any unique string (a UUID): repeating the request with the same key returns the job the first "
                "one made, with 200 instead of 201; the same key with a different body is a 409",
)


def request_fingerprint(request) -> str:
    """What the request asks for: its method, path and body (key order does not matter)."""
    body = json.dumps(request.data, sort_keys=True, default=str)
    return hashlib.sha256(f"{request.method} {request.path}\n{body}".encode()).hexdigest()


def submit_once(*, request, project, submit: Callable[[], Job]) -> tuple[Job, bool]:
    """(job, replayed): the job this request made, or the one an earlier request with the
    same key made (replayed=True). Without the header, simply submits."""
    key = request.headers.get(HEADER)
    if key is None:
        return submit(), False
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not key.isprintable():
        raise field_error(HEADER, f"must be 1 to {MAX_KEY_LENGTH} printable characters, e.g. a UUID")
    fingerprint = request_fingerprint(request)
    try:
        with transaction.atomic():
            reservation = IdempotencyKey.objects.create(
                user=request.user, project=project, key=key, request_sha256=fingerprint
            )
    except IntegrityError:
        return _earlier_job(request.user, project, key, fingerprint), True
    try:
        job = submit()
    except BaseException:
        reservation.delete()
        raise
    IdempotencyKey.objects.filter(pk=reservation.pk).update(job=job)
    return job, False


def _earlier_job(user, project, key: str, fingerprint: str) -> Job:
    earlier = IdempotencyKey.objects.select_related("job").get(user=user, project=project, key=key)
    if earlier.request_sha256 != fingerprint:
        raise Conflict(
            f"this {HEADER} was already used for a different request; use a new key for a new request",
            code="idempotency_key_reused", field=HEADER,
        )
    if earlier.job is None:
        raise Conflict(
            f"a request with this {HEADER} is still being handled; retry in a moment",
            code="idempotency_key_in_use", field=HEADER,
        )
    return earlier.job
