from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models


class RegisteredModel(models.Model):
    project = models.ForeignKey("tenancy.Project", on_delete=models.PROTECT, related_name="models")
    name = models.CharField(max_length=200)
    task = models.CharField(max_length=200, help_text="the plugin task, e.g. finance.credit_scoring")
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "name"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="model_name_unique_in_project"),
        ]

    def __str__(self) -> str:
        return f"{self.project}/{self.name}"


class ModelVersion(models.Model):
    """Trained weights (safetensors) with what is needed to trust and reproduce them."""

    model = models.ForeignKey(RegisteredModel, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    artifact_path = models.CharField(max_length=500, help_text="folder of weights, tokenizer and config")
    head_spec = models.JSONField(default=dict)
    hyperparameters = models.JSONField(default=dict)
    metrics = models.JSONField(default=dict)
    reports = models.JSONField(default=dict, help_text="per-class report, confusion matrix...")
    model_card = models.TextField(blank=True)
    dataset_version = models.ForeignKey(
        "datasets.DatasetVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    job = models.OneToOneField(
        "jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="model_version"
    )
    binding = models.ForeignKey(
        "bindings.TaskBinding", null=True, blank=True, on_delete=models.PROTECT, related_name="model_versions",
        help_text="the binding of the user's columns it was trained with; none for a plugin task's fixed columns",
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children",
        help_text="the version this one was warm-started from",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["model", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["model", "number"], name="model_version_number_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.model} v{self.number}"


class ModelAlias(models.Model):
    """A movable name (production, staging...) pointing at one version of a model, and for a
    canary, at a second version that answers `canary_percent` of the requests served under it."""

    model = models.ForeignKey(RegisteredModel, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(
        max_length=64,
        validators=[RegexValidator(r"^[a-z][a-z0-9_-]*$", "lower-case letters, digits, - and _")],
    )
    version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="aliases")
    canary_version = models.ForeignKey(
        ModelVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="canary_aliases",
        help_text="a second version that answers a share of the requests served under the alias",
    )
    canary_percent = models.PositiveSmallIntegerField(
        default=0, validators=[MaxValueValidator(100)], help_text="the share (0-100) the canary version answers",
    )
    # Request logging for the next training round: a share of the rows served under the alias,
    # with their predictions, stored as versions of the dataset `<model>-served` (off by default).
    log_sample_rate = models.FloatField(
        default=0.0, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="the share (0-1) of served rows logged, with their predictions, to the dataset <model>-served",
    )
    log_max_rows_per_hour = models.PositiveIntegerField(
        default=1000, help_text="at most this many rows logged per hour; more are dropped (and counted)",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["model", "name"]
        constraints = [
            models.UniqueConstraint(fields=["model", "name"], name="alias_unique_per_model"),
        ]

    def __str__(self) -> str:
        canary = f" ({self.canary_percent}% v{self.canary_version.number})" if self.canary_version_id else ""
        return f"{self.model}@{self.name} -> v{self.version.number}{canary}"
