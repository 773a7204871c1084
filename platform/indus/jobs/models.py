import uuid

from django.conf import settings
from django.db import models

from indus.jobs.states import JobState


def _default_max_attempts() -> int:
    return settings.INDUS_JOB_MAX_ATTEMPTS


class Job(models.Model):
    """One unit of work for a worker. The row, not the broker message, is the truth."""

    project = models.ForeignKey("tenancy.Project", on_delete=models.PROTECT, related_name="jobs")
    kind = models.CharField(max_length=64)
    spec = models.JSONField(default=dict)
    # The version of the kind's input the spec was written in (`JobKind.spec_version`); rows
    # written before specs were versioned are 0. Readers see it upgraded (`job_spec`).
    spec_version = models.PositiveSmallIntegerField(default=0)
    queue = models.CharField(max_length=32)
    state = models.CharField(max_length=16, choices=JobState.choices, default=JobState.QUEUED)
    progress = models.FloatField(default=0.0)
    progress_message = models.CharField(max_length=300, blank=True)
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    max_attempts = models.PositiveIntegerField(default=_default_max_attempts)
    # The worker holding a running job proves it is alive through heartbeat_at; lease_token
    # fences it, so a worker presumed dead cannot overwrite the attempt that replaced it.
    worker = models.CharField(max_length=255, blank=True)
    lease_token = models.UUIDField(null=True, blank=True, editable=False)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    cancel_requested_at = models.DateTimeField(null=True, blank=True)
    retry_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="retries"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["state", "heartbeat_at"]),
            models.Index(fields=["project", "-created_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} job {self.pk} ({self.state})"

    @staticmethod
    def new_lease_token() -> uuid.UUID:
        return uuid.uuid4()


class JobEvent(models.Model):
    class Level(models.TextChoices):
        INFO = "info", "Info"
        WARNING = "warning", "Warning"
        ERROR = "error", "Error"

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="events")
    created_at = models.DateTimeField(auto_now_add=True)
    level = models.CharField(max_length=16, choices=Level.choices, default=Level.INFO)
    attempt = models.PositiveIntegerField(default=0)
    message = models.TextField()

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"[{self.level}] {self.message}"


class MetricPoint(models.Model):
    """One value of a metric series (loss, accuracy...) at a step of a job."""

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="metrics")
    name = models.CharField(max_length=100)
    step = models.PositiveIntegerField()
    value = models.FloatField()
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "step"]
        constraints = [
            # A resumed job records a step again: the newer value replaces the older one.
            models.UniqueConstraint(fields=["job", "name", "step"], name="one_value_per_step"),
        ]


class JobPart(models.Model):
    """Rows [first_row, end_row) of a job split into parts (see indus.jobs.parts). Each part is
    claimed by lease as a job is: the worker computing it renews heartbeat_at, and lease_token
    fences it, so a part whose worker went silent is taken over by another and the silent one
    cannot record it any more. A job that runs whole has no parts."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="parts")
    index = models.PositiveIntegerField()
    first_row = models.BigIntegerField()
    end_row = models.BigIntegerField()
    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    worker = models.CharField(max_length=255, blank=True)
    lease_token = models.UUIDField(null=True, blank=True, editable=False)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    rows_done = models.BigIntegerField(default=0)
    # When its latest attempt was claimed, and when the part succeeded or failed.
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # What the kind's part runner returned (rows, partial statistics, the files it wrote).
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["job", "index"]
        constraints = [models.UniqueConstraint(fields=["job", "index"], name="one_part_per_index")]

    def __str__(self) -> str:
        return f"part {self.index} of job {self.job_id} ({self.state})"

    @property
    def rows(self) -> int:
        return self.end_row - self.first_row

    @property
    def progress(self) -> float:
        """The share of its rows done, 0 to 1."""
        return self.rows_done / self.rows if self.rows else 0.0
