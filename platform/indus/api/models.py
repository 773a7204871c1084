from django.conf import settings
from django.db import models


class IdempotencyKey(models.Model):
    """A client's Idempotency-Key on a request that creates a job. The same key from the same
    user in the same project stands for the same request: the job the first one made is
    returned again instead of a second job."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey("tenancy.Project", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    request_sha256 = models.CharField(max_length=64, help_text="what was asked: a replay must ask the same")
    # Empty while the first request is being handled.
    job = models.ForeignKey("jobs.Job", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "project", "key"], name="idempotency_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.key} -> job {self.job_id}"
